"""Augmentation throughput: keras_recipes.augment vs keras.layers.

Prints images/second for each of our layers and its Keras counterpart on a
batch of 256 uint8 images of 32x32x3 (eager calls, CPU), and the ratio
ours / Keras, for one backend per process. With `--cnn` (JAX) it also times
one epoch of a small CNN with `RandAugment` inside the model (ours, Keras's,
none). With an accelerator visible it also times `AugmentedModel`.

    for b in tensorflow jax torch; do
        KERAS_BACKEND=$b python benchmarks/augment_throughput.py --cnn
    done
"""

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_recipes import augment  # noqa: E402

BATCH, SIZE, CLASSES = 256, 32, 10


def timed(fn, repeats, warmup=2):
    for _ in range(warmup):
        keras.ops.convert_to_numpy(keras.tree.flatten(fn())[0])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        keras.ops.convert_to_numpy(keras.tree.flatten(out)[0])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def throughput(repeats, only=None):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (BATCH, SIZE, SIZE, 3), dtype="uint8")
    labels = rng.integers(0, CLASSES, (BATCH,))
    one_hot = np.eye(CLASSES, dtype="float32")[labels]
    tensor_images = keras.ops.convert_to_tensor(images)
    tensor_labels = keras.ops.convert_to_tensor(labels)
    tensor_one_hot = keras.ops.convert_to_tensor(one_hot)
    # Keras's MixUp/CutMix mix labels only for dicts with one-hot labels.
    keras_dict = {"images": tensor_images, "labels": tensor_one_hot}

    pairs = [
        ("MixUp",
         lambda: augment.MixUp(num_classes=CLASSES, seed=0),
         lambda: keras.layers.MixUp(seed=0), True),
        ("CutMix",
         lambda: augment.CutMix(num_classes=CLASSES, seed=0),
         lambda: keras.layers.CutMix(seed=0), True),
        ("RandAugment",
         lambda: augment.RandAugment(seed=0),
         lambda: keras.layers.RandAugment(seed=0), False),
        ("RandomErasing",
         lambda: augment.RandomErasing(probability=1.0, seed=0),
         lambda: keras.layers.RandomErasing(seed=0), False),
        ("MixUpOrCutMix",
         lambda: augment.MixUpOrCutMix(num_classes=CLASSES, seed=0),
         None, True),
        ("TrivialAugment", lambda: augment.TrivialAugment(seed=0), None,
         False),
        ("CutOut", lambda: augment.CutOut(8, count=1, seed=0), None, False),
        ("RandomResizedCrop",
         lambda: augment.RandomResizedCrop(SIZE, SIZE, seed=0), None, False),
    ]
    unknown = sorted(set(only or ()) - {pair[0] for pair in pairs})
    if unknown:
        raise SystemExit(f"--layers: unknown {unknown}; expected some of "
                         f"{[pair[0] for pair in pairs]}")
    print(f"{'layer':<18} {'ours img/s':>11} {'keras img/s':>12} "
          f"{'ours/keras':>10}")
    for name, make_ours, make_keras, mixes in pairs:
        if only and name not in only:
            continue
        ours = make_ours()
        if mixes:
            t_ours = timed(lambda: ours((tensor_images, tensor_labels)),
                           repeats)
        else:
            t_ours = timed(lambda: ours(tensor_images), repeats)
        line = f"{name:<18} {BATCH / t_ours:>11.0f}"
        if make_keras is not None:
            theirs = make_keras()
            if mixes:
                t_keras = timed(lambda: theirs(keras_dict, training=True),
                                repeats)
            else:
                t_keras = timed(
                    lambda: theirs(tensor_images, training=True), repeats
                )
            line += f" {BATCH / t_keras:>12.0f} {t_keras / t_ours:>10.2f}"
        else:
            line += f" {'-':>12} {'-':>10}"
        print(line, flush=True)


def small_cnn(augmentation):
    inputs = keras.Input((SIZE, SIZE, 3))
    h = inputs
    if augmentation is not None:
        h = augmentation(h)
    h = keras.layers.Rescaling(1 / 255.0)(h)
    h = keras.layers.Conv2D(32, 3, activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(64, 3, activation="relu")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    outputs = keras.layers.Dense(CLASSES, activation="softmax")(h)
    return keras.Model(inputs, outputs)


def cnn_epochs(n_images, epochs):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n_images, SIZE, SIZE, 3)).astype("float32")
    y = rng.integers(0, CLASSES, (n_images,))
    variants = [
        ("no augmentation", lambda: None),
        ("ours RandAugment", lambda: augment.RandAugment(seed=0)),
        ("keras RandAugment", lambda: keras.layers.RandAugment(seed=0)),
    ]
    results = {}
    for name, make in variants:
        keras.backend.clear_session()
        model = small_cnn(make())
        model.compile("adam", "sparse_categorical_crossentropy",
                      jit_compile="auto")
        model.fit(x, y, batch_size=128, epochs=1, verbose=0)  # compile
        start = time.perf_counter()
        model.fit(x, y, batch_size=128, epochs=epochs, verbose=0)
        per_epoch = (time.perf_counter() - start) / epochs
        results[name] = per_epoch
        print(f"{name:<20} jit_compile={model.jit_compile!s:<5} "
              f"{per_epoch:.2f} s/epoch "
              f"({per_epoch / results['no augmentation']:.2f}x)", flush=True)


def accelerator_placement(n_images):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n_images, SIZE, SIZE, 3)).astype("float32")
    y = rng.integers(0, CLASSES, (n_images,))
    for name, layers in [
        ("none", None),
        ("AugmentedModel(RandAugment, MixUpOrCutMix)",
         [augment.RandAugment(seed=0),
          augment.MixUpOrCutMix(num_classes=CLASSES, seed=0)]),
    ]:
        keras.backend.clear_session()
        model = small_cnn(None)
        if layers:
            model = augment.AugmentedModel(model, augment=layers)
        model.compile("adam", "categorical_crossentropy"
                      if layers else "sparse_categorical_crossentropy",
                      jit_compile=keras.backend.backend() != "torch")
        model.fit(x, y, batch_size=256, epochs=1, verbose=0)
        start = time.perf_counter()
        model.fit(x, y, batch_size=256, epochs=2, verbose=0)
        print(f"accelerator {name}: {(time.perf_counter() - start) / 2:.2f}"
              " s/epoch", flush=True)


def has_accelerator():
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.default_backend() != "cpu"
    if backend == "torch":
        import torch

        return torch.cuda.is_available()
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--layers", default=None,
                        help="comma-separated subset, e.g. MixUp,CutMix "
                        "(default: every layer)")
    parser.add_argument("--cnn", action="store_true",
                        help="also time the small-CNN epoch (JAX only)")
    parser.add_argument("--cnn-images", type=int, default=4096)
    parser.add_argument("--cnn-epochs", type=int, default=2)
    args = parser.parse_args()
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}, "
          f"{platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs; batch {BATCH} x {SIZE}x{SIZE}x3 uint8")
    throughput(args.repeats,
               args.layers.split(",") if args.layers else None)
    if args.cnn and keras.backend.backend() == "jax":
        cnn_epochs(args.cnn_images, args.cnn_epochs)
    if has_accelerator():
        accelerator_placement(args.cnn_images)


if __name__ == "__main__":
    main()
