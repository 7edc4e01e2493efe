"""The `keras-recipes` argument parser.

This module imports only the standard library: the launcher
(`keras_recipes_cli.py`) loads it by file path to answer `--help` before any
backend is chosen, so it must not import the package (which imports Keras).
"""

import argparse

PROG = "keras-recipes"
DATASETS = ("fashion_mnist", "digits")
MODELS = ("small_resnet",)
BACKENDS = ("jax", "tensorflow", "torch")
# Kept equal to `keras_recipes.tracking.factory.TRACKERS` and
# `keras_recipes.recipes.recipe.PRESETS` by tests/test_cli.py: this module
# cannot import them.
TRACKERS = ("mlflow", "tensorboard", "jsonl", "wandb", "none")
PRESETS = ("baseline", "standard", "strong")


class UsageError(Exception):
    """A bad argument: one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


class _SubParser(_Parser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def _int_at_least(minimum, what):
    """argparse type: an integer >= `minimum`, described as `what`."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {what}, got {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
        return value

    return parse


_positive_int = _int_at_least(1, "a positive integer")
_non_negative_int = _int_at_least(0, "a non-negative integer")


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive number, got {text!r}"
        ) from None
    if not value > 0:
        raise argparse.ArgumentTypeError(
            f"expected a positive number, got {value}"
        )
    return value


def _open_fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number in (0, 1], got {text!r}"
        ) from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(
            f"expected a number in (0, 1], got {value}"
        )
    return value


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number in [0, 1), got {text!r}"
        ) from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(
            f"expected a number in [0, 1), got {value}"
        )
    return value


def _add_train(sub):
    train = sub.add_parser(
        "train", help="train a model with a recipe and write a run folder"
    )
    train.add_argument("--dataset", default="fashion_mnist",
                       help=f"{', '.join(DATASETS)} or a PATH.npz with "
                       "x_train, y_train, x_test, y_test "
                       "(default: fashion_mnist)")
    train.add_argument("--model", default="small_resnet",
                       help="small_resnet (default)")
    train.add_argument("--recipe", default="standard",
                       help=f"{', '.join(PRESETS)} or a RECIPE.json "
                       "(default: standard)")
    train.add_argument("--epochs", type=_positive_int, default=None,
                       help="epochs (default: the recipe's)")
    train.add_argument("--batch-size", type=_positive_int, default=None,
                       help="batch size (default: the recipe's)")
    train.add_argument("--width", type=_positive_int, default=32,
                       help="small_resnet width (default: 32)")
    train.add_argument("--depth", type=_positive_int, default=8,
                       help="small_resnet depth, 6n+2 (default: 8)")
    train.add_argument("--subset", type=_positive_int, default=None,
                       help="train on the first N training images only")
    train.add_argument("--validation-split", type=_fraction, default=0.1,
                       help="fraction of the training set held out for "
                       "validation (default: 0.1)")
    train.add_argument("--backend", default=None,
                       help="jax, tensorflow or torch (default: "
                       "KERAS_BACKEND or Keras's configured backend)")
    train.add_argument("--tracker", default="mlflow",
                       help=f"{', '.join(TRACKERS[:-1])} or none "
                       "(default: mlflow, a SQLite store in --output)")
    train.add_argument("--output", default="runs",
                       help="folder of the run folders and the tracking "
                       "store (default: runs)")
    train.add_argument("--resume", default=None, metavar="RUN_ID",
                       help="continue an interrupted run in the same "
                       "tracked run")
    train.add_argument("--seed", type=_non_negative_int, default=0,
                       help="random seed (default: 0)")
    train.add_argument("--teacher", default=None, metavar="MODEL.keras",
                       help="distill this trained model into the run's "
                       "model (knowledge distillation, T=4, alpha=0.9; "
                       "teacher outputs cached when the recipe has no "
                       "augmentation)")
    train.add_argument("--init-from", default=None, metavar="ENCODER.keras",
                       help="start from a pretrained encoder (the "
                       "encoder.keras of a `pretrain` run) plus a new "
                       "classifier head, fine-tuned with the recipe")
    train.add_argument("--labels-fraction", type=_open_fraction,
                       default=None, metavar="F",
                       help="train on this fraction of the labelled "
                       "training images, stratified and seeded (e.g. 0.01)")
    train.add_argument("--quiet", action="store_true",
                       help="no progress bars")


