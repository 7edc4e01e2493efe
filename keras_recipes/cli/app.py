"""`main`: parse, dispatch to the command's module, and turn every error
into one line on stderr (set KERAS_RECIPES_DEBUG=1 for a traceback)."""

import importlib
import os
import sys

from keras_recipes.cli.common import one_line
from keras_recipes.cli.parser import PROG
from keras_recipes.cli.parser import UsageError
from keras_recipes.cli.parser import build_parser


def _quiet_libraries():
    import logging

    for name in ("mlflow", "alembic", "absl"):
        logging.getLogger(name).setLevel(logging.WARNING)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    _quiet_libraries()
    debug = bool(os.environ.get("KERAS_RECIPES_DEBUG"))
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        module = importlib.import_module(f"keras_recipes.cli.{args.command}")
        return module.run(args, argv)
    except UsageError as e:
        print(f"{PROG}: error: {one_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001 - one line, never a traceback
        if debug:
            raise
        print(f"{PROG}: error: {type(e).__name__}: {one_line(e)}",
              file=sys.stderr)
        return 1
