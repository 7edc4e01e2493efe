"""The documentation site (mkdocs.yml): every public symbol has an API
reference, every family and card is in the navigation, and
`mkdocs build --strict` passes."""

import importlib
import importlib.util
import inspect
import os
import pathlib
import pkgutil
import re
import shutil
import subprocess
import sys

import keras
import pytest

import keras_recipes
from keras_recipes.api_export import REGISTRY

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Subpackages of keras_recipes that are not families of the public API.
NOT_FAMILIES = {"api_export", "backend", "cli", "testing", "utils", "version"}
IDENTIFIER = re.compile(r"^:::\s+([\w.]+)\s*$", re.M)


def families():
    names = [info.name for info in pkgutil.iter_modules(keras_recipes.__path__)
             if info.ispkg and info.name not in NOT_FAMILIES]
    for name in names:  # registers the exports of families not yet wired
        importlib.import_module(f"keras_recipes.{name}")
    return sorted(names)


def documented():
    """`{identifier: page}` for every `::: identifier` in docs/api/*.md."""
    found = {}
    for page in sorted((DOCS / "api").glob("*.md")):
        for ident in IDENTIFIER.findall(page.read_text(encoding="utf-8")):
            found[ident] = page.name
    return found


def public_symbols():
    """Public path -> object: the export registry plus each family's
    `__all__` (which also lists functions and lazily imported names)."""
    symbols = {}
    for family in families():
        module = importlib.import_module(f"keras_recipes.{family}")
        for name in getattr(module, "__all__", ()):
            symbols[f"keras_recipes.{family}.{name}"] = getattr(module, name)
    symbols.update(REGISTRY)
    return symbols


def _is_documented(path, obj, docs):
    if path in docs:
        return True
    if inspect.ismodule(obj):  # documented member by member
        return any(d.startswith(path + ".") for d in docs)
    # A lazily imported name is documented under its defining module.
    qualname = getattr(obj, "__qualname__", None)
    module = getattr(obj, "__module__", None)
    if qualname and module and f"{module}.{qualname}" in docs:
        return True
    # A constant re-exported lazily: the same object under another path.
    name = path.rsplit(".", 1)[-1]
    for ident in docs:
        if ident.rsplit(".", 1)[-1] == name:
            try:
                if _resolve(ident) is obj:
                    return True
            except (ImportError, AttributeError):
                pass
    # A `::: module` block documents the whole module.
    parts = path.split(".")
    return any(".".join(parts[:i]) in docs for i in range(2, len(parts)))


def _resolve(identifier):
    parts = identifier.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(identifier)


def test_every_public_symbol_has_a_reference():
    docs = documented()
    missing = sorted(path for path, obj in public_symbols().items()
                     if not _is_documented(path, obj, docs))
    assert not missing, (
        "Public symbols without an API reference; add a `::: <path>` line "
        f"to docs/api/<family>.md: {missing}")


def test_every_reference_exists():
    stale = []
    for identifier, page in documented().items():
        try:
            _resolve(identifier)
        except (ImportError, AttributeError):
            stale.append(f"{page}: {identifier}")
    assert not stale, f"API references to names that do not exist: {stale}"


def test_every_family_has_a_page():
    pages = {p.stem for p in (DOCS / "api").glob("*.md")}
    missing = sorted(set(families()) - pages)
    assert not missing, f"families without docs/api/<family>.md: {missing}"


def _nav_pages(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _nav_pages(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _nav_pages(value)


def test_navigation_lists_every_page_and_card():
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = set(_nav_pages(config["nav"]))
    missing = [str(p.relative_to(DOCS)) for p in sorted(DOCS.rglob("*.md"))
               if str(p.relative_to(DOCS)) not in nav
               and p.name != "index.md"]
    assert not missing, f"pages missing from the nav of mkdocs.yml: {missing}"
    absent = sorted(p for p in nav if not (DOCS / p).exists())
    assert not absent, f"nav entries without a file: {absent}"
    cards = (DOCS / "cards.md").read_text(encoding="utf-8")
    unlisted = [p.name for p in sorted((DOCS / "recipes").glob("*.md"))
                if f"(recipes/{p.name})" not in cards]
    assert not unlisted, f"cards missing from docs/cards.md: {unlisted}"


def _griffe_extension():
    spec = importlib.util.spec_from_file_location(
        "griffe_keras_examples", DOCS / "griffe_keras_examples.py")
    module = importlib.util.module_from_spec(spec)
    pytest.importorskip("griffe")
    spec.loader.exec_module(module)
    return module


def test_keras_style_examples_are_indented():
    module = _griffe_extension()
    text = ("Summary.\n\nArgs:\n    x: A value.\n\nExample:\n\n"
            ">>> f(1)\n2\n\nReturns:\n    A number.")
    assert module.indent_examples(text) == (
        "Summary.\n\nArgs:\n    x: A value.\n\nExample:\n\n"
        "    >>> f(1)\n    2\n\nReturns:\n    A number.")


@pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="the site is built from the sources by static analysis, the same "
    "on every backend: built once, in the JAX run")
def test_mkdocs_build_strict(tmp_path):
    if shutil.which("mkdocs") is None and importlib.util.find_spec(
            "mkdocs") is None:
        pytest.skip("mkdocs is not installed (the `docs` extra: "
                    "pip install -e '.[docs]')")
    for package in ("material", "mkdocstrings", "mkdocstrings_handlers"):
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{package} is not installed (the `docs` extra)")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict",
         "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    log = "\n".join(line for line in (result.stdout + result.stderr)
                    .splitlines() if "WARNING" in line or "ERROR" in line)
    assert result.returncode == 0, (
        f"mkdocs build --strict failed:\n{log or result.stderr[-3000:]}")
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "scripts/quickstart.sh" in home and "scripts/test.sh" in home
    assert (tmp_path / "site" / "api" / "losses" / "index.html").exists()
