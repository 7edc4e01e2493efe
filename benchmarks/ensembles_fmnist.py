"""Ensembles on Fashion-MNIST (issue 14): averaging, stacking, snapshots.

    KERAS_BACKEND=jax python benchmarks/ensembles_fmnist.py
    KERAS_BACKEND=jax python benchmarks/ensembles_fmnist.py --seeds 0 \
        --epochs 2 --cycle-epochs 1 --subset 3000     # a quick look

Training uses a fixed random subset of `--subset` training images (10,000
by default, the same for every seed); every number is measured on the full
10,000 test images. The model is a small CNN (43,738 parameters) with a
softmax head. Per seed:

- `member` / `averaging`: `ensembles.bagging(cnn, bootstrap=False,
  n_models=3)`, i.e. three CNNs with different seeds trained on all the
  subset for `--epochs` epochs each (the `"baseline"` recipe: Adam 1e-3,
  batch `--batch-size`, 32), averaged with `AveragingEnsemble` (mean of
  probabilities).
  Reported: the best member (highest test accuracy, an optimistic
  choice), the members' mean, and the ensemble.
- `stacking`: the same three trained members; the meta-learner
  (`LogisticRegression`, C=1, on the concatenated probabilities) is fitted
  on out-of-fold probabilities from `tuning.cross_validate(cv=--cv)` of
  each member's architecture and seed (`cv` extra trainings per member
  on `(cv-1)/cv` of the data).
- `single (cosine)` / `snapshot`: one CNN trained for
  `--cycles * --cycle-epochs` epochs with Adam and
  `callbacks.SnapshotEnsemble`: with `cycles=1` it is a single model under
  one cosine annealing (the same-cost baseline); with `cycles=--cycles` it
  restarts the rate every `--cycle-epochs` epochs and the snapshots are
  averaged (`SnapshotEnsemble.ensemble()`), the last snapshot alone is
  reported too. Both start from `--snapshot-lr` (2e-3).

Accuracy and expected calibration error (15 bins,
`metrics.expected_calibration_error`) are reported as median and range
over the seeds. The targets of issue 14: averaging beats its best member
by >= 0.5 points with a lower ECE, on every seed.
"""

import argparse
import json
import shutil
import tempfile
import time

import keras
import numpy as np

import keras_recipes
from keras_recipes import callbacks
from keras_recipes import ensembles
from keras_recipes import metrics
from keras_recipes import recipes
from keras_recipes import tuning
from keras_recipes.utils.seeding import derive_seed


