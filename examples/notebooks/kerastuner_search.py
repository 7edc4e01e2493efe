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
# # A KerasTuner search over training recipes
#
# The model stays fixed; what is searched is how it is trained: learning
# rate, loss, label smoothing and augmentation strength.
# `tuning.RecipeHyperModel` turns a recipe's search space into a KerasTuner
# hypermodel, `tuning.make_tuner` runs Bayesian optimisation over it, and
# the best trial comes back as a `Recipe` to retrain on all the data. The
# learning-rate finder first checks that the space's learning-rate range is
# sensible.

# %%
# %pip install -q "keras-recipes[jax,tuning,plots]"

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "jax")    # or "tensorflow", "torch"
SMOKE = os.environ.get("SMOKE") == "1"           # a tiny run of every cell

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_recipes
from keras_recipes import tuning
from keras_recipes.datasets import fashion_mnist

# %%
(x, y), (x_test, y_test) = fashion_mnist.load_data()
x = x[..., None].astype("float32")
x_test = x_test[..., None].astype("float32")
n = 1000 if SMOKE else 12000           # a search needs many short trials
x, y = x[:n], y[:n]
if SMOKE:
    x_test, y_test = x_test[:300], y_test[:300]


def build_model(hp=None):
    inputs = keras.Input((28, 28, 1))
    h = keras.layers.Rescaling(1 / 255)(inputs)
    h = keras.layers.Conv2D(32, 3, activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(64, 3, activation="relu")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    outputs = keras.layers.Dense(10, activation="softmax")(h)
    return keras.Model(inputs, outputs)


# %% [markdown]
# ## Where should the learning-rate range be?

# %%
model = build_model()
model.compile("adam", "sparse_categorical_crossentropy")
finder = keras_recipes.callbacks.find_learning_rate(
    model, x, y, batch_size=64, num_steps=20 if SMOKE else 100,
    plot_path="lr_finder.png")
print("suggested learning rate:", finder.suggested_learning_rate)

# %% [markdown]
# ## The search

# %%
space = {
    "learning_rate": tuning.LogUniform(3e-4, 3e-2),
    "loss": tuning.Choice(["crossentropy", "focal"]),
    "label_smoothing": tuning.Choice([0.0, 0.1]),
    "erasing_prob": tuning.Uniform(0.0, 0.5),
}
hypermodel = tuning.RecipeHyperModel(build_model, recipe="baseline",
                                     space=space)
tuner = tuning.make_tuner("bayesian", hypermodel,
                          max_trials=2 if SMOKE else 12,
                          directory="search", overwrite=True, progress=True)
tuner.search(x, y, validation_split=0.2, epochs=1 if SMOKE else 4,
             verbose=0)
best = tuner.get_best_recipe("best_recipe.json")
print(best)

# %% [markdown]
# ## Retrain the best recipe on all the data

# %%
model = build_model()
best.fit(model, x, y, epochs=1 if SMOKE else 8, verbose=0)
accuracy = float(np.mean(
    model.predict(x_test, verbose=0).argmax(1) == y_test))
print(f"test accuracy of the best recipe: {accuracy:.4f}")

# %%
trials = tuner.oracle.get_best_trials(num_trials=len(tuner.oracle.trials))
scores = [t.score for t in trials if t.score is not None]
rates = [t.hyperparameters.get("learning_rate") for t in trials
         if t.score is not None]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax1.semilogx(finder.learning_rates, finder.smoothed_losses)
ax1.set_xlabel("learning rate")
ax1.set_ylabel("smoothed loss")
ax1.set_title("LR finder")
ax2.scatter(rates, scores)
ax2.set_xscale("log")
ax2.set_xlabel("learning rate")
ax2.set_ylabel("validation accuracy")
ax2.set_title("trials")
fig.tight_layout()
fig.savefig("kerastuner_search.png")
plt.show()
