"""Entry point of the `keras-recipes` command: choose the backend first.

Keras fixes its backend when it is first imported, and importing anything
from the `keras_recipes` package imports Keras. So the console script starts
here, in a module outside the package that uses the standard library only:

1. `--backend NAME` on the command line, else `KERAS_BACKEND`, else Keras's
   configured backend (`$KERAS_HOME/keras.json` or `~/.keras/keras.json`,
   TensorFlow when there is none).
2. If the configured backend (not one the user named) is not installed, an
   installed one is used, and a note says which.
3. If no backend is installed, any command prints one line naming the extra
   to install. `keras-recipes --help` (and `COMMAND --help`) never needs a
   backend: it is answered without importing Keras.

Only then is `keras_recipes.cli` imported, with `KERAS_BACKEND` set.
"""

import importlib.util
import json
import os
import sys

PROG = "keras-recipes"
BACKENDS = ("jax", "tensorflow", "torch")
# The installed-backend fallback order: the lightest install first.
FALLBACK_ORDER = ("jax", "torch", "tensorflow")
INSTALL_HINT = 'pip install "keras-recipes[jax]" (or [tensorflow], [torch])'


def _installed(backend):
    return importlib.util.find_spec(backend) is not None


def _configured_backend():
    home = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    try:
        with open(os.path.join(home, "keras.json")) as f:
            return json.load(f).get("backend") or "tensorflow"
    except (OSError, ValueError):
        return "tensorflow"


def _backend_flag(argv):
    """The value of `--backend NAME` / `--backend=NAME`, or None."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--backend" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--backend="):
            return arg.split("=", 1)[1]
    return None


def _wants_help(argv):
    return not argv or any(a in ("-h", "--help") for a in argv)


def choose_backend(argv, environ=None, installed=_installed):
    """Return `(backend, note)`; `backend` is None when none is installed.

    Raises `ValueError` with a one-line message for an unknown or missing
    backend that the user asked for by name.
    """
    environ = os.environ if environ is None else environ
    named = _backend_flag(argv)
    source = "--backend"
    if named is None and environ.get("KERAS_BACKEND"):
        named, source = environ["KERAS_BACKEND"], "KERAS_BACKEND"
    if named is not None:
        if named not in BACKENDS:
            raise ValueError(
                f"unknown backend {named!r} ({source}); expected one of "
                f"{', '.join(BACKENDS)}"
            )
        if not installed(named):
            raise ValueError(
                f"backend {named!r} ({source}) is not installed; "
                f'pip install "keras-recipes[{named}]"'
            )
        return named, None
    configured = _configured_backend()
    if configured in BACKENDS and installed(configured):
        return configured, None
    for candidate in FALLBACK_ORDER:
        if installed(candidate):
            return candidate, (
                f"{PROG}: Keras's configured backend {configured!r} is not "
                f"installed; using {candidate!r} (set --backend or "
                "KERAS_BACKEND to choose)"
            )
    return None, None


def _standalone_parser():
    """`keras_recipes/cli/parser.py`'s parser without importing the package
    (which imports Keras): that module imports only the standard library."""
    spec = importlib.util.find_spec("keras_recipes")
    path = os.path.join(spec.submodule_search_locations[0], "cli",
                        "parser.py")
    module_spec = importlib.util.spec_from_file_location(
        "_keras_recipes_cli_parser", path
    )
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.build_parser()


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if _wants_help(argv):
        # Help needs no backend: answer it without importing Keras.
        _standalone_parser().parse_args(argv or ["--help"])
        return 0
    try:
        backend, note = choose_backend(argv)
    except ValueError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    if backend is None:
        print(
            f"{PROG}: error: no Keras backend is installed; {INSTALL_HINT}",
            file=sys.stderr,
        )
        return 2
    if note:
        print(note, file=sys.stderr)
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from keras_recipes.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
