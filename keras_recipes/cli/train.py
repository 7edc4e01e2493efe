"""`keras-recipes train`: train a model with a recipe and write a run
folder (model, recipe, metrics, report, plots), tracked and resumable."""

import datetime
import os
import signal
import time
import uuid

from keras_recipes.cli.common import check_backend
from keras_recipes.cli.common import format_table
from keras_recipes.cli.common import load_dataset
from keras_recipes.cli.common import load_recipe
from keras_recipes.cli.common import one_line
from keras_recipes.cli.common import read_json
from keras_recipes.cli.common import reexec_with_backend
from keras_recipes.cli.common import write_json
from keras_recipes.cli.parser import MODELS
from keras_recipes.cli.parser import PROG
from keras_recipes.cli.parser import TRACKERS
from keras_recipes.cli.parser import UsageError

# The arguments stored in run.json, and restored by `--resume`.
STORED_ARGS = ("dataset", "model", "recipe", "epochs", "batch_size", "width",
               "depth", "subset", "validation_split", "tracker", "seed")


class TrainingTerminated(Exception):
    """Raised in the main thread when the process receives SIGTERM."""


def _new_run_id():
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{uuid.uuid4().hex[:6]}"


def _previous_state(args):
    """The stored state of the run to resume, with its arguments restored
    into `args`; `{}` for a new run."""
    if not args.resume:
        return {}
    run_dir = os.path.join(args.output, args.resume)
    state = os.path.join(run_dir, "run.json")
    if not os.path.isfile(state):
        raise UsageError(
            f"no run {args.resume!r} in {args.output} (no {state})"
        )
    previous = read_json(state)
    if previous.get("status") == "FINISHED":
        raise UsageError(f"run {args.resume} already finished")
    for key in STORED_ARGS:
        setattr(args, key, previous["args"][key])
    for key in ("teacher", "init_from", "labels_fraction"):
        setattr(args, key, previous["args"].get(key))
    args.backend = args.backend or previous.get("backend")
    return previous


def _check_args(args):
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


def _split(x, y, args):
    """Shuffle with the seed, keep `--subset`, hold out the validation
    split: `(x, y), (x_val, y_val)`."""
    import numpy as np

    order = np.random.default_rng(args.seed).permutation(len(x))
    x, y = x[order], y[order]
    if args.subset:
        x, y = x[: args.subset], y[: args.subset]
    n_val = int(round(len(x) * args.validation_split))
    if n_val and len(x) - n_val < 1:
        raise UsageError("--validation-split leaves no training images")
    cut = len(x) - n_val
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def _load_model_flag(flag, path):
    """The Keras model saved at `path` for `flag`, or a one-line usage
    error naming the flag."""
    import keras

    if not os.path.isfile(path):
        raise UsageError(f"{flag}: no such file {path}")
    try:
        model = keras.saving.load_model(path)
    except Exception as e:  # any reason the file is not a Keras model
        raise UsageError(f"{flag}: cannot load {path}: {one_line(e)}") \
            from None
    if not isinstance(model, keras.Model):
        raise UsageError(f"{flag}: {path} is not a Keras model")
    return model


def _load_teacher(path, input_shape, num_classes):
    """The `--teacher` model, checked against the dataset."""
    teacher = _load_model_flag("--teacher", path)
    expected = (None, *tuple(input_shape))
    teacher_in = tuple(teacher.input_shape)
    teacher_out = tuple(teacher.output_shape)
    if teacher_in != expected:
        raise UsageError(
            f"--teacher: {path} takes inputs of shape {teacher_in}, the "
            f"dataset's images have shape {expected}"
        )
    if teacher_out[-1] != num_classes:
        raise UsageError(
            f"--teacher: {path} outputs {teacher_out[-1]} classes, the "
            f"dataset has {num_classes}"
        )
    return teacher


def _from_encoder(path, input_shape, num_classes):
    """A classifier: the `--init-from` encoder plus a new softmax head."""
    import keras

    encoder = _load_model_flag("--init-from", path)
    expected = (None, *tuple(input_shape))
    if tuple(encoder.input_shape) != expected:
        raise UsageError(
            f"--init-from: {path} takes inputs of shape "
            f"{tuple(encoder.input_shape)}, the dataset's images have "
            f"shape {expected}"
        )
    if len(encoder.output_shape) != 2:
        raise UsageError(
            f"--init-from: {path} outputs shape {encoder.output_shape}; "
            "expected pooled features (batch, D), e.g. the encoder.keras "
            f"of `{PROG} pretrain`"
        )
    inputs = keras.Input(tuple(input_shape), name="images")
    features = encoder(inputs)
    outputs = keras.layers.Dense(num_classes, activation="softmax",
                                 name="predictions", dtype="float32")(features)
    return keras.Model(inputs, outputs, name="fine_tuned")


