"""Quick start: a small CNN on real Fashion-MNIST with FocalLoss and label
smoothing, on whichever backend KERAS_BACKEND selects.

    KERAS_BACKEND=jax python examples/quickstart_fashion_mnist.py --epochs 2
"""

import argparse
import os
import tempfile
import time

import keras
import numpy as np

import keras_recipes


def build_model(num_classes=10):
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Rescaling(1 / 255.0),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(num_classes),
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--subset", type=int, default=None,
                        help="train on the first N images only")
    args = parser.parse_args()
    if args.epochs <= 0:
        parser.error(f"--epochs must be > 0, got {args.epochs}")

    keras.utils.set_random_seed(0)
    (x, y), (x_test, y_test) = keras_recipes.datasets.fashion_mnist.load_data()
    if args.subset:
        x, y = x[: args.subset], y[: args.subset]
    x, x_test = x[..., None], x_test[..., None]

    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        # Integer labels work directly: no one-hot conversion needed.
        loss=keras_recipes.losses.FocalLoss(
            gamma=2.0, label_smoothing=0.1, from_logits=True
        ),
        metrics=["sparse_categorical_accuracy"],
    )
    start = time.time()
    model.fit(x, y, epochs=args.epochs, batch_size=args.batch_size,
              validation_split=0.1, verbose=2)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)

    path = os.path.join(tempfile.mkdtemp(), "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    same = np.allclose(model.predict(x_test[:256], verbose=0),
                       loaded.predict(x_test[:256], verbose=0), atol=1e-6)
    print(f"backend={keras.backend.backend()} epochs={args.epochs} "
          f"time={time.time() - start:.0f}s")
    print(f"test accuracy: {accuracy:.4f}")
    print(f"saved and reloaded in safe mode, identical predictions: {same}")


if __name__ == "__main__":
    main()
