"""Self-supervised pretraining on Fashion-MNIST, measured at 1% labels.

    KERAS_BACKEND=jax python benchmarks/ssl_fmnist.py
    KERAS_BACKEND=jax python benchmarks/ssl_fmnist.py --methods simclr \
        --seeds 0 --pretrain-epochs 1 --pretrain-subset 4096   # a quick look

For each seed and method (`simclr`, `vicreg`, `mae`), the encoder is
pretrained on the 60,000 training images without their labels, for
`--pretrain-epochs` epochs (the CPU budget; default 5), with AdamW, a 10%
linear warmup and cosine decay, exactly as `keras-recipes pretrain` builds
it (`keras_recipes.cli.pretrain.build_method`). SimCLR and VICReg train a
`small_resnet` encoder (width 16, depth 8, 64 features) on the default
views (`ssl.default_views`); MAE trains its small ViT. A `ProbeMonitor`
logs the k-NN accuracy (5,000 labelled training images as the reference,
2,000 test images as queries) after every epoch.

Then, with 600 labels (1%, `data.stratified_subset`, 60 per class, drawn
with the seed):
- `linear probe`: `ssl.linear_probe` on the frozen encoder's features;
- `fine-tune`: `transfer.fine_tune` of encoder + softmax head (head phase,
  then everything; one-cycle schedules), `--finetune-epochs` in all;
- `from scratch`: the same encoder architecture, randomly initialised,
  trained with the same `fine_tune` call (no head phase, one learning
  rate) for the same number of epochs on the same 600 images;
- `supervised 100%`: the same architecture trained on all 60,000 labels
  for `--supervised-epochs` epochs (the reference).

Test accuracy is on the full 10,000 test images. Throughput: one epoch of
`--throughput-images` images after a warm-up epoch, pretraining each method
against supervised training of the same encoder, in the same process. The
k-NN curves go to `docs/recipes/self_supervised_knn.png` with `--plot`.
"""

import argparse
import json
import os
import time

import keras
import numpy as np
from _common import EpochTimer  # benchmarks/ is on sys.path

from keras_recipes import callbacks as kr_callbacks
from keras_recipes import data
from keras_recipes import models
from keras_recipes import ssl
from keras_recipes import transfer
from keras_recipes.cli.pretrain import DEFAULT_LEARNING_RATES
from keras_recipes.cli.pretrain import build_method
from keras_recipes.cli.pretrain import optimizer_for
from keras_recipes.datasets import fashion_mnist

WIDTH, DEPTH = 16, 8


def classifier(encoder, num_classes=10):
    inputs = keras.Input(encoder.input_shape[1:])
    outputs = keras.layers.Dense(num_classes, activation="softmax",
                                 dtype="float32")(encoder(inputs))
    return keras.Model(inputs, outputs)


def scratch_encoder(method, shape, seed):
    """A randomly initialised encoder of the architecture `method` uses."""
    if method == "mae":
        return build_method("mae", shape, seed=seed).encoder
    return models.small_resnet(shape, None, width=WIDTH, depth=DEPTH,
                               name="encoder")


def test_accuracy(model, x_test, y_test):
    p = model.predict(x_test, batch_size=1024, verbose=0)
    return float(np.mean(np.argmax(p, axis=1) == y_test))