def cnn():
    inputs = keras.Input((28, 28, 1))
    h = keras.layers.Conv2D(16, 3, activation="relu")(inputs)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(32, 3, activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(48, activation="relu")(h)
    return keras.Model(inputs, keras.layers.Dense(10, "softmax")(h))


def score(model, x_test, y_test):
    p = np.asarray(model.predict(x_test, batch_size=1000, verbose=0),
                   "float64")
    return {
        "accuracy": float((p.argmax(axis=1) == y_test).mean()),
        "ece": metrics.expected_calibration_error(y_test, p, 15),
    }


def snapshot_run(x, y, cycles, cycle_epochs, lr, seed, batch_size):
    keras.utils.set_random_seed(seed)
    model = cnn()
    model.compile(optimizer=keras.optimizers.Adam(lr),
                  loss="sparse_categorical_crossentropy")
    folder = tempfile.mkdtemp(prefix="snapshots_")
    snapshots = callbacks.SnapshotEnsemble(cycles, folder)
    model.fit(x, y, batch_size=batch_size, epochs=cycles * cycle_epochs,
              callbacks=[snapshots], verbose=0)
    return model, snapshots, folder


def run_seed(seed, x, y, x_test, y_test, args):
    out, t0 = {}, time.perf_counter()
    recipe = recipes.Recipe.from_preset("baseline",
                                        batch_size=args.batch_size)
    bag = ensembles.bagging(cnn, x, y, n_models=3, bootstrap=False,
                            recipe=recipe, epochs=args.epochs, seed=seed)
    members = [score(m, x_test, y_test) for m in bag.models]
    best = max(members, key=lambda s: s["accuracy"])
    out["best member"] = best
    out["mean member"] = {k: float(np.mean([s[k] for s in members]))
                          for k in best}
    out["averaging (3)"] = score(bag, x_test, y_test)
    t1 = time.perf_counter()

    # Out-of-fold probabilities of each member's architecture and seed.
    results = [
        tuning.cross_validate(cnn, x, y, recipe=recipe, cv=args.cv,
                              epochs=args.epochs, seed=derive_seed(seed, m),
                              verbose=0)
        for m in range(3)
    ]
    stack = ensembles.StackingEnsemble(list(bag.models))
    stack.fit_meta(results, y)
    out["stacking (3)"] = score(stack, x_test, y_test)
    t2 = time.perf_counter()

    single, _, folder1 = snapshot_run(x, y, 1, args.cycles * args.cycle_epochs,
                                      args.snapshot_lr, derive_seed(seed, 7),
                                      args.batch_size)
    out["single (cosine)"] = score(single, x_test, y_test)
    last, snaps, folder2 = snapshot_run(x, y, args.cycles, args.cycle_epochs,
                                        args.snapshot_lr,
                                        derive_seed(seed, 7), args.batch_size)
    out["last snapshot"] = score(last, x_test, y_test)
    out[f"snapshot ({args.cycles})"] = score(snaps.ensemble(), x_test,
                                             y_test)
    t3 = time.perf_counter()
    for folder in (folder1, folder2):
        shutil.rmtree(folder, ignore_errors=True)
    out["_seconds"] = {"averaging": t1 - t0, "stacking_cv": t2 - t1,
                       "snapshot": t3 - t2}
    return out


def write_json(args, runs, wall):
    with open(args.json, "w") as fh:
        json.dump({"args": vars(args),
                   "runs": {str(k): v for k, v in runs.items()},
                   "wall_seconds": wall}, fh, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=3,
                        help="epochs of each averaged/stacked member")
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--cycle-epochs", type=int, default=2)
    parser.add_argument("--snapshot-lr", type=float, default=2e-3)
    parser.add_argument("--cv", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--subset", type=int, default=10000)
    parser.add_argument("--json", default=None, help="write results here")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    (x, y), (x_test, y_test) = keras_recipes.datasets.fashion_mnist.load_data()
    rows = np.random.default_rng(0).permutation(len(x))[:args.subset]
    x = (x[rows, ..., None] / 255.0).astype("float32")
    y = y[rows].astype("int64")
    x_test = (x_test[..., None] / 255.0).astype("float32")
    y_test = y_test.astype("int64")
    total = args.cycles * args.cycle_epochs
    print(f"backend {keras.backend.backend()}, train subset {len(x)} of "
          f"60000 images, evaluated on the full {len(x_test)} test images; "
          f"members {args.epochs} epochs, stacking OOF cv={args.cv}, "
          f"snapshot {args.cycles} cycles x {args.cycle_epochs} epochs vs a "
          f"single model for {total} epochs; batch {args.batch_size}; "
          f"seeds {seeds}", flush=True)

    start = time.perf_counter()
    runs = {}
    for seed in seeds:
        t0 = time.perf_counter()
        runs[seed] = run_seed(seed, x, y, x_test, y_test, args)
        shown = ", ".join(f"{k} {v['accuracy']:.4f}/{v['ece']:.4f}"
                          for k, v in runs[seed].items()
                          if not k.startswith("_"))
        print(f"  seed {seed} ({time.perf_counter() - t0:.0f} s), "
              f"accuracy/ECE: {shown}", flush=True)
        if args.json:  # after every seed, so a cut-short run keeps them
            write_json(args, runs, time.perf_counter() - start)
    wall = time.perf_counter() - start

    cost = {"best member": args.epochs, "mean member": args.epochs,
            "averaging (3)": 3 * args.epochs,
            "stacking (3)": 3 * args.epochs * (1 + (args.cv - 1)),
            "single (cosine)": total, "last snapshot": total,
            f"snapshot ({args.cycles})": total}
    names = [k for k in runs[seeds[0]] if not k.startswith("_")]
    print("\n| model | train epochs (x subset) | test accuracy, median "
          "(range) | ECE, median (range) |")
    print("|---|---|---|---|")
    for name in names:
        acc = np.array([runs[s][name]["accuracy"] for s in seeds])
        ece = np.array([runs[s][name]["ece"] for s in seeds])
        print(f"| {name} | {cost[name]} | {100 * np.median(acc):.2f}% "
              f"({100 * acc.min():.2f}-{100 * acc.max():.2f}) "
              f"| {np.median(ece):.4f} ({ece.min():.4f}-{ece.max():.4f}) |")

    gains = [100 * (runs[s]["averaging (3)"]["accuracy"]
                    - runs[s]["best member"]["accuracy"]) for s in seeds]
    ece_lower = [runs[s]["averaging (3)"]["ece"]
                 < runs[s]["best member"]["ece"] for s in seeds]
    snap_gain = [100 * (runs[s][f"snapshot ({args.cycles})"]["accuracy"]
                        - runs[s]["single (cosine)"]["accuracy"])
                 for s in seeds]
    stack_gain = [100 * (runs[s]["stacking (3)"]["accuracy"]
                         - runs[s]["averaging (3)"]["accuracy"])
                  for s in seeds]
    print(f"\naveraging - best member: {', '.join(f'{g:+.2f}' for g in gains)}"
          f" points (target >= +0.50); lower ECE than the best member: "
          f"{ece_lower}")
    print(f"snapshot - single (same epochs): "
          f"{', '.join(f'{g:+.2f}' for g in snap_gain)} points")
    print(f"stacking - averaging: {', '.join(f'{g:+.2f}' for g in stack_gain)}"
          f" points")
    print(f"wall time {wall:.0f} s")
    if args.json:
        write_json(args, runs, wall)


if __name__ == "__main__":
    main()