SSL_METHODS = ("simclr", "vicreg", "mae")


def _add_pretrain(sub):
    pretrain = sub.add_parser(
        "pretrain", help="self-supervised pretraining of an encoder "
        "(SimCLR, VICReg or MAE) on a dataset's images, without labels")
    pretrain.add_argument("--method", default="simclr", choices=SSL_METHODS,
                          help="the pretraining method (default: simclr)")
    pretrain.add_argument("--dataset", default="fashion_mnist",
                          help=f"one of {', '.join(DATASETS)}")
    pretrain.add_argument("--epochs", type=_positive_int, default=10)
    pretrain.add_argument("--batch-size", type=_positive_int, default=256)
    pretrain.add_argument("--learning-rate", type=_positive_float,
                          default=None,
                          help="Adam(W)'s rate (default: 1e-3; 1.5e-3 "
                          "for mae)")
    pretrain.add_argument("--width", type=_positive_int, default=32,
                          help="small_resnet encoder width (simclr, vicreg)")
    pretrain.add_argument("--depth", type=_positive_int, default=8,
                          help="small_resnet encoder depth, 6n+2")
    pretrain.add_argument("--patch-size", type=_positive_int, default=4,
                          help="ViT patch size (mae)")
    pretrain.add_argument("--subset", type=_positive_int, default=None,
                          help="pretrain on the first N shuffled images")
    pretrain.add_argument("--probe-size", type=_positive_int, default=5000,
                          help="labelled training images the k-NN and "
                          "linear probes use (default: 5000)")
    pretrain.add_argument("--backend", default=None,
                          help=f"one of {', '.join(BACKENDS)}")
    pretrain.add_argument("--tracker", default="mlflow",
                          help=f"one of {', '.join(TRACKERS)}")
    pretrain.add_argument("--output", default="runs",
                          help="folder of the run folders (default: runs)")
    pretrain.add_argument("--seed", type=_non_negative_int, default=0)
    pretrain.add_argument("--quiet", action="store_true",
                          help="no progress bar")


def _add_evaluate(sub):
    evaluate = sub.add_parser(
        "evaluate", help="write the evaluation report of a saved model"
    )
    evaluate.add_argument("model_path", metavar="MODEL.keras")
    evaluate.add_argument("--dataset", default="fashion_mnist",
                          help=f"{', '.join(DATASETS)} or a PATH.npz")
    evaluate.add_argument("--output", default=None,
                          help="report folder (default: "
                          "<model folder>/evaluation-<dataset>)")
    evaluate.add_argument("--batch-size", type=_positive_int, default=256)
    evaluate.add_argument("--backend", default=None,
                          help="jax, tensorflow or torch")


def _add_runs(sub):
    runs = sub.add_parser("runs", help="list or compare tracked runs")
    runs.add_argument("--output", default="runs",
                      help="folder given to `train --output` "
                      "(default: runs)")
    runs.add_argument("--compare", nargs=2, metavar="RUN_ID", default=None,
                      help="show two runs side by side")


TUNERS = ("random", "grid", "bayesian", "hyperband")


