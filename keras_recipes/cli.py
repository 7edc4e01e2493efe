"""The `keras-recipes` command line: train, evaluate, runs.

    keras-recipes train --dataset fashion_mnist --recipe standard --epochs 3
    keras-recipes evaluate runs/<id>/model.keras --dataset fashion_mnist
    keras-recipes runs [--compare ID ID]

Every bad argument ends with one line on stderr and a non-zero exit code;
no traceback is printed (set KERAS_RECIPES_DEBUG=1 to see one).
"""

import argparse
import datetime
import json
import os
import signal
import sys
import time
import uuid

PROG = "keras-recipes"
DATASETS = ("fashion_mnist", "digits")
MODELS = ("small_resnet",)
BACKENDS = ("jax", "tensorflow", "torch")
TRACKERS = ("mlflow", "tensorboard", "jsonl", "wandb", "none")
PRESETS = ("baseline", "standard", "strong")
EXPERIMENT = "keras-recipes"
# Test hook: send SIGTERM to this process at the end of that epoch (1-based),
# the way a scheduler or an out-of-memory killer would stop a job.
KILL_ENV = "KERAS_RECIPES_TEST_KILL_AFTER_EPOCH"


class UsageError(Exception):
    """A bad argument: one line, exit code 2."""


class TrainingTerminated(Exception):
    """Raised in the main thread when the process receives SIGTERM."""


# --------------------------------------------------------------- arguments
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


def build_parser():
    parser = _Parser(
        prog=PROG, allow_abbrev=False,
        description="Train, evaluate and compare Keras models with "
        "keras-recipes.",
    )
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_SubParser
    )

    train = sub.add_parser(
        "train", help="train a model with a recipe and write a run folder"
    )
    train.add_argument("--dataset", default="fashion_mnist",
                       help="fashion_mnist, digits or a PATH.npz with "
                       "x_train, y_train, x_test, y_test "
                       "(default: fashion_mnist)")
    train.add_argument("--model", default="small_resnet",
                       help="small_resnet (default)")
    train.add_argument("--recipe", default="standard",
                       help="baseline, standard, strong or a RECIPE.json "
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
                       help="mlflow, tensorboard, jsonl, wandb or none "
                       "(default: mlflow, a SQLite store in --output)")
    train.add_argument("--output", default="runs",
                       help="folder of the run folders and the tracking "
                       "store (default: runs)")
    train.add_argument("--resume", default=None, metavar="RUN_ID",
                       help="continue an interrupted run in the same "
                       "tracked run")
    train.add_argument("--seed", type=_non_negative_int, default=0,
                       help="random seed (default: 0)")
    train.add_argument("--quiet", action="store_true",
                       help="no progress bars")

    evaluate = sub.add_parser(
        "evaluate", help="write the evaluation report of a saved model"
    )
    evaluate.add_argument("model_path", metavar="MODEL.keras")
    evaluate.add_argument("--dataset", default="fashion_mnist",
                          help="fashion_mnist, digits or a PATH.npz")
    evaluate.add_argument("--output", default=None,
                          help="report folder (default: "
                          "<model folder>/evaluation-<dataset>)")
    evaluate.add_argument("--batch-size", type=_positive_int, default=256)
    evaluate.add_argument("--backend", default=None,
                          help="jax, tensorflow or torch")

    runs = sub.add_parser("runs", help="list or compare tracked runs")
    runs.add_argument("--output", default="runs",
                      help="folder given to `train --output` "
                      "(default: runs)")
    runs.add_argument("--compare", nargs=2, metavar="RUN_ID", default=None,
                      help="show two runs side by side")
    return parser


# ------------------------------------------------------------------ backend
def _check_backend(name):
    if name is not None and name not in BACKENDS:
        raise UsageError(
            f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}"
        )


def _reexec_with_backend(backend, argv):
    """Keras picks its backend at import time, so switching means a fresh
    interpreter with KERAS_BACKEND set."""
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


