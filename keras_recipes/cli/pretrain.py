"""`keras-recipes pretrain`: self-supervised pretraining of an encoder
(SimCLR, VICReg or MAE) on a dataset's images, without their labels. The
run folder holds `encoder.keras` (for `train --init-from`), the history with
the k-NN probe per epoch, and the probe accuracies."""

import os
import time

from keras_recipes.cli.common import check_backend
from keras_recipes.cli.common import format_table
from keras_recipes.cli.common import load_dataset
from keras_recipes.cli.common import one_line
from keras_recipes.cli.common import reexec_with_backend
from keras_recipes.cli.common import write_json
from keras_recipes.cli.parser import PROG
from keras_recipes.cli.parser import TRACKERS
from keras_recipes.cli.parser import UsageError

DEFAULT_LEARNING_RATES = {"simclr": 1e-3, "vicreg": 1e-3, "mae": 1.5e-3}


def build_method(method, image_shape, width=32, depth=8, patch_size=4,
                 seed=0):
    """The pretraining model of `method` for images of `image_shape`:
    SimCLR or VICReg around a `small_resnet` encoder, or an MAE."""
    from keras_recipes import models
    from keras_recipes import ssl

    if method == "mae":
        if image_shape[0] % patch_size or image_shape[1] % patch_size:
            raise UsageError(
                f"--patch-size {patch_size} does not divide the "
                f"{image_shape[0]}x{image_shape[1]} images"
            )
        return ssl.MAE(image_shape=tuple(image_shape), patch_size=patch_size,
                       seed=seed)
    encoder = models.small_resnet(tuple(image_shape), None, width=width,
                                  depth=depth, name="encoder")
    views = ssl.default_views(tuple(image_shape), seed=seed)
    if method == "simclr":
        return ssl.SimCLR(encoder, views=views)
    return ssl.VICReg(encoder, views=views)


def optimizer_for(method, learning_rate, total_steps):
    """AdamW with a linear warmup (10% of the steps) and cosine decay."""
    import keras

    warmup = max(1, total_steps // 10)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(1, total_steps - warmup),
        warmup_target=learning_rate, warmup_steps=warmup,
    )
    weight_decay = 0.05 if method == "mae" else 1e-4
    return keras.optimizers.AdamW(schedule, weight_decay=weight_decay)


def _check_args(args):
    if args.tracker not in TRACKERS:
        raise UsageError(
            f"unknown tracker {args.tracker!r}; expected one of "
            f"{', '.join(TRACKERS)}"
        )
    if args.method != "mae" and ((args.depth - 2) % 6 or args.depth < 8):
        raise UsageError(f"--depth must be 6n+2 (8, 14, 20, ...), got "
                         f"{args.depth}")


