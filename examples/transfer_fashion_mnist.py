"""Transfer learning on Fashion-MNIST: pretrain on classes 0-4, fine-tune
onto classes 5-9, and compare with training from scratch on the same budget.

    KERAS_BACKEND=jax python examples/transfer_fashion_mnist.py
    KERAS_BACKEND=jax python examples/transfer_fashion_mnist.py --quick

1. A small CNN backbone (conv + BatchNorm blocks) is pretrained on classes
   0-4 (T-shirt, trouser, pullover, dress, coat).
2. A new head for classes 5-9 (sandal, shirt, sneaker, bag, ankle boot) is
   trained with `keras_recipes.transfer.fine_tune`: first the head alone
   with the backbone frozen (BatchNorm in inference mode), then everything
   with discriminative one-cycle rates.
3. The same architecture is trained from scratch on the same target images
   for the same number of epochs, with a one-cycle schedule at the same
   peak rate.

Only a small labelled subset of the target classes is used (200 images by
default), the setting where transfer learning matters; with 500 target
images training from scratch wins on this split (see docs/benchmarks.md).
Needs no download when the Debian package `dataset-fashion-mnist` is
installed (`keras_recipes.datasets.fashion_mnist`).
No pretrained weights are downloaded: the "pretrained" backbone is trained
here. (With Internet access, a `keras.applications` backbone built with
`weights="imagenet"` can replace `make_backbone`; `fine_tune` works the same.)
"""

import argparse
import time

import keras
import numpy as np

import keras_recipes
from keras_recipes.schedules import OneCycle
from keras_recipes.transfer import fine_tune


def make_backbone(width=32):
    inputs = keras.Input((28, 28, 1))
    h = inputs
    for i, filters in enumerate((width, 2 * width, 4 * width)):
        h = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False,
                                name=f"conv{i}")(h)
        # momentum 0.9: the from-scratch run has few steps, and with the
        # default 0.99 its moving statistics would still be far off.
        h = keras.layers.BatchNormalization(momentum=0.9, name=f"bn{i}")(h)
        h = keras.layers.ReLU()(h)
        if i < 2:
            h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    return keras.Model(inputs, h, name="backbone")


def make_classifier(backbone, num_classes=5, name="classifier"):
    inputs = keras.Input((28, 28, 1))
    h = backbone(inputs)
    h = keras.layers.Dropout(0.2)(h)
    outputs = keras.layers.Dense(num_classes, name="head")(h)
    return keras.Model(inputs, outputs, name=name)


def subset(x, y, classes, n, rng):
    idx = np.flatnonzero(np.isin(y, classes))
    if n is not None and n < len(idx):
        idx = rng.choice(idx, size=n, replace=False)
    images = x[idx].astype("float32")[..., None] / 255.0
    return images, (y[idx] - classes[0]).astype("int32")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pretrain-samples", type=int, default=10000)
    parser.add_argument("--pretrain-epochs", type=int, default=3)
    parser.add_argument("--target-samples", type=int, default=200)
    parser.add_argument("--head-epochs", type=int, default=2)
    parser.add_argument("--full-epochs", type=int, default=6)
    parser.add_argument("--learning-rate", type=float, default=4e-3)
    parser.add_argument("--lr-mult", type=float, default=10.0,
                        help="head / backbone rate ratio in phase 2")
    parser.add_argument("--freeze-batchnorm", action="store_true",
                        help="keep BatchNorm layers frozen in phase 2 (the "
                             "default trains them: the target classes look "
                             "different from the source ones)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help="tiny run for smoke tests")
    args = parser.parse_args()
    if args.quick:
        args.pretrain_samples, args.pretrain_epochs = 512, 1
        args.target_samples, args.head_epochs, args.full_epochs = 128, 1, 1

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    (x, y), (x_test, y_test) = (
        keras_recipes.datasets.fashion_mnist.load_data())
    source = [0, 1, 2, 3, 4]
    target = [5, 6, 7, 8, 9]
    x_src, y_src = subset(x, y, source, args.pretrain_samples, rng)
    x_tgt, y_tgt = subset(x, y, target, args.target_samples, rng)
    x_eval, y_eval = subset(x_test, y_test, target, None, rng)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    steps = -(-len(x_tgt) // args.batch_size)
    budget = args.head_epochs + args.full_epochs
    print(f"backend={keras.backend.backend()} source images={len(x_src)} "
          f"target images={len(x_tgt)} eval images={len(x_eval)} "
          f"target epochs={budget}")

    # 1. Pretrain on the source classes.
    t0 = time.time()
    backbone = make_backbone()
    source_model = make_classifier(backbone, name="source")
    pre_steps = args.pretrain_epochs * -(-len(x_src) // args.batch_size)
    source_model.compile(
        optimizer=keras.optimizers.Adam(
            OneCycle(args.learning_rate, max(pre_steps, 2), pct_start=0.3)),
        loss=loss, metrics=["accuracy"])
    source_model.fit(x_src, y_src, batch_size=args.batch_size,
                     epochs=args.pretrain_epochs, verbose=0)
    print(f"pretraining: {time.time() - t0:.1f}s")

    # 2. Fine-tune onto the target classes.
    t0 = time.time()
    transfer_model = make_classifier(backbone, name="transfer")
    fine_tune(transfer_model, backbone, (x_tgt, y_tgt),
              head_epochs=args.head_epochs, full_epochs=args.full_epochs,
              loss=loss, metrics=["accuracy"],
              learning_rate=args.learning_rate, lr_mult=args.lr_mult,
              include_batchnorm=not args.freeze_batchnorm,
              batch_size=args.batch_size, verbose=0)
    transfer_acc = transfer_model.evaluate(x_eval, y_eval, verbose=0)[1]
    print(f"fine-tuning: {time.time() - t0:.1f}s")

    # 3. Same architecture from scratch, same images, same epochs.
    t0 = time.time()
    keras.utils.set_random_seed(args.seed + 1)
    scratch = make_classifier(make_backbone(), name="scratch")
    scratch.compile(
        optimizer=keras.optimizers.Adam(
            OneCycle(args.learning_rate, max(budget * steps, 2),
                     pct_start=0.3)),
        loss=loss, metrics=["accuracy"])
    scratch.fit(x_tgt, y_tgt, batch_size=args.batch_size, epochs=budget,
                verbose=0)
    scratch_acc = scratch.evaluate(x_eval, y_eval, verbose=0)[1]
    print(f"from scratch: {time.time() - t0:.1f}s")

    print(f"target accuracy, fine-tuned from classes 0-4: {transfer_acc:.4f}")
    print(f"target accuracy, from scratch (same budget): {scratch_acc:.4f}")
    print(f"accuracy gain from transfer: {transfer_acc - scratch_acc:+.4f}")


if __name__ == "__main__":
    main()