def _outputs_probabilities(teacher, x):
    """Whether the teacher's outputs look like probabilities (rows in
    [0, 1] summing to 1), checked on a few images."""
    import numpy as np

    p = teacher.predict(x[:64], verbose=0)
    return bool(np.all(p >= 0) and np.all(p <= 1)
                and np.allclose(p.sum(axis=-1), 1.0, atol=1e-3))


def _distill(recipe, teacher, model, x, y, x_val, y_val, num_classes,
             callbacks, verbose):
    """Fit `model` distilled from `teacher` with the recipe: cached teacher
    outputs without augmentation, else the live teacher on the augmented
    batches. Returns `(history, "cached" or "live")`."""
    import keras
    import numpy as np

    from keras_recipes import distillation
    from keras_recipes.recipes import Recipe
    from keras_recipes.recipes.recipe import _fresh_layer

    kwargs = dict(
        temperature=4.0, alpha=0.9,
        teacher_from_logits=not _outputs_probabilities(teacher, x),
        student_from_logits=not _outputs_probabilities(model, x),
    )
    if not recipe.augment:
        def targets(images, labels):
            return {"labels": np.eye(num_classes, dtype="float32")[labels],
                    "teacher": distillation.cache_teacher(teacher, images)}

        distiller = distillation.Distiller(None, model, **kwargs)
        recipe.compile(distiller,
                       steps_per_epoch=recipe.steps_per_epoch(len(x)))
        if recipe.seed is not None:
            keras.utils.set_random_seed(recipe.seed)
        history = distiller.fit(
            x, targets(x, y), batch_size=recipe.batch_size,
            epochs=recipe.epochs, shuffle=True,
            validation_data=(x_val, targets(x_val, y_val))
            if len(x_val) else None,
            callbacks=recipe.build_callbacks() + list(callbacks),
            verbose=verbose,
        )
        return history, "cached"
    if recipe.augment_placement == "model":
        # The Distiller runs the augmentations in its own train step, so
        # the teacher sees the augmented batch (an AugmentedModel around
        # the Distiller would skip the distillation loss).
        layers = [_fresh_layer(layer, recipe.seed, i)
                  for i, layer in enumerate(recipe.augment)]
        distiller = distillation.Distiller(teacher, model, augment=layers,
                                           **kwargs)
        recipe = Recipe.from_config({**recipe.get_config(), "augment": None})
    else:
        distiller = distillation.Distiller(teacher, model, **kwargs)
    history = recipe.fit(
        distiller, x, y,
        validation_data=(x_val, y_val) if len(x_val) else None,
        callbacks=callbacks, verbose=verbose,
    )
    return history, "live"