# ------------------------------------------------------------------ datasets
def load_dataset(name):
    """`(x_train, y_train), (x_test, y_test), class_names`, images as
    float32 (N, H, W, C) in 0-255."""
    import numpy as np

    import keras_recipes

    if name == "fashion_mnist":
        module = keras_recipes.datasets.fashion_mnist
        (x, y), (xt, yt) = module.load_data()
        names = list(getattr(module, "CLASS_NAMES", [])) or None
    elif name == "digits":
        (x, y), (xt, yt) = keras_recipes.datasets.digits.load_data()
        names = [str(i) for i in range(10)]
    elif name.endswith(".npz"):
        if not os.path.isfile(name):
            raise UsageError(f"dataset file not found: {name}")
        try:
            with np.load(name, allow_pickle=False) as data:
                missing = [
                    k for k in ("x_train", "y_train", "x_test", "y_test")
                    if k not in data.files
                ]
                if missing:
                    raise UsageError(
                        f"dataset file {name} lacks the arrays {missing}; "
                        "expected x_train, y_train, x_test, y_test"
                    )
                x, y = data["x_train"], data["y_train"]
                xt, yt = data["x_test"], data["y_test"]
                names = (
                    [str(c) for c in data["class_names"]]
                    if "class_names" in data.files else None
                )
        except UsageError:
            raise
        except Exception as e:  # noqa: BLE001 - any unreadable file
            raise UsageError(
                f"cannot read dataset file {name}: {_one_line(e)}"
            ) from None
    else:
        raise UsageError(
            f"unknown dataset {name!r}; expected fashion_mnist, digits or a "
            "PATH.npz"
        )

    def images(a, arg):
        a = np.asarray(a)
        if a.ndim == 3:
            a = a[..., None]
        if a.ndim != 4:
            raise UsageError(
                f"{arg} must hold images (N, H, W) or (N, H, W, C); got "
                f"shape {a.shape}"
            )
        return a.astype("float32")

    def labels(a, n, arg):
        a = np.asarray(a).reshape(-1)
        if a.shape[0] != n or not np.issubdtype(a.dtype, np.integer):
            raise UsageError(
                f"{arg} must hold {n} integer class ids; got shape "
                f"{a.shape} and dtype {a.dtype}"
            )
        return a.astype("int64")

    x, xt = images(x, "x_train"), images(xt, "x_test")
    y, yt = labels(y, len(x), "y_train"), labels(yt, len(xt), "y_test")
    num_classes = int(max(y.max(), yt.max())) + 1
    if names is None or len(names) != num_classes:
        names = [str(i) for i in range(num_classes)]
    return (x, y), (xt, yt), names


# ------------------------------------------------------------------- recipe
def load_recipe(spec):
    from keras_recipes.recipes import Recipe

    if spec in PRESETS:
        return Recipe.from_preset(spec)
    if spec.endswith(".json"):
        if not os.path.isfile(spec):
            raise UsageError(f"recipe file not found: {spec}")
        try:
            return Recipe.from_json(spec)
        except (ValueError, TypeError) as e:
            raise UsageError(
                f"malformed recipe file {spec}: {_one_line(e)}"
            ) from None
    raise UsageError(
        f"unknown recipe {spec!r}; expected baseline, standard, strong or "
        "a RECIPE.json"
    )


# ------------------------------------------------------------------ helpers
def _one_line(error):
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())


def _new_run_id():
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{uuid.uuid4().hex[:6]}"


def _read_json(path):
    with open(path) as f:
        return json.load(f)


def _write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, default=_json_default)
    os.replace(tmp, path)


def _json_default(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _format_table(headers, rows):
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


def _make_tracker(kind, output, run_dir, run_id, previous, hyperparameters):
    from keras_recipes import tracking

    tags = {
        "keras_recipes.run_id": run_id,
        "dataset": hyperparameters["dataset"],
        "recipe": hyperparameters["recipe_name"],
    }
    if kind == "mlflow":
        uri = "sqlite:///" + os.path.join(os.path.abspath(output),
                                          "mlruns.db")
        return tracking.MLflowTracker(
            uri, experiment_name=EXPERIMENT, run_name=run_id,
            run_id=previous.get("tracker_run_id"), tags=tags,
            hyperparameters=hyperparameters,
        )
    if kind == "tensorboard":
        return tracking.TensorBoardTracker(
            os.path.join(run_dir, "tensorboard"),
            hyperparameters=hyperparameters,
        )
    if kind == "jsonl":
        return tracking.JSONLTracker(
            os.path.join(run_dir, "tracking.jsonl"),
            hyperparameters=hyperparameters,
        )
    if kind == "wandb":
        return tracking.WandbTracker(
            dir=run_dir, mode="offline", run_name=run_id,
            run_id=previous.get("tracker_run_id"),
            hyperparameters=hyperparameters,
        )
    return None


def _kill_callback():
    import keras

    epoch = os.environ.get(KILL_ENV)
    if not epoch:
        return None
    epoch = int(epoch)

    class KillAfterEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, e, logs=None):
            if e + 1 == epoch:
                os.kill(os.getpid(), signal.SIGTERM)

    return KillAfterEpoch()


