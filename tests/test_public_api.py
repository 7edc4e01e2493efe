"""The export registry, the `__all__` lists and the import rules agree."""

import ast
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


BACKEND_MODULES = ("tensorflow", "jax", "jaxlib", "torch")
# Files outside keras_recipes/backend/ allowed to compare the backend's name,
# with the reason.
BACKEND_NAME_ALLOWED = {
    # The command line re-executes itself when --backend differs from the
    # backend Keras was imported with.
    "cli/common.py",
}


def _is_backend_name_call(node):
    """`keras.backend.backend()` (or `backend.backend()`)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "backend"
        and isinstance(node.func.value, (ast.Attribute, ast.Name))
        and getattr(node.func.value, "attr", getattr(node.func.value, "id",
                                                     None)) == "backend"
    )


def backend_violations(source):
    """Backend imports (at any depth, lazy ones included) and comparisons of
    the backend's name, as `(line, what)` pairs."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        elif (isinstance(node, ast.Call)
              and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant)):
            names = [str(node.args[0].value)]
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_backend_name_call(side) for side in sides):
                found.append((node.lineno, "compares keras.backend.backend()"))
            continue
        else:
            continue
        for name in names:
            if name.split(".")[0] in BACKEND_MODULES:
                found.append((node.lineno, f"imports {name}"))
    return found


def test_backend_guard_catches_indented_lazy_and_dynamic_imports():
    snippet = (
        "import keras\n"
        "def f():\n"
        "    if True:\n"
        "        import torch.nn\n"
        "    from jax import numpy\n"
        "    importlib.import_module('tensorflow')\n"
        "    return keras.backend.backend() == 'jax'\n"
        "from keras import ops\n"
    )
    assert sorted(line for line, _ in backend_violations(snippet)) == [
        4, 5, 6, 7,
    ]


def test_no_private_keras_or_backend_imports():
    banned = re.compile(r"^\s*(from|import)\s+keras\.src", re.M)
    for file in PACKAGE.rglob("*.py"):
        text = file.read_text()
        assert not banned.search(text), f"keras.src import in {file}"
        parts = file.relative_to(PACKAGE).parts
        if parts[0] == "backend":
            continue
        found = backend_violations(text)
        if "/".join(parts) in BACKEND_NAME_ALLOWED:
            found = [f for f in found if not f[1].startswith("compares")]
        assert not found, (
            f"{file}: backend code outside keras_recipes/backend/: {found}"
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
