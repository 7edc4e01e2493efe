"""Time per epoch of Lookahead, ModelEMA and ProgressiveResizing against a
plain run, side by side in one process.

    KERAS_BACKEND=jax python benchmarks/training_callbacks_overhead.py

A small CNN on a Fashion-MNIST subset. Each configuration is fitted for
`--epochs` epochs after one warm-up epoch (compilation); the median epoch
time is reported with its ratio to the plain run. Progressive resizing is
measured at its initial scale (0.5, 14x14 images) against full size, both
through `keras_recipes.data.batches`.
"""

import argparse

import keras
import numpy as np
from _common import EpochTimer  # benchmarks/ is on sys.path

import keras_recipes


def make_model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 1))
    h = inputs
    for filters in (32, 64):
        h = keras.layers.Conv2D(filters, 3, padding="same")(h)
        h = keras.layers.BatchNormalization()(h)
        h = keras.layers.ReLU()(h)
        h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    return keras.Model(inputs, keras.layers.Dense(10)(h))


def run(name, x, y, args, optimizer=None, callbacks=(), augment=None):
    model = make_model()
    model.compile(optimizer=optimizer or keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(
                      from_logits=True))
    data = keras_recipes.data.batches(x, y, args.batch_size, seed=0,
                                      augment=augment)
    timer = EpochTimer()
    model.fit(data, epochs=args.epochs + 1, verbose=0,
              callbacks=[timer, *callbacks])
    return name, float(np.median(timer.times[1:]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    (x, y), _ = keras_recipes.datasets.fashion_mnist.load_data()
    x = x[: args.samples, ..., None].astype("float32") / 255.0
    y = y[: args.samples].astype("int32")

    half = keras_recipes.callbacks.ProgressiveResizing(
        initial_scale=0.5, delay_fraction=1.0, finetune_fraction=0.0)
    results = [
        run("plain Adam", x, y, args),
        run("Lookahead(Adam)", x, y, args,
            optimizer=keras_recipes.optimizers.Lookahead(
                keras.optimizers.Adam(1e-3))),
        run("Adam + ModelEMA", x, y, args,
            callbacks=[keras_recipes.callbacks.ModelEMA()]),
        run("ProgressiveResizing at scale 0.5", x, y, args,
            callbacks=[half], augment=[half]),
    ]
    base = results[0][1]
    print(f"backend={keras.backend.backend()} samples={args.samples} "
          f"batch={args.batch_size} epochs timed={args.epochs}")
    for name, seconds in results:
        print(f"{name:36s} {seconds:7.3f} s/epoch  x{seconds / base:.2f}")


if __name__ == "__main__":
    main()