def run(args, argv):
    from keras_recipes.tracking.base import end_status
    from keras_recipes.tracking.runs import best_value
    from keras_recipes.tracking.runs import read_history

    output = args.output
    previous = _previous_state(args)
    check_backend(args.backend)
    reexec_with_backend(args.backend, argv)
    _check_args(args)
    recipe = load_recipe(args.recipe)
    (x, y), (x_test, y_test), class_names = load_dataset(args.dataset)

    import keras

    import keras_recipes
    from keras_recipes.evaluation import evaluate
    from keras_recipes.tracking import make_tracker
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
    (x, y), (x_val, y_val) = _split(x, y, args)
    num_classes = len(class_names)
    if args.labels_fraction is not None and args.labels_fraction < 1:
        from keras_recipes.data import stratified_subset

        keep = stratified_subset(y, args.labels_fraction, seed=args.seed)
        x, y = x[keep], y[keep]

    teacher = None
    if args.teacher:
        teacher = _load_teacher(args.teacher, x.shape[1:], num_classes)

    run_id = args.resume or _new_run_id()
    run_dir = os.path.join(output, run_id)
    os.makedirs(run_dir, exist_ok=True)
    backend = keras.backend.backend()
    state = {
        "run_id": run_id,
        "status": "RUNNING",
        "backend": backend,
        "args": {**{k: getattr(args, k) for k in STORED_ARGS},
                 "teacher": args.teacher, "init_from": args.init_from,
                 "labels_fraction": args.labels_fraction},
        "recipe_name": recipe.name,
        "started": previous.get("started", time.time()),
        "tracker_run_id": previous.get("tracker_run_id"),
        "resumed": previous.get("resumed", 0) + (1 if args.resume else 0),
    }
    state_path = os.path.join(run_dir, "run.json")
    history_path = os.path.join(run_dir, "history.csv")
    recipe.to_json(os.path.join(run_dir, "recipe.json"))
    hyperparameters = {
        "dataset": args.dataset, "model": args.model,
        "recipe_name": recipe.name, "width": args.width,
        "depth": args.depth, "train_images": len(x),
        "validation_images": len(x_val), "test_images": len(x_test),
        "seed": args.seed, "recipe": recipe.get_config(),
        "teacher": args.teacher, "init_from": args.init_from,
        "labels_fraction": args.labels_fraction,
    }
    tracker = make_tracker(
        args.tracker, output, run_dir, run_id,
        resume_id=previous.get("tracker_run_id"),
        tags={"keras_recipes.run_id": run_id, "dataset": args.dataset,
              "recipe": recipe.name},
        hyperparameters=hyperparameters,
    )

    if args.init_from:
        model = _from_encoder(args.init_from, x.shape[1:], num_classes)
    else:
        model = keras_recipes.models.small_resnet(
            x.shape[1:], num_classes, width=args.width, depth=args.depth
        )
    callbacks = [
        keras.callbacks.BackupAndRestore(os.path.join(run_dir, "backup")),
        keras.callbacks.CSVLogger(history_path, append=True),
    ]
    if tracker is not None:
        callbacks.append(tracker)

    def on_sigterm(signum, frame):
        raise TrainingTerminated("terminated by SIGTERM")

    previous_handler = signal.signal(signal.SIGTERM, on_sigterm)
    model_name = "encoder + head" if args.init_from else args.model
    print(
        f"{PROG}: run {run_id}: {model_name} (width {args.width}, depth "
        f"{args.depth}) on {args.dataset} ({len(x)} train / {len(x_val)} "
        f"validation / {len(x_test)} test images), recipe {recipe.name}, "
        f"{recipe.epochs} epochs, backend {backend}, tracker {args.tracker}"
        + (" (resumed)" if args.resume else "")
        + (f", distilled from {args.teacher}" if teacher is not None
           else "")
        + (f", initialised from {args.init_from}" if args.init_from
           else ""),
        flush=True,
    )
    try:
        if tracker is not None:
            try:
                tracker.start()
            except MissingOptionalDependency as e:
                raise UsageError(one_line(e)) from None
            state["tracker_run_id"] = getattr(tracker, "run_id", None)
        write_json(state_path, state)
        start = time.time()
        verbose = 0 if args.quiet else "auto"
        if teacher is None:
            history = recipe.fit(
                model, x, y,
                validation_data=(x_val, y_val) if len(x_val) else None,
                callbacks=callbacks, verbose=verbose,
            )
        else:
            history, state["distillation"] = _distill(
                recipe, teacher, model, x, y, x_val, y_val, num_classes,
                callbacks, verbose,
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
        rows = read_history(history_path)
        summary = {
            "test_accuracy": report.accuracy,
            "test_macro_f1": report.macro_f1,
            "test_ece": report.ece,
            "best_val_accuracy": best_value(rows, "val_accuracy"),
            "wall_time_s": time.time() - state["started"]
            if args.resume else fit_seconds,
            "fit_seconds": fit_seconds,
            "seconds_per_epoch": fit_seconds / max(epochs_run, 1),
            "images_per_second": images_per_second,
            "epochs": len(rows) or epochs_run,
        }
        write_json(os.path.join(run_dir, "metrics.json"), {
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
        write_json(state_path, state)
    except BaseException as e:
        status = end_status(e)
        if tracker is not None and tracker.active:
            tracker.end(status)
        state["status"] = status
        state["error"] = one_line(e)
        state["finished"] = time.time()
        write_json(state_path, state)
        if isinstance(e, TrainingTerminated):
            done = len(read_history(history_path))
            raise RuntimeError(
                f"run {run_id} terminated after epoch {done}; resume it "
                f"with: {PROG} train --resume {run_id} --output {output}"
            ) from None
        raise
    finally:
        signal.signal(signal.SIGTERM, previous_handler)

    print()
    print(format_table(
        ["run", "test accuracy", "macro F1", "ECE", "wall time",
         "images/s"],
        [[run_id, f"{report.accuracy:.4f}", f"{report.macro_f1:.4f}",
          f"{report.ece:.4f}", f"{summary['fit_seconds']:.1f} s",
          f"{images_per_second:.0f}"]],
    ))
    print(f"run folder: {run_dir} (model.keras, recipe.json, "
          f"metrics.json, report.html, {len(plots)} PNG plots)")
    if args.tracker == "mlflow":
        store = os.path.join(output, "mlruns.db")
        print(f"tracking store: sqlite:///{store} (mlflow ui "
              f"--backend-store-uri sqlite:///{store})")
    return 0
