"""Run the `>>>` examples in the docstring of every exported symbol."""

import doctest
import inspect

import keras
import numpy as np
import pytest

import keras_recipes
from keras_recipes.api_export import REGISTRY
from tests.registry import exported_classes  # noqa: F401 (imports families)

FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


@pytest.mark.parametrize("path", sorted(REGISTRY))
def test_docstring_example(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    symbol = REGISTRY[path]
    finder = doctest.DocTestFinder(recurse=False)
    globs = {"keras": keras, "keras_recipes": keras_recipes, "np": np}
    tests = finder.find(symbol, path, globs=globs)
    examples = [t for t in tests if t.examples]
    if not examples:
        if inspect.isclass(symbol):
            pytest.fail(f"{path} has no >>> example in its docstring")
        pytest.skip(f"{path} has no >>> example")
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for t in examples:
        runner.run(t)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} doctest failure(s) in {path}"
