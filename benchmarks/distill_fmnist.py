"""Knowledge distillation on Fashion-MNIST: a ~50k-parameter student CNN
trained alone vs distilled from a `small_resnet` teacher.

    KERAS_BACKEND=jax python benchmarks/distill_fmnist.py
    KERAS_BACKEND=jax python benchmarks/distill_fmnist.py --seeds 0 \
        --epochs 3 --teacher-epochs 2 --subset 2000     # a quick look

The teacher (`keras_recipes.models.small_resnet`, width 16, depth 8) is
trained once (seed 0, Adam with a cosine decay from 2e-3 over 15 epochs)
on a training subset (default: the first 10,000 of
the 60,000 training images, shuffled with seed 0). For each seed the same
student architecture (Rescaling, two 3x3 convolutions of 16 and 32
filters with max-pooling, a dense layer of 60 units and 10 logits: 53k
parameters) is trained for the same number of epochs, with the same
optimizer (Adam 1e-3) and batches:

- `student alone`: sparse softmax cross-entropy on the labels;
- `distilled`: `keras_recipes.distillation.Distiller` with `T=4`,
  `alpha=0.9` and the teacher's outputs cached once with
  `distillation.cache_teacher` (no augmentation, so the live teacher would
  give the same targets).

Test accuracy is on the full 10,000 test images; the table gives the
median and range over the seeds. Time per epoch (median of the epochs after
the first, which includes compilation) compares the student alone, the
Distiller with the cache and the Distiller running the live teacher in
every step (2 extra epochs, seed 0, timing only).
"""

import argparse
import json
import os
import time

import keras
import numpy as np
from _common import EpochTimer  # benchmarks/ is on sys.path

import keras_recipes
from keras_recipes import distillation