def _history_rows(path):
    import csv

    if not os.path.isfile(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _best(rows, key):
    values = []
    for row in rows:
        try:
            values.append(float(row[key]))
        except (KeyError, TypeError, ValueError):
            continue
    return max(values) if values else None


# -------------------------------------------------------------------- train
def cmd_train(args, argv):
    output = args.output
    previous = {}
    if args.resume:
        run_dir = os.path.join(output, args.resume)
        state = os.path.join(run_dir, "run.json")
        if not os.path.isfile(state):
            raise UsageError(
                f"no run {args.resume!r} in {output} (no {state})"
            )
        previous = _read_json(state)
        if previous.get("status") == "FINISHED":
            raise UsageError(f"run {args.resume} already finished")
        stored = previous["args"]
        for key in ("dataset", "model", "recipe", "epochs", "batch_size",
                    "width", "depth", "subset", "validation_split",
                    "tracker", "seed"):
            setattr(args, key, stored[key])
        args.backend = args.backend or previous.get("backend")
    _check_backend(args.backend)
    _reexec_with_backend(args.backend, argv)

    if args.model not in MODELS:
        raise UsageError(
            f"unknown model {args.model!r}; expected one of "
            f"{', '.join(MODELS)}"
        )
    if args.tracker not in TRACKERS:
        raise UsageError(
            f"unknown tracker {args.tracker!r}; expected one of "
            f"{', '.join(TRACKERS)}"
        )
    if (args.depth - 2) % 6 or args.depth < 8:
        raise UsageError(f"--depth must be 6n+2 (8, 14, 20, ...), got "
                         f"{args.depth}")
    recipe = load_recipe(args.recipe)
    (x, y), (x_test, y_test), class_names = load_dataset(args.dataset)

    import keras
    import numpy as np

    import keras_recipes
    from keras_recipes.evaluation import evaluate
    from keras_recipes.utils.optional import MissingOptionalDependency

    overrides = {"seed": args.seed}
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    if args.batch_size is not None:
        overrides["batch_size"] = args.batch_size
    recipe = keras_recipes.recipes.Recipe.from_config(
        {**recipe.get_config(), **overrides}
    )
    args.epochs, args.batch_size = recipe.epochs, recipe.batch_size

    keras.utils.set_random_seed(args.seed)
    order = np.random.default_rng(args.seed).permutation(len(x))
    x, y = x[order], y[order]
    if args.subset:
        x, y = x[: args.subset], y[: args.subset]
    n_val = int(round(len(x) * args.validation_split))
    if n_val and len(x) - n_val < 1:
        raise UsageError("--validation-split leaves no training images")
    x_val, y_val = x[len(x) - n_val:], y[len(y) - n_val:]
    x, y = x[: len(x) - n_val], y[: len(y) - n_val]
    num_classes = len(class_names)

    run_id = args.resume or _new_run_id()
    run_dir = os.path.join(output, run_id)
    os.makedirs(run_dir, exist_ok=True)
    backend = keras.backend.backend()
    stored_args = {
        k: getattr(args, k) for k in (
            "dataset", "model", "recipe", "epochs", "batch_size", "width",
            "depth", "subset", "validation_split", "tracker", "seed",
        )
    }
    state = {
        "run_id": run_id,
        "status": "RUNNING",
        "backend": backend,
        "args": stored_args,
        "recipe_name": recipe.name,
        "started": previous.get("started", time.time()),
        "tracker_run_id": previous.get("tracker_run_id"),
        "resumed": previous.get("resumed", 0) + (1 if args.resume else 0),
    }
    state_path = os.path.join(run_dir, "run.json")
    recipe.to_json(os.path.join(run_dir, "recipe.json"))
    hyperparameters = {
        "dataset": args.dataset, "model": args.model,
        "recipe_name": recipe.name, "width": args.width,
        "depth": args.depth, "train_images": len(x),
        "validation_images": len(x_val), "test_images": len(x_test),
        "seed": args.seed, "recipe": recipe.get_config(),
    }
    tracker = _make_tracker(args.tracker, output, run_dir, run_id, previous,
                            hyperparameters)

    model = keras_recipes.models.small_resnet(
        x.shape[1:], num_classes, width=args.width, depth=args.depth
    )
    callbacks = [
        keras.callbacks.BackupAndRestore(os.path.join(run_dir, "backup")),
        keras.callbacks.CSVLogger(os.path.join(run_dir, "history.csv"),
                                  append=True),
    ]
    if tracker is not None:
        callbacks.append(tracker)
    kill = _kill_callback()
    if kill is not None:
        callbacks.append(kill)

    def on_sigterm(signum, frame):
        raise TrainingTerminated("terminated by SIGTERM")

    previous_handler = signal.signal(signal.SIGTERM, on_sigterm)
    print(
        f"{PROG}: run {run_id}: {args.model} (width {args.width}, depth "
        f"{args.depth}) on {args.dataset} ({len(x)} train / {len(x_val)} "
        f"validation / {len(x_test)} test images), recipe {recipe.name}, "
        f"{recipe.epochs} epochs, backend {backend}, tracker {args.tracker}"
        + (" (resumed)" if args.resume else ""),
        flush=True,
    )
    try:
        if tracker is not None:
            try:
                tracker.start()
            except MissingOptionalDependency as e:
                raise UsageError(_one_line(e)) from None
            state["tracker_run_id"] = getattr(tracker, "run_id", None)
        _write_json(state_path, state)
        start = time.time()
        history = recipe.fit(
            model, x, y,
            validation_data=(x_val, y_val) if n_val else None,
            callbacks=callbacks, verbose=0 if args.quiet else "auto",
        )
        fit_seconds = time.time() - start
        epochs_run = len(history.history.get("loss", []))
        images_per_second = epochs_run * len(x) / max(fit_seconds, 1e-9)

        report = evaluate(
            model, x_test, y_test, class_names=class_names,
            title=f"{PROG} run {run_id}: {args.model} / {recipe.name} on "
            f"{args.dataset}",
        )
        model.save(os.path.join(run_dir, "model.keras"))
        report.to_html(os.path.join(run_dir, "report.html"))
        plots = report.save_plots(run_dir)
        rows = _history_rows(os.path.join(run_dir, "history.csv"))
        summary = {
            "test_accuracy": report.accuracy,
            "test_macro_f1": report.macro_f1,
            "test_ece": report.ece,
            "best_val_accuracy": _best(rows, "val_accuracy"),
            "wall_time_s": time.time() - state["started"]
            if args.resume else fit_seconds,
            "fit_seconds": fit_seconds,
            "seconds_per_epoch": fit_seconds / max(epochs_run, 1),
            "images_per_second": images_per_second,
            "epochs": len(rows) or epochs_run,
        }
        _write_json(os.path.join(run_dir, "metrics.json"), {
            "summary": summary,
            "history": rows,
            "evaluation": report.to_dict(),
        })
        if tracker is not None:
            tracker.log_metrics(
                {
                    "test/accuracy": report.accuracy,
                    "test/macro_f1": report.macro_f1,
                    "test/ece": report.ece,
                    "test/log_loss": report.log_loss,
                    "time/fit_seconds": fit_seconds,
                    "time/images_per_second": images_per_second,
                },
                step=summary["epochs"],
            )
            for name in ("model.keras", "report.html", "recipe.json",
                         "metrics.json"):
                tracker.log_artifact(os.path.join(run_dir, name))
            for path in plots.values():
                tracker.log_artifact(path)
            tracker.end("FINISHED")
        state.update(status="FINISHED", summary=summary,
                     finished=time.time())
        _write_json(state_path, state)
    except BaseException as e:
        status = "KILLED" if isinstance(e, KeyboardInterrupt) else "FAILED"
        if tracker is not None and tracker.active:
            tracker.end(status)
        state["status"] = status
        state["error"] = _one_line(e)
        state["finished"] = time.time()
        _write_json(state_path, state)
        if isinstance(e, TrainingTerminated):
            done = len(_history_rows(os.path.join(run_dir, "history.csv")))
            raise RuntimeError(
                f"run {run_id} terminated after epoch {done}; resume it "
                f"with: {PROG} train --resume {run_id} --output {output}"
            ) from None
        raise
    finally:
        signal.signal(signal.SIGTERM, previous_handler)

    print()
    print(_format_table(
        ["run", "test accuracy", "macro F1", "ECE", "wall time",
         "images/s"],
        [[run_id, f"{report.accuracy:.4f}", f"{report.macro_f1:.4f}",
          f"{report.ece:.4f}", f"{summary['fit_seconds']:.1f} s",
          f"{images_per_second:.0f}"]],
    ))
    print(f"run folder: {run_dir} (model.keras, recipe.json, "
          f"metrics.json, report.html, {len(plots)} PNG plots)")
    if args.tracker == "mlflow":
        print(f"tracking store: sqlite:///{os.path.join(output, 'mlruns.db')}"
              f" (mlflow ui --backend-store-uri sqlite:///"
              f"{os.path.join(output, 'mlruns.db')})")
    return 0


# ----------------------------------------------------------------- evaluate
def cmd_evaluate(args, argv):
    _check_backend(args.backend)
    if not args.model_path.endswith(".keras"):
        raise UsageError(
            f"expected a .keras model file, got {args.model_path!r}"
        )
    if not os.path.isfile(args.model_path):
        raise UsageError(f"model file not found: {args.model_path}")
    _reexec_with_backend(args.backend, argv)
    (_, _), (x_test, y_test), class_names = load_dataset(args.dataset)

    import keras

    import keras_recipes  # noqa: F401 - registers the custom objects
    from keras_recipes.evaluation import evaluate

    try:
        model = keras.saving.load_model(args.model_path, safe_mode=True)
    except Exception as e:  # noqa: BLE001 - any unreadable model
        raise UsageError(
            f"cannot load model {args.model_path}: {_one_line(e)}"
        ) from None
    if tuple(model.input_shape[1:]) != tuple(x_test.shape[1:]):
        raise UsageError(
            f"model input shape {tuple(model.input_shape[1:])} does not "
            f"match the dataset's images {tuple(x_test.shape[1:])}"
        )
    if int(model.output_shape[-1]) != len(class_names):
        raise UsageError(
            f"model has {model.output_shape[-1]} outputs but the dataset "
            f"has {len(class_names)} classes"
        )
    dataset_tag = os.path.splitext(os.path.basename(args.dataset))[0]
    output = args.output or os.path.join(
        os.path.dirname(os.path.abspath(args.model_path)),
        f"evaluation-{dataset_tag}",
    )
    start = time.time()
    report = evaluate(
        model, x_test, y_test, class_names=class_names,
        batch_size=args.batch_size,
        title=f"{PROG} evaluate {os.path.basename(args.model_path)} on "
        f"{args.dataset}",
    )
    seconds = time.time() - start
    os.makedirs(output, exist_ok=True)
    report.to_html(os.path.join(output, "report.html"))
    plots = report.save_plots(output)
    _write_json(os.path.join(output, "metrics.json"),
                {"evaluation": report.to_dict()})
    print(_format_table(
        ["model", "test accuracy", "macro F1", "ECE", "time", "images/s"],
        [[os.path.basename(args.model_path), f"{report.accuracy:.4f}",
          f"{report.macro_f1:.4f}", f"{report.ece:.4f}", f"{seconds:.1f} s",
          f"{len(x_test) / max(seconds, 1e-9):.0f}"]],
    ))
    print(f"report: {os.path.join(output, 'report.html')} "
          f"({len(plots)} PNG plots)")
    return 0


# --------------------------------------------------------------------- runs
def _mlflow_runs(output):
    """Runs in the SQLite store, as dicts keyed by our run id."""
    db = os.path.join(output, "mlruns.db")
    if not os.path.isfile(db):
        return {}
    from keras_recipes.tracking.mlflow import mlflow_client

    client = mlflow_client("sqlite:///" + os.path.abspath(db))
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        return {}
    found = {}
    for run in client.search_runs([experiment.experiment_id]):
        rid = run.data.tags.get("keras_recipes.run_id", run.info.run_id)
        val = [m.value for m in client.get_metric_history(
            run.info.run_id, "val_accuracy")]
        end = run.info.end_time or run.info.start_time
        found[rid] = {
            "id": rid,
            "status": run.info.status,
            "dataset": run.data.params.get("dataset"),
            "recipe": run.data.params.get("recipe_name"),
            "best_val_accuracy": max(val) if val else None,
            "test_accuracy": run.data.metrics.get("test/accuracy"),
            "started": run.info.start_time / 1000.0,
            "duration": (end - run.info.start_time) / 1000.0,
            "params": dict(run.data.params),
            "metrics": dict(run.data.metrics),
            "source": "mlflow",
        }
    return found


def _folder_runs(output):
    found = {}
    if not os.path.isdir(output):
        return found
    for name in sorted(os.listdir(output)):
        path = os.path.join(output, name, "run.json")
        if not os.path.isfile(path):
            continue
        try:
            state = _read_json(path)
        except (OSError, ValueError):
            continue
        summary = state.get("summary", {})
        rows = _history_rows(os.path.join(output, name, "history.csv"))
        from keras_recipes.tracking.base import flatten_params

        params = {k: v for k, v in state.get("args", {}).items()}
        recipe_path = os.path.join(output, name, "recipe.json")
        if os.path.isfile(recipe_path):
            try:
                params.update(flatten_params(
                    _read_json(recipe_path).get("config", {}), "recipe"))
            except (OSError, ValueError):
                pass
        found[name] = {
            "id": name,
            "status": state.get("status"),
            "dataset": state.get("args", {}).get("dataset"),
            "recipe": state.get("recipe_name"),
            "best_val_accuracy": _best(rows, "val_accuracy"),
            "test_accuracy": summary.get("test_accuracy"),
            "started": state.get("started"),
            "duration": (state.get("finished") or time.time())
            - state.get("started", time.time())
            if state.get("started") else None,
            "params": params,
            "metrics": summary,
            "source": state.get("args", {}).get("tracker"),
        }
    return found


def collect_runs(output):
    """Every run of the MLflow store and of the run folders.

    For a run in both, the store gives the status (it is what `mlflow ui`
    shows) and the run folder the parameters and summary metrics, so runs
    tracked with different trackers compare field by field.
    """
    runs = _folder_runs(output)
    for rid, tracked in _mlflow_runs(output).items():
        if rid in runs:
            runs[rid]["status"] = tracked["status"]
            for key in ("best_val_accuracy", "test_accuracy"):
                if runs[rid][key] is None:
                    runs[rid][key] = tracked[key]
        else:
            runs[rid] = tracked
    return sorted(runs.values(), key=lambda r: r.get("started") or 0)


def _fmt(value, digits=4):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def cmd_runs(args, argv):
    if not os.path.isdir(args.output):
        raise UsageError(f"no runs folder {args.output!r}")
    runs = collect_runs(args.output)
    if args.compare:
        by_id = {r["id"]: r for r in runs}
        for rid in args.compare:
            if rid not in by_id:
                raise UsageError(f"no run {rid!r} in {args.output}")
        a, b = (by_id[rid] for rid in args.compare)
        rows = [["status", a["status"], b["status"], ""]]
        for section in ("params", "metrics"):
            keys = sorted(set(a[section]) | set(b[section]))
            for key in keys:
                va = _fmt(a[section].get(key))
                vb = _fmt(b[section].get(key))
                rows.append([f"{section[:-1]}: {key}", va, vb,
                             "*" if va != vb else ""])
        print(_format_table(["", a["id"], b["id"], "differs"], rows))
        return 0
    if not runs:
        print(f"no runs in {args.output}")
        return 0
    rows = []
    for r in runs:
        started = (
            datetime.datetime.fromtimestamp(r["started"]).strftime(
                "%Y-%m-%d %H:%M") if r.get("started") else "-"
        )
        rows.append([
            r["id"], r["status"], r["dataset"], r["recipe"],
            _fmt(r["best_val_accuracy"]), _fmt(r["test_accuracy"]),
            started,
            f"{r['duration']:.0f} s" if r.get("duration") is not None
            else "-",
        ])
    print(_format_table(
        ["id", "status", "dataset", "recipe", "best val acc", "test acc",
         "started", "time"], rows,
    ))
    return 0


# --------------------------------------------------------------------- main
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
        command = {"train": cmd_train, "evaluate": cmd_evaluate,
                   "runs": cmd_runs}[args.command]
        return command(args, argv)
    except UsageError as e:
        print(f"{PROG}: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001 - one line, never a traceback
        if debug:
            raise
        print(f"{PROG}: error: {type(e).__name__}: {_one_line(e)}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
