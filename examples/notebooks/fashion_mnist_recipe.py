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
# # Fashion-MNIST with a recipe, experiment tracking and an evaluation report
#
# A `keras_recipes.recipes.Recipe` trains `small_resnet` on Fashion-MNIST
# with the `standard` preset (AdamW, warmup-cosine, label smoothing,
# RandAugment, MixUp/CutMix), logs every epoch to a local MLflow store, and
# `keras_recipes.evaluation.evaluate` turns the test predictions into a
# report: per-class metrics, the confusion matrix, calibration, the hardest
# examples. Runs on a Kaggle GPU or a CPU, on JAX, TensorFlow or PyTorch.

# %%
# %pip install -q "keras-recipes[jax,tracking,plots]"

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "jax")    # or "tensorflow", "torch"
SMOKE = os.environ.get("SMOKE") == "1"           # a tiny run of every cell

import matplotlib.pyplot as plt

import keras_recipes
from keras_recipes.datasets import fashion_mnist
from keras_recipes.recipes import Recipe

# %% [markdown]
# ## Data
# Loaded offline when `dataset-fashion-mnist` is installed, otherwise
# downloaded once by Keras. Pixels stay 0-255: the augmentations and the
# model's own rescaling expect that.

# %%
(x, y), (x_test, y_test) = fashion_mnist.load_data()
x = x[..., None].astype("float32")
x_test = x_test[..., None].astype("float32")
if SMOKE:
    x, y, x_test, y_test = x[:600], y[:600], x_test[:200], y_test[:200]
split = int(0.9 * len(x))
print(x.shape, x_test.shape)

# %% [markdown]
# ## Train with a recipe, tracked in MLflow

# %%
model = keras_recipes.models.small_resnet(
    (28, 28, 1), 10, width=8 if SMOKE else 32)
recipe = Recipe.from_preset("standard", epochs=1 if SMOKE else 15)
tracker = keras_recipes.tracking.MLflowTracker(
    "sqlite:///mlruns.db", run_name="fashion-mnist-standard")
history = recipe.fit(model, x[:split], y[:split],
                     validation_data=(x[split:], y[split:]),
                     callbacks=[tracker])
recipe.to_json("recipe.json")          # how this model was trained

# %% [markdown]
# ## The evaluation report

# %%
report = keras_recipes.evaluation.evaluate(
    model, x_test, y_test, class_names=fashion_mnist.CLASS_NAMES, verbose=0)
print(report.summary())
report.to_html("report.html")          # one self-contained page

# %%
per_class = report.to_dict()["per_class"]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax1.plot(history.history["accuracy"], label="train")
ax1.plot(history.history["val_accuracy"], label="validation")
ax1.set_xlabel("epoch")
ax1.set_ylabel("accuracy")
ax1.legend()
ax2.barh([r["class"] for r in per_class], [r["recall"] for r in per_class])
ax2.set_xlabel("test recall")
ax2.set_xlim(0, 1)
fig.tight_layout()
fig.savefig("fashion_mnist_recipe.png")
plt.show()
