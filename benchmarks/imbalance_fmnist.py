"""Long-tailed Fashion-MNIST (issue 13): seven ways to train on it.

    KERAS_BACKEND=jax python benchmarks/imbalance_fmnist.py
    KERAS_BACKEND=jax python benchmarks/imbalance_fmnist.py --epochs 2 \
        --seeds 0 --methods ce,ldam_drw      # a quick look

The training split is cut to the exponential long-tail profile of Cui et
al. (2019) with `datasets.long_tailed(imbalance_ratio=100)` (6000 images of
class 0 down to 60 of class 9, 14,886 in all); the test split stays the
balanced 10,000. Every method trains the same small CNN for the same
number of epochs and the same number of optimizer steps per epoch
(`len(x_lt) // batch_size`; the resampled methods draw that many batches
from their larger epoch), with Adam at 1e-3. Reported: balanced accuracy
(the mean of per-class recalls) and macro F1 on the test split, median and
range over the seeds.

Methods:
- `ce`: softmax cross-entropy.
- `class_weighted`: `ClassWeightedLoss` with `data.class_weights(y)`
  (scikit-learn's "balanced", n / (C n_c)).
- `focal`: `FocalLoss(gamma=2)`.
- `balanced_batches`: `data.BalancedBatches(sampling="oversample")`.
- `smote`: `data.resample(x, y, SMOTE())` to 6000 per class, then plain
  shuffled batches of the resampled set.
- `logit_adjusted`: `LogitAdjustedLoss(tau=1)`.
- `ldam_drw`: `LDAMLoss` on a cosine classifier (unit-norm features and
  unit-norm class weights, as in the paper), with
  `DeferredReweighting(start_epoch=0.8 * epochs)`.
"""

import argparse
import json
import time

import keras
import numpy as np

import keras_recipes
from keras_recipes import callbacks
from keras_recipes import data
from keras_recipes import losses

METHODS = ("ce", "class_weighted", "focal", "balanced_batches", "smote",
           "logit_adjusted", "ldam_drw")


def cnn(cosine=False):
    inputs = keras.Input((28, 28, 1))
    h = keras.layers.Conv2D(32, 3, activation="relu")(inputs)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(64, 3, activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(128, activation="relu")(h)
    if cosine:
        # Cosine classifier: logits are cosines in [-1, 1], the scale LDAM's
        # `scale=30` and `max_margin=0.5` are set for.
        h = keras.layers.UnitNormalization()(h)
        outputs = keras.layers.Dense(
            10, use_bias=False,
            kernel_constraint=keras.constraints.UnitNorm(axis=0))(h)
    else:
        outputs = keras.layers.Dense(10)(h)
    return keras.Model(inputs, outputs)


def scores(y_true, y_pred, num_classes=10):
    recall, f1 = [], []
    for c in range(num_classes):
        tp = np.sum((y_pred == c) & (y_true == c))
        support = np.sum(y_true == c)
        predicted = np.sum(y_pred == c)
        r = tp / support
        p = tp / predicted if predicted else 0.0
        recall.append(r)
        f1.append(2 * p * r / (p + r) if p + r else 0.0)
    return float(np.mean(recall)), float(np.mean(f1))


def run(method, x, y, x_test, y_test, epochs, seed, batch_size=128):
    keras.utils.set_random_seed(seed)
    counts = np.bincount(y, minlength=10)
    steps = len(x) // batch_size
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    loss, cbs, model = ce, [], cnn(cosine=method == "ldam_drw")
    train = data.batches(x, y, batch_size, seed=seed)  # natural frequencies
    if method == "class_weighted":
        loss = losses.ClassWeightedLoss(ce, data.class_weights(y))
    elif method == "focal":
        loss = losses.FocalLoss(gamma=2.0, from_logits=True)
    elif method == "balanced_batches":
        train = data.BalancedBatches(x, y, batch_size, sampling="oversample",
                                     seed=seed, steps_per_epoch=steps)
    elif method == "smote":
        from imblearn.over_sampling import SMOTE

        x_res, y_res = data.resample(x, y, SMOTE(random_state=seed))
        # The resampled set is balanced already: undersampling it is a
        # plain shuffle, cut to the same number of steps as the others.
        train = data.BalancedBatches(x_res, y_res, batch_size,
                                     sampling="undersample", seed=seed,
                                     steps_per_epoch=steps)
    elif method == "logit_adjusted":
        loss = losses.LogitAdjustedLoss(counts)
    elif method == "ldam_drw":
        loss = losses.LDAMLoss(counts)
        cbs = [callbacks.DeferredReweighting(
            start_epoch=int(round(0.8 * epochs)))]
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    model.fit(train, epochs=epochs, callbacks=cbs, verbose=0)
    logits = model.predict(x_test, batch_size=1000, verbose=0)
    return scores(y_test, logits.argmax(axis=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--imbalance-ratio", type=float, default=100.0)
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
    x_lt, y_lt = keras_recipes.datasets.long_tailed(
        x, y, imbalance_ratio=args.imbalance_ratio, seed=0)
    print(f"backend {keras.backend.backend()}, long-tailed train "
          f"{len(y_lt)} images, class counts {np.bincount(y_lt).tolist()}, "
          f"{args.epochs} epochs, seeds {seeds}", flush=True)

    results = {}
    for method in methods:
        runs = []
        for seed in seeds:
            t0 = time.perf_counter()
            bacc, f1 = run(method, x_lt, y_lt, x_test, y_test, args.epochs,
                           seed)
            runs.append((bacc, f1))
            print(f"  {method:17s} seed {seed}: balanced acc {bacc:.4f}, "
                  f"macro F1 {f1:.4f} ({time.perf_counter() - t0:.0f} s)",
                  flush=True)
        results[method] = runs

    print("\n| method | balanced accuracy, median (range) "
          "| macro F1, median (range) | vs CE (bal. acc.) |")
    print("|---|---|---|---|")
    base = np.median([r[0] for r in results.get("ce", [(np.nan,)])])
    for method, runs in results.items():
        b = np.array([r[0] for r in runs])
        f = np.array([r[1] for r in runs])
        print(f"| {method} | {np.median(b):.4f} ({b.min():.4f}-{b.max():.4f}) "
              f"| {np.median(f):.4f} ({f.min():.4f}-{f.max():.4f}) "
              f"| {100 * (np.median(b) - base):+.1f} pts |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
