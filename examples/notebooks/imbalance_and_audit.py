# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Imbalanced data and a dataset audit
#
# Real datasets are skewed and dirty. This notebook cuts Fashion-MNIST to a
# long tail (100:1), audits it for duplicates, train/test leaks and likely
# label errors (confident learning on out-of-fold probabilities), then
# trains the same small CNN three ways and compares balanced accuracy:
# plain cross-entropy, class-balanced batches, and LDAM with deferred
# re-weighting.

# %%
# %pip install -q "keras-recipes[jax,imbalance,plots]"

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "jax")    # or "tensorflow", "torch"
SMOKE = os.environ.get("SMOKE") == "1"           # a tiny run of every cell

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_recipes
from keras_recipes.datasets import fashion_mnist

EPOCHS = 1 if SMOKE else 8

# %% [markdown]
# ## A long-tailed training set

# %%
(x, y), (x_test, y_test) = fashion_mnist.load_data()
x = x[..., None].astype("float32")
x_test = x_test[..., None].astype("float32")
if SMOKE:
    x, y, x_test, y_test = x[:6000], y[:6000], x_test[:300], y_test[:300]
x_lt, y_lt = keras_recipes.datasets.long_tailed(
    x, y, imbalance_ratio=100, seed=0)
counts = np.bincount(y_lt, minlength=10)
print("images per class:", counts.tolist())


# %%
def cnn(cosine=False):
    inputs = keras.Input((28, 28, 1))
    h = keras.layers.Rescaling(1 / 255)(inputs)
    h = keras.layers.Conv2D(32, 3, activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(64, 3, activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(128, activation="relu")(h)
    if cosine:   # LDAM's margins are set for a cosine classifier
        h = keras.layers.UnitNormalization()(h)
        outputs = keras.layers.Dense(
            10, use_bias=False,
            kernel_constraint=keras.constraints.UnitNorm(axis=0))(h)
    else:
        outputs = keras.layers.Dense(10)(h)
    return keras.Model(inputs, outputs)


# %% [markdown]
# ## Audit: duplicates, leaks and likely label errors
# `tuning.cross_validate` gives every training image a probability from a
# model that did not train on it; the audit's confident learning flags the
# labels those probabilities contradict.

# %%
cv = keras_recipes.tuning.cross_validate(
    cnn, x_lt, y_lt, cv=3, epochs=EPOCHS, verbose=1,
    recipe=keras_recipes.recipes.Recipe(
        loss=keras_recipes.losses.LabelSmoothingCrossentropy(
            label_smoothing=0.0, from_logits=True), epochs=EPOCHS))
report = keras_recipes.data.audit(x_lt, y_lt, x_test, y_test,
                                  probabilities=cv.oof, verbose=True)
print(report.summary())
report.to_html("audit.html", x=x_lt, x_test=x_test,
               class_names=fashion_mnist.CLASS_NAMES)


# %% [markdown]
# ## Three ways to train on the long tail

# %%
def balanced_accuracy(model):
    pred = model.predict(x_test, batch_size=512, verbose=0).argmax(1)
    recalls = [np.mean(pred[y_test == c] == c) for c in range(10)]
    return float(np.mean(recalls))


results = {}
keras.utils.set_random_seed(0)
model = cnn()
model.compile("adam", keras.losses.SparseCategoricalCrossentropy(
    from_logits=True))
model.fit(x_lt, y_lt, batch_size=128, epochs=EPOCHS, verbose=0)
results["cross-entropy"] = balanced_accuracy(model)

keras.utils.set_random_seed(0)
model = cnn()
model.compile("adam", keras.losses.SparseCategoricalCrossentropy(
    from_logits=True))
batches = keras_recipes.data.BalancedBatches(
    x_lt, y_lt, batch_size=128, sampling="sqrt", seed=0,
    steps_per_epoch=len(x_lt) // 128)
model.fit(batches, epochs=EPOCHS, verbose=0)
results["balanced batches (sqrt)"] = balanced_accuracy(model)

keras.utils.set_random_seed(0)
model = cnn(cosine=True)
model.compile("adam", keras_recipes.losses.LDAMLoss(counts))
model.fit(x_lt, y_lt, batch_size=128, epochs=EPOCHS, verbose=0, callbacks=[
    keras_recipes.callbacks.DeferredReweighting(
        start_epoch=max(1, int(0.8 * EPOCHS)) if EPOCHS > 1 else 0)])
results["LDAM + deferred re-weighting"] = balanced_accuracy(model)
for name, value in results.items():
    print(f"{name:32s} {value:.4f}")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax1.bar(range(10), counts)
ax1.set_yscale("log")
ax1.set_xlabel("class")
ax1.set_ylabel("training images")
ax2.barh(list(results), list(results.values()))
ax2.set_xlabel("balanced test accuracy")
fig.tight_layout()
fig.savefig("imbalance_and_audit.png")
plt.show()
