"""Multi-class AdaBoost, SAMME (Zhu et al., 2009), with neural learners
trained through `sample_weight`."""

import math

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.ensembles.bagging import check_builder
from keras_recipes.ensembles.bagging import fit_member
from keras_recipes.recipes.recipe import as_recipe
from keras_recipes.utils.labels import check_same_length
from keras_recipes.utils.labels import class_ids
from keras_recipes.utils.seeding import check_seed
from keras_recipes.utils.seeding import derive_seed
from keras_recipes.utils.validation import check_number

# An error within this of `1 - 1/K` counts as chance (float sums of `w`).
CHANCE_TOLERANCE = 1e-10


def _at_chance(err, num_classes):
    return err >= 1.0 - 1.0 / num_classes - CHANCE_TOLERANCE


@keras_recipes_export("keras_recipes.ensembles.samme_step")
def samme_step(sample_weight, miss, num_classes, learning_rate=1.0):
    """One SAMME update: the learner weight and the new sample weights.

    With `err = sum(w * miss) / sum(w)`:
    `alpha = learning_rate * (log((1 - err) / err) + log(K - 1))` and
    `w <- w * exp(alpha * miss)`, renormalised to sum to 1. A perfect
    learner (`err == 0`) gets `alpha = 1` and unchanged weights, as in
    scikit-learn. A learner no better than chance (`err >= 1 - 1/K`)
    gets `alpha = 0` (the caller stops there; an error within `1e-10`
    of `1 - 1/K` counts as chance).

    Args:
        sample_weight: `(N,)` non-negative weights.
        miss: `(N,)` booleans, whether the learner got sample `n` wrong.
        num_classes: int `K` >= 2.
        learning_rate: positive float, shrinks `alpha`. Defaults to `1.0`.

    Returns:
        `(alpha, err, new_sample_weight)`.

    Example:

    >>> alpha, err, w = keras_recipes.ensembles.samme_step(
    ...     np.full(4, 0.25), np.array([True, False, False, False]), 3)
    >>> round(err, 3), round(alpha, 3), np.round(w, 3).tolist()
    (0.25, 1.792, [0.667, 0.111, 0.111, 0.111])
    """
    w = np.asarray(sample_weight, dtype="float64")
    miss = np.asarray(miss, dtype=bool)
    err = float(np.sum(w[miss]) / np.sum(w))
    if err <= 0.0:
        return 1.0, 0.0, w / w.sum()
    if _at_chance(err, num_classes):
        return 0.0, err, w / w.sum()
    alpha = learning_rate * (math.log((1.0 - err) / err)
                             + math.log(num_classes - 1))
    w = w * np.exp(alpha * miss)
    return float(alpha), err, w / w.sum()


