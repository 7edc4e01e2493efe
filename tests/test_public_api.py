"""The export registry, the `__all__` lists and the import rules agree."""

import importlib
import pathlib
import pkgutil
import re
import subprocess
import sys

import keras_recipes
from keras_recipes.api_export import REGISTRY

PACKAGE = pathlib.Path(keras_recipes.__file__).parent


def test_registry_matches_all():
    for path, symbol in REGISTRY.items():
        module_name, name = path.rsplit(".", 1)
        module = importlib.import_module(module_name)
        assert getattr(module, name) is symbol, path
        assert name in getattr(module, "__all__", ()), (
            f"{name} missing from {module_name}.__all__"
        )


def test_all_lists_are_exported():
    for info in pkgutil.iter_modules(keras_recipes.__path__):
        module = importlib.import_module(f"keras_recipes.{info.name}")
        for name in getattr(module, "__all__", ()):
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_no_private_keras_or_backend_imports():
    banned = re.compile(r"^\s*(from|import)\s+keras\.src", re.M)
    backend = re.compile(r"^(from|import)\s+(tensorflow|jax|torch)\b", re.M)
    for file in PACKAGE.rglob("*.py"):
        text = file.read_text()
        assert not banned.search(text), f"keras.src import in {file}"
        if "backend" not in file.relative_to(PACKAGE).parts:
            # Backend modules may only be imported lazily, inside functions.
            assert not backend.search(text), (
                f"module-level backend import in {file}"
            )


def test_import_does_not_import_other_backends():
    code = (
        "import sys, keras_recipes; "
        "print(sorted(m for m in ('tensorflow', 'jax', 'torch') "
        "if m in sys.modules))"
    )
    env = {"KERAS_BACKEND": "jax", "PATH": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True,
        text=True, check=True,
    ).stdout.strip().splitlines()[-1]
    assert out == "['jax']", out