def _add_tune(sub):
    tune = sub.add_parser(
        "tune", help="search a recipe's hyperparameters with KerasTuner")
    tune.add_argument("--dataset", default="fashion_mnist",
                      help=f"{', '.join(DATASETS)} or a PATH.npz "
                      "(default: fashion_mnist)")
    tune.add_argument("--model", default="small_resnet",
                      help="small_resnet (default)")
    tune.add_argument("--recipe", default="standard",
                      help=f"{', '.join(PRESETS)} (searched over its "
                      "default space) or a RECIPE.json (searched over its "
                      "learning rate) (default: standard)")
    tune.add_argument("--tuner", default="bayesian", choices=TUNERS,
                      help="KerasTuner tuner (default: bayesian)")
    tune.add_argument("--max-trials", type=_positive_int, default=10,
                      help="trials of random, grid and bayesian "
                      "(default: 10)")
    tune.add_argument("--cv", type=_positive_int, default=None,
                      help="score each trial by K-fold cross-validation "
                      "(default: one validation split)")
    tune.add_argument("--epochs", type=_positive_int, default=None,
                      help="epochs per trial (default: the recipe's)")
    tune.add_argument("--batch-size", type=_positive_int, default=None)
    tune.add_argument("--width", type=_positive_int, default=32,
                      help="small_resnet width (default: 32)")
    tune.add_argument("--depth", type=_positive_int, default=8,
                      help="small_resnet depth, 6n+2 (default: 8)")
    tune.add_argument("--subset", type=_positive_int, default=None,
                      help="search on the first N training images only")
    tune.add_argument("--validation-split", type=_fraction, default=0.2,
                      help="held-out fraction without --cv (default: 0.2)")
    tune.add_argument("--objective", default="val_accuracy",
                      help="trial metric to optimize (default: "
                      "val_accuracy)")
    tune.add_argument("--workers", type=_non_negative_int, default=0,
                      help="run the trials in N local worker processes "
                      "with a KerasTuner chief (default: 0, in this "
                      "process)")
    tune.add_argument("--backend", default=None,
                      help="jax, tensorflow or torch")
    tune.add_argument("--tracker", default="mlflow",
                      help="mlflow (default; trials are child runs in "
                      "--output's store) or none")
    tune.add_argument("--output", default="runs",
                      help="folder of the search folders and the tracking "
                      "store (default: runs)")
    tune.add_argument("--resume", default=None, metavar="DIR",
                      help="continue the search in DIR")
    tune.add_argument("--seed", type=_non_negative_int, default=0,
                      help="random seed (default: 0)")
    tune.add_argument("--quiet", action="store_true",
                      help="no progress lines")


def _threshold(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number in (0, 1], got {text!r}"
        ) from None


def _add_audit(sub):
    audit = sub.add_parser(
        "audit", help="find duplicates, train/test leaks, bad values and "
        "likely label errors in a dataset")
    audit.add_argument("--dataset", default="fashion_mnist",
                       help=f"{', '.join(DATASETS)} or a PATH.npz "
                       "(default: fashion_mnist)")
    audit.add_argument("--probabilities", default=None, metavar="PATH",
                       help="out-of-fold class probabilities of the "
                       "training set, (N, C) in a .npy (or a .npz with "
                       "`probabilities`), to find likely label errors "
                       "(default: none, no label-error search)")
    audit.add_argument("--near-threshold", type=_threshold, default=0.998,
                       help="cosine similarity from which two images are "
                       "near duplicates (default: 0.998)")
    audit.add_argument("--chunk-size", type=_positive_int, default=512,
                       help="rows compared at a time; bounds the memory "
                       "(default: 512)")
    audit.add_argument("--subset", type=_positive_int, default=None,
                       help="audit the first N training images only")
    audit.add_argument("--output", default="audit",
                       help="folder of audit.html and audit.json "
                       "(default: audit)")
    audit.add_argument("--quiet", action="store_true",
                       help="no progress lines")


# One entry per command: its name and the function adding its arguments.
# `keras_recipes.cli.app` runs `keras_recipes.cli.<name>.run`.
SUBCOMMANDS = (("train", _add_train), ("evaluate", _add_evaluate),
               ("runs", _add_runs), ("tune", _add_tune),
               ("audit", _add_audit), ("pretrain", _add_pretrain))


def build_parser():
    parser = _Parser(
        prog=PROG, allow_abbrev=False,
        description="Train, evaluate and compare Keras models with "
        "keras-recipes.",
    )
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_SubParser
    )
    for _, add in SUBCOMMANDS:
        add(sub)
    return parser