@keras_recipes_export("keras_recipes.ensembles.boosting")
def boosting(build_model, x, y, n_models=5, recipe=None, learning_rate=1.0,
             epochs=None, seed=0, verbose=0, jit_compile="auto"):
    """Multi-class AdaBoost (SAMME) with neural learners.

    Start with uniform weights `w = 1/N`. For `m = 1..n_models`: build a
    fresh model (seed `derive_seed(seed, m - 1)`), train it with the
    recipe's optimizer, schedule and loss on `(x, y)` with
    `sample_weight = N * w` (mean 1, so the loss keeps its scale), predict
    the training set, and apply `samme_step`: `err_m` is the weighted
    error, `alpha_m = log((1 - err_m) / err_m) + log(K - 1)` (times
    `learning_rate`), and the weights of the misclassified samples grow by
    `exp(alpha_m)` before renormalising. Boosting stops early, as in
    scikit-learn, after a perfect learner (kept, `alpha = 1`) or at a
    learner no better than chance (`err >= 1 - 1/K`, dropped; raises if it
    is the first).

    The result predicts `argmax_c sum_m alpha_m [pred_m = c]`: a hard
    `VotingEnsemble` weighted by the `alpha_m`, whose output is the
    normalised weighted vote (ties go to the higher weighted mean
    probability).

    Args:
        build_model: a function of no arguments returning a new,
            uncompiled `keras.Model` with a softmax output.
        x: NumPy inputs `(N, ...)`.
        y: integer labels `(N,)` or one-hot `(N, C)`.
        n_models: int >= 1, the most learners. Defaults to `5`.
        recipe: a `Recipe`, a preset name or `None` for `"baseline"`.
            Defaults to `None`.
        learning_rate: positive float, shrinks every `alpha_m`. Defaults
            to `1.0`.
        epochs: int overriding the recipe's epochs, or `None`. Defaults to
            `None`.
        seed: int. Defaults to `0`.
        verbose: passed to `fit`. Defaults to `0`.
        jit_compile: passed to `compile`. Defaults to `"auto"`.

    Returns:
        A `VotingEnsemble(voting="hard", weights=alphas)`, with attributes
        `learner_weights` (the `alpha_m`), `learner_errors` (the `err_m`)
        and `sample_weights` (the weights each learner was trained with,
        summing to 1).

    Example:

    >>> x = np.random.default_rng(0).normal(size=(48, 4)).astype("float32")
    >>> y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    >>> def build_model():
    ...     return keras.Sequential([keras.Input((4,)),
    ...                              keras.layers.Dense(2, "softmax")])
    >>> recipe = keras_recipes.recipes.Recipe.from_preset(
    ...     "baseline", batch_size=8, learning_rate=1e-2)
    >>> ensemble = keras_recipes.ensembles.boosting(
    ...     build_model, x, y, n_models=2, recipe=recipe, epochs=10)
    >>> len(ensemble.learner_weights) == ensemble.num_models
    True

    Reference:
        - [Zhu, Zou, Rosset and Hastie, 2009, Multi-class AdaBoost](
          https://doi.org/10.4310/SII.2009.v2.n3.a8)
    """
    from keras_recipes.ensembles.voting import VotingEnsemble

    check_builder(build_model)
    check_number("n_models", n_models, min_value=1, integer=True)
    recipe = as_recipe(recipe)
    check_number("learning_rate", learning_rate, min_value=0.0,
                 min_inclusive=False)
    check_seed(seed)
    x = np.asarray(x)
    check_same_length("x", x, "y", y)
    y_ids = class_ids(y, name="y")
    n = len(x)
    w = np.full((n,), 1.0 / n)
    models, alphas, errors, weights = [], [], [], []
    num_classes = None
    for m in range(n_models):
        model = fit_member(build_model, x, y_ids, recipe,
                           derive_seed(seed, m), epochs=epochs,
                           sample_weight=n * w, verbose=verbose,
                           jit_compile=jit_compile)
        if num_classes is None:
            num_classes = int(model.output_shape[-1])
            class_ids(y_ids, num_classes, name="y")
        pred = np.asarray(keras.ops.convert_to_numpy(
            model.predict(x, batch_size=recipe.batch_size, verbose=0)
        )).argmax(axis=1)
        miss = pred != y_ids
        alpha, err, new_w = samme_step(w, miss, num_classes, learning_rate)
        if _at_chance(err, num_classes):
            if not models:
                raise ValueError(
                    "Expected the first learner to beat chance (weighted "
                    f"error below 1 - 1/K = {1 - 1 / num_classes:.3f}). "
                    f"Received: weighted error {err:.4f}; train it longer "
                    "(`epochs`) or give it more capacity"
                )
            break
        models.append(model)
        alphas.append(alpha)
        errors.append(err)
        weights.append(w)
        w = new_w
        if err <= 0.0:
            break
    ensemble = VotingEnsemble(models, voting="hard", weights=alphas)
    ensemble.learner_weights = alphas
    ensemble.learner_errors = errors
    ensemble.sample_weights = weights
    return ensemble