def run(args, argv):
    from keras_recipes.cli.train import _new_run_id

    check_backend(args.backend)
    reexec_with_backend(args.backend, argv)
    _check_args(args)
    (x, y), (x_test, y_test), class_names = load_dataset(args.dataset)

    import keras
    import numpy as np

    from keras_recipes import callbacks as kr_callbacks
    from keras_recipes import ssl
    from keras_recipes.tracking import make_tracker
    from keras_recipes.utils.optional import MissingOptionalDependency

    keras.utils.set_random_seed(args.seed)
    order = np.random.default_rng(args.seed).permutation(len(x))
    x, y = x[order], y[order]
    if args.subset:
        x, y = x[:args.subset], y[:args.subset]
    batch_size = min(args.batch_size, len(x))
    if batch_size < 2:
        raise UsageError("--batch-size and the dataset must give batches of "
                         "at least 2 images")
    learning_rate = args.learning_rate or DEFAULT_LEARNING_RATES[args.method]
    steps = len(x) // batch_size
    method = build_method(args.method, x.shape[1:], args.width, args.depth,
                          args.patch_size, args.seed)
    method.compile(optimizer=optimizer_for(args.method, learning_rate,
                                           steps * args.epochs))

    run_id = _new_run_id()
    run_dir = os.path.join(args.output, run_id)
    os.makedirs(run_dir, exist_ok=True)
    n_probe = min(args.probe_size, len(x))
    probe_x, probe_y = x[:n_probe], y[:n_probe]
    monitor_val = min(2000, len(x_test))
    callbacks = [
        kr_callbacks.ProbeMonitor(probe_x[:5000], probe_y[:5000],
                                  x_test[:monitor_val], y_test[:monitor_val]),
        keras.callbacks.CSVLogger(os.path.join(run_dir, "history.csv")),
    ]
    tracker = make_tracker(
        args.tracker, args.output, run_dir, run_id,
        tags={"keras_recipes.run_id": run_id, "dataset": args.dataset,
              "pretrain": args.method},
        hyperparameters={"method": args.method, "dataset": args.dataset,
                         "epochs": args.epochs, "batch_size": batch_size,
                         "learning_rate": learning_rate, "width": args.width,
                         "depth": args.depth, "patch_size": args.patch_size,
                         "images": len(x), "seed": args.seed},
    )
    if tracker is not None:
        try:
            tracker.start()
        except MissingOptionalDependency as e:
            raise UsageError(one_line(e)) from None
        callbacks.append(tracker)
    backend = keras.backend.backend()
    print(f"{PROG}: pretrain run {run_id}: {args.method} on {args.dataset} "
          f"({len(x)} images, labels unused), {args.epochs} epochs, batch "
          f"{batch_size}, backend {backend}", flush=True)
    state = {"run_id": run_id, "status": "RUNNING", "backend": backend,
             "args": {k: v for k, v in vars(args).items()
                      if k not in ("command",)}}
    write_json(os.path.join(run_dir, "run.json"), state)
    try:
        start = time.time()
        history = method.fit(x, epochs=args.epochs, batch_size=batch_size,
                             shuffle=True, callbacks=callbacks,
                             verbose=0 if args.quiet else "auto")
        fit_seconds = time.time() - start
        encoder = method.encoder
        encoder.save(os.path.join(run_dir, "encoder.keras"))
        knn = ssl.knn_accuracy(encoder, probe_x, probe_y, x_test, y_test)
        linear = ssl.linear_probe(encoder, probe_x, probe_y, x_test, y_test)
        summary = {
            "knn_accuracy": knn, "linear_probe_accuracy": linear,
            "probe_train_images": n_probe, "fit_seconds": fit_seconds,
            "images_per_second": args.epochs * steps * batch_size
            / max(fit_seconds, 1e-9),
            "final_loss": float(history.history["loss"][-1]),
        }
        if tracker is not None:
            tracker.log_metrics(
                {"probe/knn_accuracy": knn, "probe/linear_accuracy": linear,
                 "time/fit_seconds": fit_seconds}, step=args.epochs)
            tracker.log_artifact(os.path.join(run_dir, "encoder.keras"))
            tracker.end("FINISHED")
        state.update(status="FINISHED", summary=summary,
                     history={k: [float(v) for v in vals]
                              for k, vals in history.history.items()})
        write_json(os.path.join(run_dir, "run.json"), state)
    except BaseException as e:
        if tracker is not None and tracker.active:
            tracker.end("FAILED")
        state.update(status="FAILED", error=one_line(e))
        write_json(os.path.join(run_dir, "run.json"), state)
        raise

    print()
    print(format_table(
        ["run", "method", "k-NN accuracy", "linear probe", "wall time",
         "images/s"],
        [[run_id, args.method, f"{knn:.4f}", f"{linear:.4f}",
          f"{fit_seconds:.1f} s", f"{summary['images_per_second']:.0f}"]],
    ))
    print(f"probes: {n_probe} labelled training images, "
          f"{len(x_test)} test images")
    print(f"run folder: {run_dir} (encoder.keras, run.json, history.csv)")
    print(f"fine-tune with: {PROG} train --init-from "
          f"{os.path.join(run_dir, 'encoder.keras')} --dataset "
          f"{args.dataset} --labels-fraction 0.01")
    return 0