def student_cnn():
    inputs = keras.Input((28, 28, 1))
    h = keras.layers.Rescaling(1.0 / 255.0)(inputs)
    h = keras.layers.Conv2D(16, 3, activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(32, 3, activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(60, activation="relu")(h)
    outputs = keras.layers.Dense(10)(h)
    return keras.Model(inputs, outputs, name="student")


def accuracy(model, x, y):
    scores = model.predict(x, batch_size=1000, verbose=0)
    return float(np.mean(scores.argmax(axis=1) == y))


def ce():
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def train_teacher(x, y, epochs, batch_size, width=16, depth=8):
    keras.utils.set_random_seed(0)
    teacher = keras_recipes.models.small_resnet((28, 28, 1), 10, width=width,
                                                depth=depth)
    steps = epochs * int(np.ceil(len(x) / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, steps)
    teacher.compile(optimizer=keras.optimizers.Adam(schedule),
                    loss="sparse_categorical_crossentropy")
    timer = EpochTimer()
    teacher.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
                callbacks=[timer])
    return teacher, timer.per_epoch()


def run_student(x, y, epochs, seed, batch_size):
    keras.utils.set_random_seed(seed)
    student = student_cnn()
    student.compile(optimizer=keras.optimizers.Adam(1e-3), loss=ce())
    timer = EpochTimer()
    student.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
                callbacks=[timer])
    return student, timer.per_epoch()


def run_distilled(x, targets, teacher, epochs, seed, batch_size,
                  temperature, alpha):
    keras.utils.set_random_seed(seed)
    student = student_cnn()
    distiller = distillation.Distiller(
        teacher, student, temperature=temperature, alpha=alpha,
        student_loss=ce(), teacher_from_logits=False,
    )
    distiller.compile(optimizer=keras.optimizers.Adam(1e-3))
    timer = EpochTimer()
    distiller.fit(x, targets, batch_size=batch_size, epochs=epochs,
                  verbose=0, callbacks=[timer])
    return student, timer.per_epoch()


def spread(values):
    v = np.asarray(values)
    return f"{np.median(v):.4f} ({v.min():.4f}-{v.max():.4f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=10,
                        help="student epochs, equal for both (default 10)")
    parser.add_argument("--teacher-epochs", type=int, default=15)
    parser.add_argument("--teacher-width", type=int, default=16)
    parser.add_argument("--teacher-depth", type=int, default=8)
    parser.add_argument("--subset", type=int, default=10000,
                        help="training images (default 10000)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--temperature", type=float, default=4.0)
    parser.add_argument("--alpha", type=float, default=0.9)
    parser.add_argument("--live-epochs", type=int, default=2,
                        help="epochs of the live-teacher timing run (0: "
                        "skip it)")
    parser.add_argument("--json", default=None, help="results file "
                        "(default: benchmarks/results/"
                        "distill_fmnist_<backend>.json)")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    start = time.perf_counter()

    (x, y), (x_test, y_test) = keras_recipes.datasets.fashion_mnist.load_data()
    order = np.random.default_rng(0).permutation(len(x))[: args.subset]
    x = x[order][..., None].astype("float32")
    y = y[order].astype("int32")
    x_test = x_test[..., None].astype("float32")
    backend = keras.backend.backend()
    print(f"backend {backend}, {len(x)} training images (subset of 60,000, "
          f"seed 0), full test set of {len(x_test)} images, student "
          f"{args.epochs} epochs, teacher {args.teacher_epochs} epochs, "
          f"seeds {seeds}, T={args.temperature}, alpha={args.alpha}",
          flush=True)

    teacher, teacher_epoch = train_teacher(
        x, y, args.teacher_epochs, args.batch_size, args.teacher_width,
        args.teacher_depth)
    teacher_acc = accuracy(teacher, x_test, y_test)
    t0 = time.perf_counter()
    cached = distillation.cache_teacher(teacher, x, batch_size=500)
    cache_seconds = time.perf_counter() - t0
    print(f"  teacher: {teacher.count_params()} parameters, test accuracy "
          f"{teacher_acc:.4f}, {teacher_epoch:.1f} s/epoch; cache "
          f"{cache_seconds:.1f} s", flush=True)
    targets = {"labels": y, "teacher": cached}

    alone, distilled, alone_t, cached_t = [], [], [], []
    for seed in seeds:
        student, sec = run_student(x, y, args.epochs, seed, args.batch_size)
        alone.append(accuracy(student, x_test, y_test))
        alone_t.append(sec)
        n_params = student.count_params()
        student, sec = run_distilled(
            x, targets, None, args.epochs, seed, args.batch_size,
            args.temperature, args.alpha)
        distilled.append(accuracy(student, x_test, y_test))
        cached_t.append(sec)
        print(f"  seed {seed}: student alone {alone[-1]:.4f}, distilled "
              f"{distilled[-1]:.4f} ({distilled[-1] - alone[-1]:+.4f})",
              flush=True)

    live_t = None
    if args.live_epochs:
        _, live_t = run_distilled(
            x, y, teacher, max(args.live_epochs, 2), seeds[0],
            args.batch_size, args.temperature, args.alpha)

    gain = 100 * (np.median(distilled) - np.median(alone))
    print(f"\nstudent: {n_params} parameters; teacher: small_resnet width "
          f"{args.teacher_width}, depth {args.teacher_depth}, "
          f"{teacher.count_params()} parameters, test accuracy "
          f"{teacher_acc:.4f}")
    print("\n| model | test accuracy, median (range) | vs alone |")
    print("|---|---|---|")
    print(f"| student alone | {spread(alone)} | |")
    print(f"| distilled (T={args.temperature:g}, alpha={args.alpha:g}) "
          f"| {spread(distilled)} | {gain:+.2f} pts |")
    print("\n| training | s / epoch (median) | vs alone |")
    print("|---|---|---|")
    base = float(np.median(alone_t))
    rows = [("student alone", base),
            ("Distiller, cached teacher", float(np.median(cached_t)))]
    if live_t is not None:
        rows.append(("Distiller, live teacher", live_t))
    for name, sec in rows:
        print(f"| {name} | {sec:.2f} | x{sec / base:.2f} |")
    print(f"| (teacher cache, once) | {cache_seconds:.2f} | |")
    wall = time.perf_counter() - start
    print(f"\nwall time {wall:.0f} s; target: distilled >= alone + 0.5 "
          f"pts: {'met' if gain >= 0.5 else 'MISSED'} ({gain:+.2f} pts)")

    path = args.json or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "results",
        f"distill_fmnist_{backend}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        json.dump({
            "backend": backend, "args": vars(args), "seeds": seeds,
            "train_images": len(x), "test_images": len(x_test),
            "teacher_params": teacher.count_params(),
            "student_params": n_params, "teacher_accuracy": teacher_acc,
            "alone": alone, "distilled": distilled,
            "gain_points": gain,
            "seconds_per_epoch": {
                "alone": base, "cached": float(np.median(cached_t)),
                "live": live_t, "cache_once": cache_seconds,
            },
            "wall_seconds": wall,
        }, fh, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
