"""`import_optional` names the extra, and the real culprit when an installed
optional package fails on a dependency of its own."""

import sys

import pytest

from keras_recipes.utils.optional import MissingOptionalDependency
from keras_recipes.utils.optional import import_optional


def test_missing_package_names_the_extra():
    with pytest.raises(MissingOptionalDependency,
                       match=r"`no_such_pkg_kr`, which is not installed.*"
                             r"keras-recipes\[tuning\]"):
        import_optional("no_such_pkg_kr", "tuning")


def test_installed_package_with_a_missing_dependency(tmp_path, monkeypatch):
    # KerasTuner 1.4.8 imports `six` without declaring it: the error must
    # say that the package is there and what it lacks.
    (tmp_path / "broken_pkg_kr.py").write_text("import no_such_dep_kr\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(MissingOptionalDependency) as info:
        import_optional("broken_pkg_kr", "tuning")
    message = str(info.value)
    assert "`broken_pkg_kr`, which is installed but fails to import" in message
    assert "needs `no_such_dep_kr`" in message
    assert 'pip install "keras-recipes[tuning]"' in message
    assert info.value.missing == "no_such_dep_kr"
    sys.modules.pop("broken_pkg_kr", None)
