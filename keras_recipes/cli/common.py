"""Helpers shared by the `keras-recipes` commands: one-line errors, JSON
files, tables, the backend switch, and loading a dataset or a recipe."""

import json
import os
import sys

from keras_recipes.cli.parser import BACKENDS
from keras_recipes.cli.parser import UsageError


def one_line(error):
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())


def read_json(path):
    with open(path) as f:
        return json.load(f)


def _json_default(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def write_json(path, data):
    """Write `data` atomically (a killed run never leaves half a file)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, default=_json_default)
    os.replace(tmp, path)


def fmt(value, digits=4):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def format_table(headers, rows):
    rows = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [
        max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h))
        for i, h in enumerate(headers)
    ]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(
        str(h).ljust(w) for h, w in zip(headers, widths)) + " |", line]
    for r in rows:
        out.append("| " + " | ".join(
            v.ljust(w) for v, w in zip(r, widths)) + " |")
    out.append(line)
    return "\n".join(out)


def check_backend(name):
    if name is not None and name not in BACKENDS:
        raise UsageError(
            f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}"
        )


def reexec_with_backend(backend, argv):
    """Keras picks its backend at import time, so switching means a fresh
    interpreter with KERAS_BACKEND set (the launcher normally sets it
    first; this covers `python -m keras_recipes.cli` and `--resume` of a
    run trained on another backend)."""
    import keras

    if backend is None or keras.backend.backend() == backend:
        return
    env = dict(os.environ, KERAS_BACKEND=backend)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(
        sys.executable, [sys.executable, "-m", "keras_recipes.cli", *argv],
        env,
    )


def load_dataset(name):
    """`keras_recipes.datasets.load_dataset`, its errors as usage errors."""
    from keras_recipes.datasets import load_dataset as load

    try:
        return load(name)
    except (ValueError, TypeError) as e:
        raise UsageError(one_line(e)) from None


def load_recipe(spec):
    from keras_recipes.recipes import Recipe
    from keras_recipes.recipes.recipe import PRESETS

    if spec in PRESETS:
        return Recipe.from_preset(spec)
    if spec.endswith(".json"):
        if not os.path.isfile(spec):
            raise UsageError(f"recipe file not found: {spec}")
        try:
            return Recipe.from_json(spec)
        except (ValueError, TypeError) as e:
            raise UsageError(
                f"malformed recipe file {spec}: {one_line(e)}"
            ) from None
    raise UsageError(
        f"unknown recipe {spec!r}; expected {', '.join(PRESETS)} or a "
        "RECIPE.json"
    )

