"""`keras_recipes.data.audit` on all 70,000 Fashion-MNIST images with 10% of
the training labels flipped, and the measurements the audit method card
quotes.

    python benchmarks/audit_fmnist.py          # about 15 min (JAX, 2 CPU cores)
    python benchmarks/audit_fmnist.py --subset 5000   # seconds

1. Flip `--noise` (10%) of the training labels to another class, uniformly
   (seeded).
2. Out-of-fold probabilities: `--folds` (3) folds of a small Keras CNN
   (`--model cnn`, the default: conv 32 - pool - conv 64 - pool - dense
   128, about 225k parameters; or `--model mlp`, 784-256-10), Adam,
   `--epochs` epochs on pixels / 255; each fold's model predicts the
   samples it did not train on.
3. The audit, in a child process so its peak resident memory is the
   audit's (with Keras imported and the dataset loaded), not the
   training's. The peak is the child's `VmHWM`: on Linux `ru_maxrss` of
   `resource.getrusage` carries the parent's peak across fork and exec, so
   it would report the training's. A second run under `tracemalloc` gives
   the audit's own peak allocation (NumPy reports its buffers to it).

Printed as JSON: precision and recall of the flagged label issues against
the planted flips (and the precision of the most suspicious issues at recall
0.6), exact and near duplicates in train at a few thresholds, train/test
leaks, and the audit's runtime and peak memory.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

THRESHOLDS = (0.99, 0.995, 0.998, 0.999)


def load(subset):
    from keras_recipes.datasets import fashion_mnist

    (x, y), (xt, yt) = fashion_mnist.load_data()
    if subset:
        x, y = x[:subset], y[:subset]
        xt, yt = xt[:subset // 6], yt[:subset // 6]
    return (x, y.astype("int64")), (xt, yt.astype("int64"))


def flip_labels(y, noise, seed, num_classes=10):
    rng = np.random.default_rng(seed)
    flipped = rng.choice(len(y), int(round(noise * len(y))), replace=False)
    noisy = y.copy()
    noisy[flipped] = (y[flipped] + rng.integers(1, num_classes,
                                                len(flipped))) % num_classes
    return noisy, np.sort(flipped)


def build(kind):
    import keras

    if kind == "mlp":
        return keras.Sequential([
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ])
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


def out_of_fold_probabilities(x, y, folds, epochs, seed, kind="cnn"):
    import keras

    keras.utils.set_random_seed(seed)
    features = x.astype("float32")[..., None] / 255.0
    fold = np.random.default_rng(seed).permutation(len(x)) % folds
    probs = np.zeros((len(x), 10), "float32")
    for k in range(folds):
        train, held = fold != k, fold == k
        model = build(kind)
        model.compile(keras.optimizers.Adam(1e-3),
                      "sparse_categorical_crossentropy")
        model.fit(features[train], y[train], batch_size=256, epochs=epochs,
                  verbose=0)
        probs[held] = model.predict(features[held], batch_size=1024,
                                    verbose=0)
    probs = probs.astype("float64")
    return probs / probs.sum(axis=1, keepdims=True)


def _status_mb(field):
    """`VmRSS` (now) or `VmHWM` (peak) of this process, in MB (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_audit(path):
    """Child process: load the data, audit, print the findings as JSON."""
    import tracemalloc

    from keras_recipes.data.audit import audit

    with np.load(path) as data:
        subset, noisy, probs = (int(data["subset"]), data["noisy"],
                                data["probs"])
    (x, _), (xt, yt) = load(subset)
    before = _status_mb("VmRSS")
    start = time.perf_counter()
    report = audit(x, noisy, xt, yt, probabilities=probs, verbose=True)
    seconds = time.perf_counter() - start
    peak = _status_mb("VmHWM")
    # Again at near_threshold=0.99 (for the counts per threshold) under
    # tracemalloc (NumPy reports its buffers to it): the audit's own peak
    # allocation, inputs excluded.
    tracemalloc.start()
    loose = audit(x, noisy, xt, yt, probabilities=probs,
                  near_threshold=0.99)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    c = report.counts()
    sims = loose.near_duplicate_similarity
    leak_sims = loose.near_leak_similarity
    out = {
        "audit_seconds": round(seconds, 1),
        "timings": {k: round(v, 1) for k, v in report.timings.items()},
        "rss_before_audit_mb": round(before),
        "peak_rss_mb": round(peak),
        "audit_peak_allocation_mb_at_0.99": round(traced_peak),
        "counts": c,
        "near_duplicate_pairs_at": {
            str(t): int((sims >= t).sum()) for t in THRESHOLDS},
        "near_leak_test_samples_at": {
            str(t): int(len(np.unique(loose.near_leaks[leak_sims >= t, 0])))
            for t in THRESHOLDS},
        "label_issues": report.label_issues.tolist(),
        "estimated_noise_rate": report.estimated_noise_rate,
        "features": report.features,
    }
    print("RESULT " + json.dumps(out), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subset", type=int, default=0,
                        help="first N training images only (0: all)")
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--model", choices=("cnn", "mlp"), default="cnn",
                        help="the out-of-fold classifier")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--audit-only", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.audit_only:
        return run_audit(args.audit_only)

    (x, y), _ = load(args.subset)
    noisy, flipped = flip_labels(y, args.noise, args.seed)
    start = time.perf_counter()
    probs = out_of_fold_probabilities(x, noisy, args.folds, args.epochs,
                                      args.seed, args.model)
    cv_seconds = time.perf_counter() - start
    oof_accuracy = float((probs.argmax(1) == y).mean())

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "probs.npz")
        np.savez(path, subset=args.subset, noisy=noisy, probs=probs)
        child = subprocess.run(
            [sys.executable, __file__, "--audit-only", path],
            capture_output=True, text=True, check=False,
            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
        )
    sys.stderr.write("".join(
        ln + "\n" for ln in child.stdout.splitlines()
        if not ln.startswith("RESULT ")))
    if child.returncode:
        sys.stderr.write(child.stderr[-3000:])
        return child.returncode
    line = next(ln for ln in child.stdout.splitlines()
                if ln.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    issues = np.asarray(result.pop("label_issues"), "int64")
    hit = np.isin(issues, flipped)
    precision = float(hit.mean()) if len(issues) else 0.0
    recall = float(hit.sum() / len(flipped))
    # The most suspicious issues (lowest self-confidence first) that reach
    # recall 0.6, and their precision.
    reach = np.flatnonzero(np.cumsum(hit) >= 0.6 * len(flipped))
    at_06 = (float(hit[:reach[0] + 1].mean()) if len(reach) else None)
    import keras

    result.update({
        "machine": f"{os.cpu_count()}-core CPU, {platform.machine()}, "
                   f"Python {platform.python_version()}, "
                   f"Keras {keras.__version__} ({keras.backend.backend()})",
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "train_images": int(len(x)),
        "oof_model": args.model,
        "flipped": int(len(flipped)),
        "oof_seconds": round(cv_seconds, 1),
        "oof_accuracy_vs_clean_labels": round(oof_accuracy, 4),
        "flagged": int(len(issues)),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "precision_of_top_at_recall_0.6": (None if at_06 is None
                                           else round(at_06, 4)),
    })
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
