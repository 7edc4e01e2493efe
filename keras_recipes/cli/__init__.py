"""The `keras-recipes` command line: train, evaluate, runs, tune, audit.

    keras-recipes train --dataset fashion_mnist --recipe standard --epochs 3
    keras-recipes evaluate runs/<id>/model.keras --dataset fashion_mnist
    keras-recipes runs [--compare ID ID]
    keras-recipes audit --dataset fashion_mnist --probabilities oof.npy

One module per command (`train`, `evaluate`, `runs`, `tune`, `audit`),
each with `run(args, argv)`; `parser` builds the arguments with the standard
library only (the launcher, `keras_recipes_cli.py`, loads it to answer `--help`
before a backend is chosen); `common` holds what the commands share. The
datasets come from `keras_recipes.datasets.load_dataset`, the trackers from
`keras_recipes.tracking.make_tracker`, the run list from
`keras_recipes.tracking.collect_runs`.

Every bad argument ends with one line on stderr and a non-zero exit code;
no traceback is printed (set KERAS_RECIPES_DEBUG=1 to see one).
"""

from keras_recipes.cli.app import main as main
from keras_recipes.cli.parser import PROG as PROG
from keras_recipes.cli.parser import UsageError as UsageError
from keras_recipes.cli.parser import build_parser as build_parser
from keras_recipes.tracking.runs import EXPERIMENT as EXPERIMENT

__all__ = ["EXPERIMENT", "PROG", "UsageError", "build_parser", "main"]
