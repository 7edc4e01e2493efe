"""Bagging (Breiman, 1996): members trained on bootstrap samples,
averaged."""

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.recipes.recipe import as_recipe
from keras_recipes.utils.labels import check_same_length
from keras_recipes.utils.labels import class_ids
from keras_recipes.utils.seeding import check_seed
from keras_recipes.utils.seeding import derive_seed
from keras_recipes.utils.validation import check_number


def check_builder(build_model):
    if not callable(build_model) or isinstance(build_model, keras.Model):
        raise TypeError(
            "Expected `build_model` to be a function of no arguments "
            "returning a new keras.Model. Received: "
            f"build_model={build_model!r}"
        )
    return build_model


def build_member(build_model, seed):
    keras.utils.set_random_seed(seed)
    model = build_model()
    if not isinstance(model, keras.Model):
        raise TypeError(
            "Expected `build_model()` to return a keras.Model. Received: "
            f"{type(model).__name__}"
        )
    return model


def fit_member(build_model, x, y, recipe, seed, epochs=None,
               sample_weight=None, verbose=0, jit_compile="auto"):
    """Build a fresh model with `seed` and train it with `recipe`.

    Without `sample_weight` this is `Recipe.fit` (seeded). With it (which
    `Recipe.fit` does not take), the model is compiled by the recipe (its
    optimizer, schedule and loss), wrapped in `AugmentedModel` when the
    recipe has augmentations, and trained with Keras's `fit` on one-hot
    targets with the recipe's callbacks, batch size and epochs.
    """
    from keras_recipes.recipes import Recipe

    model = build_member(build_model, seed)
    config = {**recipe.get_config(), "seed": seed}
    if epochs is not None:
        config["epochs"] = epochs
    recipe = Recipe.from_config(config)
    if sample_weight is None:
        recipe.fit(model, x, y, verbose=verbose, jit_compile=jit_compile)
        return model
    num_classes = int(model.output_shape[-1])
    targets = np.eye(num_classes, dtype="float32")[class_ids(y, num_classes)]
    trained = model
    if recipe.augment:
        from keras_recipes.augment import AugmentedModel
        from keras_recipes.recipes.recipe import _fresh_layer

        trained = AugmentedModel(model, augment=[
            _fresh_layer(layer, seed, i)
            for i, layer in enumerate(recipe.augment)
        ])
        trained.build(model.input_shape)
    steps = recipe.steps_per_epoch(len(x))
    recipe.compile(trained, steps_per_epoch=steps, jit_compile=jit_compile)
    trained.fit(x, targets, sample_weight=np.asarray(sample_weight,
                                                     "float32"),
                batch_size=recipe.batch_size, epochs=recipe.epochs,
                callbacks=recipe.build_callbacks(), verbose=verbose)
    return model


@keras_recipes_export("keras_recipes.ensembles.bagging")
def bagging(build_model, x, y, n_models=5, recipe=None, bootstrap=True,
            max_samples=1.0, method="mean", epochs=None, seed=0, verbose=0,
            jit_compile="auto"):
    """Train `n_models` members on resampled data; average them.

    Member `m` is built by `build_model()` after
    `keras.utils.set_random_seed(derive_seed(seed, m))` and trained with
    `recipe.fit` (the recipe's seed set to the same value) on
    `round(max_samples * N)` rows drawn from `x` by
    `numpy.random.default_rng(seed)`: with replacement (a bootstrap
    sample) when `bootstrap=True`, without replacement otherwise. With
    `bootstrap=False, max_samples=1.0` every member sees all the data and
    the members differ only by their seed (a "deep ensemble"). The same
    `seed` reproduces the same rows.

    Args:
        build_model: a function of no arguments returning a new,
            uncompiled `keras.Model` with a softmax output.
        x: NumPy inputs `(N, ...)`.
        y: integer labels `(N,)` or one-hot `(N, C)`.
        n_models: int >= 1. Defaults to `5`.
        recipe: a `keras_recipes.recipes.Recipe`, a preset name, or `None`
            for the `"baseline"` preset. Defaults to `None`.
        bootstrap: draw with replacement. Defaults to `True`.
        max_samples: float in (0, 1], the fraction of `N` drawn per member.
            Defaults to `1.0`.
        method: `"mean"` or `"geometric"`, see `AveragingEnsemble`.
            Defaults to `"mean"`.
        epochs: int overriding the recipe's epochs, or `None`. Defaults to
            `None`.
        seed: int. Defaults to `0`.
        verbose: passed to `fit`. Defaults to `0`.
        jit_compile: passed to `Recipe.fit`. Defaults to `"auto"`.

    Returns:
        An `AveragingEnsemble` of the trained members; its
        `sample_indices` attribute lists the rows each member was trained
        on.

    Example:

    >>> x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    >>> y = (x[:, 0] > 0).astype("int64")
    >>> def build_model():
    ...     return keras.Sequential([keras.Input((4,)),
    ...                              keras.layers.Dense(2, "softmax")])
    >>> ensemble = keras_recipes.ensembles.bagging(
    ...     build_model, x, y, n_models=2, epochs=1)
    >>> ensemble.num_models, ensemble.predict(x, verbose=0).shape
    (2, (32, 2))

    Reference:
        - [Breiman, 1996, Bagging predictors](
          https://doi.org/10.1007/BF00058655)
    """
    from keras_recipes.ensembles.averaging import METHODS
    from keras_recipes.ensembles.averaging import AveragingEnsemble
    from keras_recipes.utils.validation import check_choice

    check_builder(build_model)
    check_number("n_models", n_models, min_value=1, integer=True)
    recipe = as_recipe(recipe)
    if not isinstance(bootstrap, bool):
        raise TypeError(
            f"Expected `bootstrap` to be a bool. Received: "
            f"bootstrap={bootstrap!r}"
        )
    check_number("max_samples", max_samples, min_value=0.0, max_value=1.0,
                 min_inclusive=False)
    check_choice("method", method, METHODS)
    check_seed(seed)
    x = np.asarray(x)
    y = np.asarray(y)
    check_same_length("x", x, "y", y)
    n = len(x)
    size = max(1, int(round(max_samples * n)))
    rng = np.random.default_rng(seed)
    models, indices = [], []
    for m in range(n_models):
        if bootstrap:
            rows = rng.integers(0, n, size=size)
        else:
            rows = rng.permutation(n)[:size]
        indices.append(rows)
        models.append(fit_member(build_model, x[rows], y[rows], recipe,
                                 derive_seed(seed, m), epochs=epochs,
                                 verbose=verbose, jit_compile=jit_compile))
    ensemble = AveragingEnsemble(models, method=method)
    ensemble.sample_indices = indices
    return ensemble