def fine_tune(encoder, x, y, x_test, y_test, epochs, pretrained):
    model = classifier(encoder)
    loss = keras.losses.SparseCategoricalCrossentropy()
    head = max(1, epochs // 5) if pretrained else 0
    transfer.fine_tune(
        model, encoder, (x, y), head_epochs=head, full_epochs=epochs - head,
        loss=loss, learning_rate=2e-3, lr_mult=10.0 if pretrained else 1.0,
        batch_size=64, verbose=0,
    )
    return test_accuracy(model, x_test, y_test)


def throughput(model, x, y=None, batch_size=256):
    """Images per second of the second epoch (the first compiles)."""
    timer = EpochTimer()
    model.fit(x, y, epochs=2, batch_size=batch_size, verbose=0,
              callbacks=[timer])
    return len(x) // batch_size * batch_size / timer.times[-1]


def pretrain(method, x, probe, epochs, batch_size, seed):
    keras.utils.set_random_seed(seed)
    model = build_method(method, x.shape[1:], WIDTH, DEPTH, seed=seed)
    steps = len(x) // batch_size
    model.compile(optimizer=optimizer_for(
        method, DEFAULT_LEARNING_RATES[method], steps * epochs))
    monitor = kr_callbacks.ProbeMonitor(*probe, k=20)
    start = time.time()
    history = model.fit(x, epochs=epochs, batch_size=batch_size,
                        shuffle=True, verbose=0, callbacks=[monitor])
    return model, history.history, time.time() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default="simclr,vicreg,mae")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--pretrain-epochs", type=int, default=5)
    parser.add_argument("--pretrain-subset", type=int, default=None,
                        help="pretrain on the first N shuffled images "
                        "(default: all 60,000)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--finetune-epochs", type=int, default=30)
    parser.add_argument("--supervised-epochs", type=int, default=5)
    parser.add_argument("--labels-fraction", type=float, default=0.01)
    parser.add_argument("--throughput-images", type=int, default=4096)
    parser.add_argument("--plot", default=None,
                        help="write the k-NN curves here (PNG)")
    parser.add_argument("--json", default=None, help="write results here")
    args = parser.parse_args()
    methods = args.methods.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]

    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    x_train = x_train[..., None].astype("float32")
    x_test = x_test[..., None].astype("float32")
    y_train, y_test = y_train.astype("int32"), y_test.astype("int32")
    shape = x_train.shape[1:]
    backend = keras.backend.backend()
    print(f"backend {backend}, pretrain {args.pretrain_epochs} epochs on "
          f"{args.pretrain_subset or len(x_train)} images, fine-tune "
          f"{args.finetune_epochs} epochs on {args.labels_fraction:.0%} "
          "labels, test on 10,000", flush=True)

    results = {"args": vars(args), "backend": backend, "runs": {},
               "throughput": {}}
    # Throughput, side by side in this process.
    xt = x_train[:args.throughput_images]
    sup = classifier(scratch_encoder("simclr", shape, 0))
    sup.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    results["throughput"]["supervised (small_resnet)"] = throughput(
        sup, xt, y_train[:len(xt)], args.batch_size)
    vit_sup = classifier(scratch_encoder("mae", shape, 0))
    vit_sup.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    results["throughput"]["supervised (ViT)"] = throughput(
        vit_sup, xt, y_train[:len(xt)], args.batch_size)
    for method in methods:
        m = build_method(method, shape, WIDTH, DEPTH, seed=0)
        m.compile(optimizer=optimizer_for(method, 1e-3, 100))
        results["throughput"][method] = throughput(m, xt, None,
                                                   args.batch_size)
    print("throughput (images/s):", {k: round(v) for k, v in
                                     results["throughput"].items()},
          flush=True)

    probe = (x_train[:5000], y_train[:5000], x_test[:2000], y_test[:2000])
    for seed in seeds:
        run = results["runs"][str(seed)] = {}
        order = np.random.default_rng(seed).permutation(len(x_train))
        x_pre = x_train[order][:args.pretrain_subset or len(x_train)]
        few = data.stratified_subset(y_train, args.labels_fraction, seed)
        x_few, y_few = x_train[few], y_train[few]
        for arch in sorted({"mae" if m == "mae" else "resnet"
                            for m in methods}):
            start = time.time()
            keras.utils.set_random_seed(seed)
            enc = scratch_encoder("mae" if arch == "mae" else "simclr",
                                  shape, seed)
            run[f"from scratch ({arch})"] = {"accuracy": fine_tune(
                enc, x_few, y_few, x_test, y_test, args.finetune_epochs,
                pretrained=False)}
            print(f"seed {seed} from scratch ({arch}): "
                  f"{run[f'from scratch ({arch})']['accuracy']:.4f} "
                  f"({time.time() - start:.0f} s)", flush=True)
        if args.supervised_epochs and seed == seeds[0]:
            start = time.time()
            keras.utils.set_random_seed(seed)
            full = classifier(scratch_encoder("simclr", shape, seed))
            full.compile(optimizer="adam",
                         loss="sparse_categorical_crossentropy")
            full.fit(x_train, y_train, epochs=args.supervised_epochs,
                     batch_size=128, verbose=0)
            run["supervised 100% (resnet)"] = {
                "accuracy": test_accuracy(full, x_test, y_test)}
            print(f"seed {seed} supervised 100%: "
                  f"{run['supervised 100% (resnet)']['accuracy']:.4f} "
                  f"({time.time() - start:.0f} s)", flush=True)
        for method in methods:
            model, history, seconds = pretrain(
                method, x_pre, probe, args.pretrain_epochs, args.batch_size,
                seed)
            encoder = model.encoder
            linear = ssl.linear_probe(encoder, x_few, y_few, x_test, y_test)
            knn = ssl.knn_accuracy(encoder, x_few, y_few, x_test, y_test)
            tuned = fine_tune(encoder, x_few, y_few, x_test, y_test,
                              args.finetune_epochs, pretrained=True)
            run[method] = {
                "linear probe": linear, "knn (600 labels)": knn,
                "fine-tune": tuned, "pretrain seconds": seconds,
                "knn curve": [float(v) for v in history["knn_accuracy"]],
                "loss curve": [float(v) for v in history["loss"]],
            }
            print(f"seed {seed} {method}: pretrain {seconds:.0f} s, k-NN "
                  f"per epoch {[round(v, 3) for v in history['knn_accuracy']]}"
                  f", linear probe {linear:.4f}, k-NN@600 {knn:.4f}, "
                  f"fine-tune {tuned:.4f}", flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)

    print()
    print("| method | linear probe (600) | fine-tune (600) | from scratch "
          "(600) | gain over scratch | pretrain time |")
    print("|---|---|---|---|---|---|")
    for method in methods:
        arch = "mae" if method == "mae" else "resnet"
        rows = [results["runs"][str(s)] for s in seeds]
        lin = [r[method]["linear probe"] for r in rows]
        ft = [r[method]["fine-tune"] for r in rows]
        sc = [r[f"from scratch ({arch})"]["accuracy"] for r in rows]
        gain = [a - b for a, b in zip(ft, sc)]
        secs = [r[method]["pretrain seconds"] for r in rows]

        def med(v):
            return (f"{np.median(v):.4f}" if len(v) == 1 else
                    f"{np.median(v):.4f} ({min(v):.4f}-{max(v):.4f})")
        print(f"| {method} | {med(lin)} | {med(ft)} | {med(sc)} | "
              f"{100 * np.median(gain):+.2f} pts | {np.median(secs):.0f} s |")
    first = results["runs"][str(seeds[0])]
    if "supervised 100% (resnet)" in first:
        print(f"supervised 100% (resnet, {args.supervised_epochs} epochs, "
              f"seed {seeds[0]}): "
              f"{first['supervised 100% (resnet)']['accuracy']:.4f}")
    t = results["throughput"]
    for method in methods:
        ref = t["supervised (ViT)" if method == "mae"
                else "supervised (small_resnet)"]
        print(f"throughput {method}: {t[method]:.0f} images/s, "
              f"{t[method] / ref:.2f}x supervised training of the same "
              f"encoder ({ref:.0f} images/s)")
    if args.plot:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.2), dpi=120)
        for method in methods:
            curve = np.median([results["runs"][str(s)][method]["knn curve"]
                               for s in seeds], axis=0)
            ax.plot(np.arange(1, len(curve) + 1), curve, marker="o",
                    label=method)
        ax.set_xlabel("pretraining epoch")
        ax.set_ylabel("k-NN accuracy (k=20)")
        ax.set_title(f"Fashion-MNIST, {backend}")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        os.makedirs(os.path.dirname(args.plot) or ".", exist_ok=True)
        fig.savefig(args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
