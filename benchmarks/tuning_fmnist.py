"""Random search, Bayesian optimization and Hyperband over the `standard`
recipe on Fashion-MNIST at an equal budget of training epochs, in one run,
and the measurements the tuning method card quotes.

    python benchmarks/tuning_fmnist.py        # about 16 min (JAX, 2 CPU cores)
    python benchmarks/tuning_fmnist.py --subset 2000 --width 8   # minutes

Printed, as JSON and as the tables of `docs/benchmarks.md`:

1. Per tuner: trials, epochs used, the best validation accuracy, and the
   test accuracy (10,000 images) of the best recipe retrained on the whole
   subset, against the `standard` preset retrained the same way (same
   epochs), as the median and range over `--seeds` retraining seeds.
   Hyperband runs first; its epoch count (the sum of each trial's
   `tuner/epochs - tuner/initial_epoch`) fixes the budget, and Random and
   Bayesian get `budget // epochs` trials of `epochs` epochs. Bayesian
   optimization starts from 3 random points (KerasTuner's default, 3 per
   searched value, would spend the whole budget on random points).
2. The spread of the score itself: the `standard` recipe scored on one
   validation split (5 different splits) against a 3-fold CV mean (5
   different fold seeds), std over the 5.
3. Memory: resident memory after trial 1 and after trial `--memory-trials`
   of a random search (one process, `clear_session` between trials as
   KerasTuner does).
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time


def rss_mb():
    """Resident memory now (Linux /proc), in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subset", type=int, default=5000)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=9,
                        help="epochs per trial (Hyperband's max_epochs)")
    parser.add_argument("--memory-trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--part", choices=("all", "tuners", "spread",
                                           "memory"), default="all",
                        help="run one of the three measurements only")
    parser.add_argument("--seeds", type=int, default=3,
                        help="retraining seeds for the test accuracies")
    args = parser.parse_args()
    parts = (("tuners", "spread", "memory") if args.part == "all"
             else (args.part,))

    import keras
    import numpy as np

    import keras_recipes
    from keras_recipes import tuning
    from keras_recipes.recipes import Recipe

    (x, y), (x_test, y_test) = keras_recipes.datasets.fashion_mnist.load_data()
    x = x[..., None].astype("float32")
    x_test = x_test[..., None].astype("float32")
    order = np.random.default_rng(args.seed).permutation(len(x))
    x, y = x[order][: args.subset], y[order][: args.subset]

    def build_model(hp=None):
        return keras_recipes.models.small_resnet(
            (28, 28, 1), 10, width=args.width, depth=8)

    def test_accuracy(recipe):
        """Median, min and max test accuracy over the retraining seeds."""
        values = []
        for seed in range(args.seed, args.seed + args.seeds):
            keras.utils.clear_session()
            keras.utils.set_random_seed(seed)
            model = build_model()
            fitted = Recipe.from_config({**recipe.get_config(),
                                         "epochs": args.epochs,
                                         "seed": seed})
            fitted.fit(model, x, y, verbose=0)
            values.append(float(keras_recipes.evaluation.evaluate(
                model, x_test, y_test).accuracy))
        return {"median": float(np.median(values)), "min": min(values),
                "max": max(values), "values": values}

    def spread(r):
        return f"{r['median']:.4f} ({r['min']:.4f}-{r['max']:.4f})"

    folder = tempfile.mkdtemp(prefix="tuning_bench_")
    out = {"backend": keras.backend.backend(), "subset": args.subset,
           "width": args.width, "epochs": args.epochs, "tuners": {}}
    if "tuners" in parts:
        standard = Recipe.from_preset("standard")
        out["standard_test_accuracy"] = test_accuracy(standard)
        print(f"standard preset retrained: test accuracy "
              f"{spread(out['standard_test_accuracy'])}", flush=True)

        budget = None
        for name in ("hyperband", "random", "bayesian"):
            start = time.time()
            hypermodel = tuning.RecipeHyperModel(
                build_model, recipe="standard",
                fit_kwargs={"epochs": args.epochs, "validation_split": 0.2},
                seed=args.seed)
            if name == "hyperband":
                tuner = tuning.make_tuner(
                    name, hypermodel, max_epochs=args.epochs, factor=3,
                    directory=folder, project_name=name, seed=args.seed,
                    progress=True)
            else:
                extra = {"num_initial_points": 3} if name == "bayesian" else {}
                tuner = tuning.make_tuner(
                    name, hypermodel, max_trials=max(1, budget // args.epochs),
                    directory=folder, project_name=name, seed=args.seed,
                    progress=True, **extra)
            tuner.search(x, y, verbose=0)
            trials = [t for t in tuner.oracle.trials.values()
                      if t.status == "COMPLETED"]
            epochs = sum(
                t.hyperparameters.values.get("tuner/epochs", args.epochs)
                - t.hyperparameters.values.get("tuner/initial_epoch", 0)
                for t in trials)
            if budget is None:
                budget = epochs
            best = tuner.oracle.get_best_trials(1)[0]
            recipe = tuner.get_best_recipe()
            out["tuners"][name] = {
                "trials": len(trials), "epochs": epochs,
                "best_val_accuracy": best.score,
                "best_values": {k: v for k, v in
                                best.hyperparameters.values.items()
                                if not k.startswith("tuner/")},
                "test_accuracy": test_accuracy(recipe),
                "seconds": time.time() - start,
            }
            print(name, json.dumps(out["tuners"][name]), flush=True)

    if "spread" in parts:
        # 2. The spread of one validation split against a 3-fold mean.
        single, folded = [], []
        for s in range(5):
            cut = int(0.8 * len(x))
            idx = np.random.default_rng(100 + s).permutation(len(x))
            keras.utils.clear_session()
            keras.utils.set_random_seed(args.seed)
            model = build_model()
            history = Recipe.from_preset("standard", epochs=args.epochs,
                                         seed=args.seed).fit(
                model, x[idx[:cut]], y[idx[:cut]],
                validation_data=(x[idx[cut:]], y[idx[cut:]]), verbose=0)
            single.append(history.history["val_accuracy"][-1])
            result = tuning.cross_validate(
                build_model, x, y, recipe="standard", cv=3, epochs=args.epochs,
                seed=100 + s, verbose=0)
            folded.append(result.mean["accuracy"])
            print(f"split seed {s}: single {single[-1]:.4f}, 3-fold mean "
                  f"{folded[-1]:.4f}", flush=True)
        out["single_split"] = {"values": single, "std": float(np.std(single))}
        out["cv3_mean"] = {"values": folded, "std": float(np.std(folded))}

    if "memory" in parts:
        # 3. Memory over many trials.
        rss = []

        class Memory(keras.callbacks.Callback):
            def on_train_end(self, logs=None):
                rss.append(rss_mb())

        small = x[:2000], y[:2000]
        hypermodel = tuning.RecipeHyperModel(
            lambda hp: keras_recipes.models.small_resnet((28, 28, 1), 10,
                                                         width=8, depth=8),
            recipe="standard", fit_kwargs={"epochs": 1,
                                           "validation_split": 0.2})
        tuner = tuning.make_tuner("random", hypermodel,
                                  max_trials=args.memory_trials,
                                  directory=folder, project_name="memory")
        tuner.search(*small, callbacks=[Memory()], verbose=0)
        out["memory_mb"] = {"after_trial_1": rss[0], "after_last": rss[-1],
                            "trials": len(rss), "growth": rss[-1] - rss[0],
                            "max_rss_mb": resource.getrusage(
                                resource.RUSAGE_SELF).ru_maxrss / 1024}
    print(json.dumps(out, indent=1))

    if "tuners" in parts:
        base = out["standard_test_accuracy"]
        rows = ["| recipe | trials | epochs | best val accuracy | test "
                f"accuracy (retrained, median and range of {args.seeds} "
                "seeds) | median vs `standard` |", "|---|---|---|---|---|---|",
                f"| `standard` preset | - | - | - | {spread(base)} | - |"]
        for name, r in out["tuners"].items():
            gain = r["test_accuracy"]["median"] - base["median"]
            rows.append(f"| {name} | {r['trials']} | {r['epochs']} | "
                        f"{r['best_val_accuracy']:.4f} | "
                        f"{spread(r['test_accuracy'])} | {gain:+.4f} |")
        print("\n".join(rows))
    if "spread" in parts:
        print(f"single split std {out['single_split']['std']:.4f}, 3-fold "
              f"mean std {out['cv3_mean']['std']:.4f}")
    if "memory" in parts:
        print(f"memory growth {out['memory_mb']['growth']:.0f} MB over "
              f"{out['memory_mb']['trials']} trials")
    return 0


if __name__ == "__main__":
    sys.exit(main())
