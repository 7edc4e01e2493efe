"""Train small_resnet on Fashion-MNIST with every Recipe preset on every
backend and several seeds, in one run, and print the table for
`docs/benchmarks.md`: median (min-max) test accuracy over the seeds and the
seconds per epoch of each preset against `baseline`.

    python benchmarks/recipes_fmnist.py                       # the full run:
        # 15 epochs x 3 presets x 3 seeds x 3 backends on all 60,000 images
    python benchmarks/recipes_fmnist.py --epochs 2 --subset 6000 \\
        --width 16 --seeds 3                                  # minutes

Each backend runs in its own process (Keras picks the backend at import).
Within a backend, for each seed the presets run one after the other on the
same data, so their seconds per epoch compare side by side; the ratio to
`baseline` is taken per seed and its median reported. Seconds per epoch
exclude the first epoch (compilation) when there is more than one. Test
accuracy is on the full 10,000-image test set. The targets of issue 5 are
checked on the medians and printed at the end, with a warning when the run
is smaller than the targets' setting.
"""

import argparse
import json
import os
import subprocess
import sys
import time

BACKENDS = ("jax", "tensorflow", "torch")


def run_backend(args):
    """Child process: train every preset on this backend, print JSON."""
    import keras
    import numpy as np

    import keras_recipes
    from keras_recipes.recipes import Recipe

    (x, y), (x_test, y_test) = keras_recipes.datasets.fashion_mnist.load_data()
    x = x[..., None].astype("float32")
    x_test = x_test[..., None].astype("float32")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    if args.subset:
        x, y = x[: args.subset], y[: args.subset]

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    from keras_recipes.recipes.recipe import PRESETS

    presets = (PRESETS if args.presets == "all"
               else args.presets.split(","))
    results = []
    for seed, preset in [(s, p) for s in range(args.seeds)
                         for p in presets]:
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)
        recipe = Recipe.from_preset(preset, epochs=args.epochs,
                                    batch_size=args.batch_size, seed=seed)
        model = keras_recipes.models.small_resnet(
            (28, 28, 1), 10, width=args.width, depth=args.depth
        )
        timer = EpochTimer()
        timer.times = []
        start = time.perf_counter()
        recipe.fit(model, x, y, callbacks=[timer], verbose=0)
        total = time.perf_counter() - start
        report = keras_recipes.evaluation.evaluate(model, x_test, y_test)
        steady = timer.times[1:] or timer.times
        results.append({
            "backend": keras.backend.backend(),
            "preset": preset,
            "seed": seed,
            "test_accuracy": report.accuracy,
            "macro_f1": report.macro_f1,
            "ece": report.ece,
            "seconds_per_epoch": float(np.mean(steady)),
            "first_epoch_seconds": timer.times[0],
            "fit_seconds": total,
        })
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print("RESULTS " + json.dumps(results), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--subset", type=int, default=None,
                        help="train on the first N (shuffled) images")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--presets", default="all",
                        help="comma-separated preset names, or all")
    parser.add_argument("--seeds", type=int, default=3,
                        help="seeds 0..N-1 for every preset")
    parser.add_argument("--child", action="store_true",
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_backend(args)
        return

    results = []
    started = time.time()
    for backend in args.backends.split(","):
        env = dict(os.environ, KERAS_BACKEND=backend,
                   TF_CPP_MIN_LOG_LEVEL="3")
        argv = [sys.executable, __file__, "--child",
                "--epochs", str(args.epochs), "--width", str(args.width),
                "--depth", str(args.depth),
                "--batch-size", str(args.batch_size),
                "--presets", args.presets, "--seeds", str(args.seeds)]
        if args.subset:
            argv += ["--subset", str(args.subset)]
        out = subprocess.run(argv, env=env, capture_output=True, text=True)
        line = [text for text in out.stdout.splitlines()
                if text.startswith("RESULTS ")]
        if out.returncode or not line:
            print(f"{backend}: failed\n{out.stderr[-3000:]}")
            continue
        results += json.loads(line[-1][len("RESULTS "):])

    print(f"\n{args.epochs} epochs, "
          f"{args.subset or 60000} training images, small_resnet width "
          f"{args.width} depth {args.depth}, batch {args.batch_size}, seeds "
          f"0-{args.seeds - 1}; wall time {time.time() - started:.0f} s\n")
    table = summarize(results)
    print("| backend | preset | test accuracy, median (min-max) | macro F1 "
          "| ECE | s/epoch | s/epoch vs baseline, median (min-max) |")
    print("|---|---|---|---|---|---|---|")
    for row in table:
        print(f"| {row['backend']} | {row['preset']} | "
              f"{row['acc']:.4f} ({row['acc_min']:.4f}-{row['acc_max']:.4f})"
              f" | {row['f1']:.4f} | {row['ece']:.4f} | {row['spe']:.2f} | "
              f"{row['ratio']:.2f}x ({row['ratio_min']:.2f}-"
              f"{row['ratio_max']:.2f}) |")

    full = args.epochs == 15 and not args.subset and args.seeds >= 3
    note = "" if full else " [smaller than the targets' setting]"
    print("\nTargets (issue 5: 15 epochs, all 60,000 images, 3 seeds), on "
          f"the medians{note}:")
    for backend in dict.fromkeys(r["backend"] for r in table):
        by = {r["preset"]: r for r in table if r["backend"] == backend}
        if "baseline" not in by:
            continue
        if "standard" in by:
            gain = 100 * (by["standard"]["acc"] - by["baseline"]["acc"])
            print(f"- {backend}: standard - baseline = {gain:+.2f} points "
                  f"(target >= +1.00): {'met' if gain >= 1 else 'NOT met'}")
        best = max(by.values(), key=lambda r: r["acc"])
        print(f"- {backend}: best preset {best['preset']} "
              f"{100 * best['acc']:.2f}% (target >= 93%): "
              f"{'met' if best['acc'] >= 0.93 else 'NOT met'}")
        for r in by.values():
            if r["preset"] != "baseline":
                print(f"- {backend}: {r['preset']} s/epoch {r['ratio']:.2f}x"
                      f" baseline (target <= 1.15x): "
                      f"{'met' if r['ratio'] <= 1.15 else 'NOT met'}")


def summarize(results):
    """One row per (backend, preset): medians over seeds; the s/epoch ratio
    is taken against the same seed's baseline, measured in the same
    process just before."""
    import numpy as np

    rows = []
    keys = dict.fromkeys((r["backend"], r["preset"]) for r in results)
    for backend, preset in keys:
        runs = [r for r in results
                if r["backend"] == backend and r["preset"] == preset]
        base = {r["seed"]: r["seconds_per_epoch"] for r in results
                if r["backend"] == backend and r["preset"] == "baseline"}
        ratios = [r["seconds_per_epoch"] / base[r["seed"]] for r in runs
                  if r["seed"] in base] or [float("nan")]
        acc = [r["test_accuracy"] for r in runs]
        rows.append({
            "backend": backend, "preset": preset,
            "acc": float(np.median(acc)), "acc_min": min(acc),
            "acc_max": max(acc),
            "f1": float(np.median([r["macro_f1"] for r in runs])),
            "ece": float(np.median([r["ece"] for r in runs])),
            "spe": float(np.median([r["seconds_per_epoch"] for r in runs])),
            "ratio": float(np.median(ratios)), "ratio_min": min(ratios),
            "ratio_max": max(ratios),
        })
    return rows


if __name__ == "__main__":
    main()
