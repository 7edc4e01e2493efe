"""Multi-task Fashion-MNIST: equal weighting, uncertainty weighting and DWA.

    KERAS_BACKEND=jax python benchmarks/multitask_fmnist.py
    KERAS_BACKEND=jax python benchmarks/multitask_fmnist.py --epochs 2 \
        --seeds 0 --methods equal,dwa        # a quick look

Three tasks share one small CNN trunk (two stride-2 3x3 convolutions with 16
and 32 filters and a 64-unit dense layer), each with its own head:

- `class`: the 10 Fashion-MNIST classes (softmax cross-entropy, logits);
- `group`: the 3-way super-class, clothing = T-shirt/top 0, Trouser 1,
  Pullover 2, Dress 3, Coat 4, Shirt 6; footwear = Sandal 5, Sneaker 7,
  Ankle boot 9; bags = Bag 8 (softmax cross-entropy, logits);
- `image`: reconstruction of the 28x28 input by a small transposed-conv
  decoder (sigmoid output, pixel MSE).

The methods train the same network from the same initial weights (one per
seed) for the same number of epochs, with Adam at 1e-3 and batches of 128,
through `keras_recipes.multitask.MultiTaskModel`:

- `equal`: `weighting="equal"` (the plain sum of the three losses, what
  `compile(loss={...})` does);
- `uncertainty`: Kendall et al. (2018), learned log-variances
  (classification form `exp(-s) L + s/2` for `class` and `group`,
  regression form `exp(-s) L / 2 + s/2` for `image`);
- `dwa`: Dynamic Weight Average (Liu et al., 2019), `T=2`.

By default it trains on a fixed random subset of 10,000 of the 60,000
training images (the same subset for every method and seed) and evaluates
on the full 10,000-image test split. Reported per task: 10-class accuracy,
super-class accuracy and reconstruction MSE, median and range over the
seeds, plus the task weights at the end of training.
"""

import argparse
import json
import time

import keras
import numpy as np

import keras_recipes
from keras_recipes import multitask

METHODS = ("equal", "uncertainty", "dwa")
# Super-class of each Fashion-MNIST class: 0 clothing, 1 footwear, 2 bags.
GROUP_OF_CLASS = np.array([0, 0, 0, 0, 0, 1, 0, 1, 2, 1])
TASKS = ("class", "group", "image")


def network():
    inputs = keras.Input((28, 28, 1))
    h = keras.layers.Conv2D(16, 3, strides=2, padding="same",
                            activation="relu")(inputs)
    h = keras.layers.Conv2D(32, 3, strides=2, padding="same",
                            activation="relu")(h)
    h = keras.layers.Flatten()(h)
    z = keras.layers.Dense(64, activation="relu")(h)
    logits = keras.layers.Dense(10, name="class")(z)
    group = keras.layers.Dense(3, name="group")(z)
    d = keras.layers.Dense(7 * 7 * 16, activation="relu")(z)
    d = keras.layers.Reshape((7, 7, 16))(d)
    d = keras.layers.Conv2DTranspose(16, 3, strides=2, padding="same",
                                     activation="relu")(d)
    image = keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same",
                                         activation="sigmoid",
                                         name="image")(d)
    return keras.Model(inputs, {"class": logits, "group": group,
                                "image": image})


def task_losses():
    return {
        "class": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        "group": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        "image": keras.losses.MeanSquaredError(),
    }


def run(method, x, y, x_test, y_test, epochs, seed, batch_size=128):
    keras.utils.set_random_seed(seed)
    model = multitask.MultiTaskModel(network(), task_losses(),
                                     weighting=method)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    targets = {"class": y, "group": GROUP_OF_CLASS[y], "image": x}
    t0 = time.perf_counter()
    history = model.fit(x, targets, batch_size=batch_size, epochs=epochs,
                        verbose=0)
    seconds = time.perf_counter() - t0
    pred = model.predict(x_test, batch_size=1000, verbose=0)
    scores = {
        "class_accuracy": float(np.mean(
            pred["class"].argmax(axis=1) == y_test)),
        "group_accuracy": float(np.mean(
            pred["group"].argmax(axis=1) == GROUP_OF_CLASS[y_test])),
        "image_mse": float(np.mean((pred["image"] - x_test) ** 2)),
        "final_weights": {
            t: float(history.history[f"weight_{t}"][-1]) for t in TASKS
        },
        "train_seconds": seconds,
    }
    return scores


def fmt(values, digits=4):
    v = np.asarray(values)
    return (f"{np.median(v):.{digits}f} "
            f"({v.min():.{digits}f}-{v.max():.{digits}f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--subset", type=int, default=10000,
                        help="training images (0: all 60,000)")
    parser.add_argument("--json", default=None, help="write results here")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    methods = args.methods.split(",")
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        parser.error(f"unknown --methods {unknown}; choose from {METHODS}")

    (x, y), (x_test, y_test) = keras_recipes.datasets.fashion_mnist.load_data()
    x = (x[..., None] / 255.0).astype("float32")
    x_test = (x_test[..., None] / 255.0).astype("float32")
    if args.subset and args.subset < len(x):
        keep = np.random.default_rng(0).permutation(len(x))[:args.subset]
        x, y = x[keep], y[keep]
    print(f"backend {keras.backend.backend()}, train {len(x)} images "
          f"(fixed random subset of the 60,000), test {len(x_test)} images "
          f"(full test split), {args.epochs} epochs, seeds {seeds}",
          flush=True)

    start = time.perf_counter()
    results = {}
    for method in methods:
        runs = []
        for seed in seeds:
            r = run(method, x, y, x_test, y_test, args.epochs, seed)
            runs.append(r)
            w = ", ".join(f"{t} {v:.3f}" for t, v in
                          r["final_weights"].items())
            print(f"  {method:12s} seed {seed}: class acc "
                  f"{r['class_accuracy']:.4f}, group acc "
                  f"{r['group_accuracy']:.4f}, image MSE "
                  f"{r['image_mse']:.5f}; weights {w} "
                  f"({r['train_seconds']:.0f} s)", flush=True)
        results[method] = runs

    print(f"\n{len(x)} training images, full 10,000-image test split, "
          f"{args.epochs} epochs, median (range) over seeds {seeds}:\n")
    print("| weighting | 10-class accuracy | super-class accuracy "
          "| reconstruction MSE | final weights (class / group / image) |")
    print("|---|---|---|---|---|")
    for method, runs in results.items():
        weights = " / ".join(
            f"{np.median([r['final_weights'][t] for r in runs]):.3g}"
            for t in TASKS)
        print(f"| {method} "
              f"| {fmt([r['class_accuracy'] for r in runs])} "
              f"| {fmt([r['group_accuracy'] for r in runs])} "
              f"| {fmt([r['image_mse'] for r in runs], 5)} "
              f"| {weights} |")
    total = time.perf_counter() - start
    print(f"\nwall time {total:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), "train_images": len(x),
                       "test_images": len(x_test), "results": results,
                       "wall_seconds": total}, fh, indent=1)


if __name__ == "__main__":
    main()
