"""The console script chooses the backend before anything imports Keras."""

import json
import os
import subprocess
import sys

import pytest

import keras_recipes_cli as launcher

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def installed_only(*names):
    return lambda backend: backend in names


def test_flag_wins_over_environment():
    backend, note = launcher.choose_backend(
        ["train", "--backend", "torch"], {"KERAS_BACKEND": "jax"},
        installed_only("jax", "torch"),
    )
    assert (backend, note) == ("torch", None)
    backend, _ = launcher.choose_backend(
        ["train", "--backend=jax"], {}, installed_only("jax")
    )
    assert backend == "jax"


def test_environment_used_when_no_flag():
    backend, note = launcher.choose_backend(
        ["train"], {"KERAS_BACKEND": "jax"}, installed_only("jax")
    )
    assert (backend, note) == ("jax", None)


def test_named_backend_missing_or_unknown_is_one_line():
    with pytest.raises(ValueError, match=r"keras-recipes\[torch\]"):
        launcher.choose_backend(
            ["train", "--backend", "torch"], {}, installed_only("jax")
        )
    with pytest.raises(ValueError, match="unknown backend 'numpy'"):
        launcher.choose_backend([], {"KERAS_BACKEND": "numpy"},
                                installed_only("jax"))


def test_configured_backend_missing_falls_back_and_says_so(tmp_path):
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "tensorflow"}))
    env = {"KERAS_HOME": str(tmp_path)}
    old = os.environ.get("KERAS_HOME")
    os.environ["KERAS_HOME"] = str(tmp_path)
    try:
        backend, note = launcher.choose_backend(
            ["train"], env, installed_only("torch")
        )
        assert backend == "torch"
        assert "'tensorflow' is not installed; using 'torch'" in note
        backend, note = launcher.choose_backend(
            ["train"], env, installed_only("tensorflow", "torch")
        )
        assert (backend, note) == ("tensorflow", None)
        assert launcher.choose_backend(["train"], env, installed_only()) == (
            None, None,
        )
    finally:
        if old is None:
            os.environ.pop("KERAS_HOME")
        else:
            os.environ["KERAS_HOME"] = old


# A child interpreter in which no backend can be imported or found.
NO_BACKEND = r"""
import importlib.util, sys
BLOCKED = ("jax", "jaxlib", "tensorflow", "torch")
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, Block())
_find = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a: (
    None if name.split(".")[0] in BLOCKED else _find(name, *a))
import keras_recipes_cli
code = keras_recipes_cli.main(sys.argv[1:])
assert "keras" not in sys.modules, "keras was imported"
sys.exit(code)
"""


def run_without_backend(*args):
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    return subprocess.run(
        [sys.executable, "-c", NO_BACKEND, *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )


def test_help_works_with_no_backend_installed():
    for args in ((), ("--help",), ("train", "--help")):
        result = run_without_backend(*args)
        assert result.returncode == 0, result.stderr
        assert "usage: keras-recipes" in result.stdout
    assert "--dataset" in run_without_backend("train", "--help").stdout


def test_command_with_no_backend_is_one_line_naming_the_extra():
    result = run_without_backend("train", "--epochs", "1")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no Keras backend is installed" in lines[0]
    assert 'keras-recipes[jax]' in lines[0]
