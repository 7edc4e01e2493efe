"""`cross_validate`: K-fold cross-validation of a Keras model trained with a
`Recipe`, with out-of-fold probabilities.

Keras has no cross-validation for Keras models (the KerasTuner request has
been open since 2019); scikit-learn's `cross_validate` needs an estimator.
Here each fold rebuilds the model from scratch, trains it with
`Recipe.fit` (so the recipe's augmentations, schedule, warmup and weight
averaging all apply) and predicts its held-out part.
"""

import time

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.metrics.calibration import ECE_BINS
from keras_recipes.metrics.calibration import expected_calibration_error
from keras_recipes.metrics.classification import as_probabilities
from keras_recipes.metrics.classification import classification_metrics
from keras_recipes.utils.labels import check_same_length
from keras_recipes.utils.labels import class_ids
from keras_recipes.utils.optional import import_optional
from keras_recipes.utils.progress import Progress
from keras_recipes.utils.seeding import check_seed
from keras_recipes.utils.seeding import derive_seed

SCORERS = ("accuracy", "macro_f1", "weighted_f1", "log_loss", "ece")


def fold_seed(seed, fold):
    """The seed of fold `fold` (0-based): `keras.utils.set_random_seed` and
    the recipe's `seed` both get it, so a fold reproduces on its own."""
    return derive_seed(seed, fold)


def _scores(y_true, y_prob, scoring):
    num_classes = y_prob.shape[1]
    m = classification_metrics(y_true, y_prob.argmax(axis=1), num_classes)
    eps = np.finfo("float64").eps
    p_true = y_prob[np.arange(len(y_true)), y_true]
    values = {
        "accuracy": m["accuracy"],
        "macro_f1": m["macro_f1"],
        "weighted_f1": m["weighted_f1"],
        "log_loss": float(-np.log(np.clip(p_true, eps, 1.0)).mean()),
        "ece": expected_calibration_error(y_true, y_prob, ECE_BINS),
    }
    return {name: values[name] for name in scoring}


class CVResult:
    """What `cross_validate` measured.

    Attributes:
        fold_scores: list of one dict per fold, `{metric: value}` on that
            fold's held-out part.
        mean, std: dicts `{metric: value}` over the folds (`std` is the
            population standard deviation, `ddof=0`, like scikit-learn's
            `cv_results_`).
        oof: `(N, C)` out-of-fold probabilities aligned with `x` (each row
            predicted by the fold that held it out), or `None` with
            `return_oof=False`. Rows no fold held out are NaN.
        histories: list of one `History.history` dict per fold.
        splits: list of `(train_indices, validation_indices)`.
        seconds: list of the wall time of each fold.
    """

    def __init__(self, fold_scores, oof, histories, splits, seconds):
        self.fold_scores = fold_scores
        names = list(fold_scores[0]) if fold_scores else []
        self.mean = {k: float(np.mean([f[k] for f in fold_scores]))
                     for k in names}
        self.std = {k: float(np.std([f[k] for f in fold_scores]))
                    for k in names}
        self.oof = oof
        self.histories = histories
        self.splits = splits
        self.seconds = seconds

    def to_dict(self):
        """Everything but the arrays, JSON-serializable (`oof` as lists)."""
        return {
            "fold_scores": self.fold_scores,
            "mean": self.mean,
            "std": self.std,
            "histories": self.histories,
            "seconds": self.seconds,
            "oof": None if self.oof is None else self.oof.tolist(),
        }

    def __repr__(self):
        parts = ", ".join(f"{k}={self.mean[k]:.4f}±{self.std[k]:.4f}"
                          for k in self.mean)
        return f"<CVResult {len(self.fold_scores)} folds: {parts}>"


def _splits(cv, x, y, groups, seed):
    if isinstance(cv, bool):
        raise TypeError(
            "Expected `cv` to be an int >= 2 or a scikit-learn splitter. "
            f"Received: cv={cv!r}"
        )
    if isinstance(cv, (int, np.integer)):
        if cv < 2:
            raise ValueError(
                "Expected `cv` to be an int >= 2 or a scikit-learn "
                f"splitter. Received: cv={cv!r}"
            )
        counts = np.bincount(y)
        smallest = counts[counts > 0].min()
        if smallest < cv:
            raise ValueError(
                f"Expected every class to have at least cv={cv} samples for "
                f"stratified folds. Received: a class with {smallest}"
            )
        selection = import_optional("sklearn.model_selection", "tuning")
        cv = selection.StratifiedKFold(n_splits=int(cv), shuffle=True,
                                       random_state=seed)
    elif isinstance(cv, str) or not hasattr(cv, "split"):
        raise TypeError(
            "Expected `cv` to be an int >= 2 or a scikit-learn splitter "
            f"(an object with `split`). Received: cv of type "
            f"{type(cv).__name__}"
        )
    return [(np.asarray(tr), np.asarray(va))
            for tr, va in cv.split(np.zeros(len(y)), y, groups)]


@keras_recipes_export("keras_recipes.tuning.cross_validate")
def cross_validate(build_model, x, y, recipe=None, cv=5, groups=None,
                   scoring=("accuracy",), epochs=None, seed=0,
                   return_oof=True, verbose=1, jit_compile="auto"):
    """Cross-validate a model trained with a recipe; returns a `CVResult`.

    For fold `k` (0-based) of the splits: `keras.utils.clear_session()`,
    `keras.utils.set_random_seed(s)` and a recipe with `seed=s`, where
    `s = fold_seed(seed, k)`; then `build_model()` builds a fresh model,
    `recipe.fit` trains it on the fold's training part (validating on the
    held-out part, so the history holds `val_*`), and its probabilities on
    the held-out part are scored and kept as out-of-fold predictions. A
    loop written by hand with the same splits and seeds gives the same
    numbers.

    Args:
        build_model: a function of no arguments returning a new, uncompiled
            `keras.Model` with one probability (or logit) per class.
        x: NumPy array of inputs, `N` samples.
        y: integer labels `(N,)` (or one-hot `(N, C)`).
        recipe: a `keras_recipes.recipes.Recipe`, a preset name, or `None`
            for `"baseline"`. Defaults to `None`.
        cv: int `K` >= 2 for scikit-learn's `StratifiedKFold(K,
            shuffle=True, random_state=seed)`, or any scikit-learn splitter
            (`KFold`, `GroupKFold`, `StratifiedGroupKFold`,
            `TimeSeriesSplit`, ...). Defaults to `5`.
        groups: array `(N,)` passed to the splitter's `split` (for the
            group splitters), or `None`. Defaults to `None`.
        scoring: names among `"accuracy"`, `"macro_f1"`, `"weighted_f1"`,
            `"log_loss"` and `"ece"`. Defaults to `("accuracy",)`.
        epochs: int, overrides the recipe's epochs, or `None`. Defaults to
            `None`.
        seed: int, the seed of the splits and of every fold. Defaults to
            `0`.
        return_oof: bool, keep the out-of-fold probabilities. Defaults to
            `True`.
        verbose: `0` silent, `1` a progress bar over the folds (tqdm when
            installed, else Keras's) showing the last fold's scores, `2`
            one line per fold. Defaults to `1`.
        jit_compile: passed to `Recipe.fit`; `False` trains eagerly.
            Defaults to `"auto"`.

    Returns:
        A `CVResult`: `fold_scores`, `mean`, `std`, `oof`, `histories`,
        `splits`, `seconds`.

    Example:

    >>> x = np.random.default_rng(0).normal(size=(60, 4)).astype("float32")
    >>> y = (x[:, 0] > 0).astype("int64")
    >>> def build_model():
    ...     return keras.Sequential([
    ...         keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    >>> result = keras_recipes.tuning.cross_validate(
    ...     build_model, x, y, cv=3, epochs=1, verbose=0)
    >>> len(result.fold_scores), result.oof.shape
    (3, (60, 2))
    """
    from keras_recipes.recipes import Recipe
    from keras_recipes.recipes.recipe import as_recipe

    if not callable(build_model):
        raise TypeError(
            "Expected `build_model` to be a function returning a new "
            f"keras.Model. Received: build_model={build_model!r}"
        )
    recipe = as_recipe(recipe)
    if isinstance(scoring, str):
        scoring = (scoring,)
    scoring = tuple(scoring)
    unknown = [s for s in scoring if s not in SCORERS]
    if unknown or not scoring:
        raise ValueError(
            f"Expected `scoring` names among {list(SCORERS)}. Received: "
            f"scoring={scoring!r}"
        )
    check_seed(seed)
    if not isinstance(return_oof, bool):
        raise TypeError(
            "Expected `return_oof` to be a bool. Received: "
            f"return_oof={return_oof!r}"
        )
    if verbose not in (0, 1, 2):
        raise ValueError(
            f"Expected `verbose` to be 0, 1 or 2. Received: verbose={verbose!r}"
        )
    x = np.asarray(x)
    check_same_length("x", x, "y", y)
    y_ids = class_ids(y, name="y")
    if groups is not None:
        groups = np.asarray(groups).reshape(-1)
        check_same_length("groups", groups, "y", y_ids)
    overrides = {"seed": None}
    if epochs is not None:
        overrides["epochs"] = epochs
    splits = _splits(cv, x, y_ids, groups, seed)
    num_classes = None
    oof = None
    fold_scores, histories, seconds = [], [], []
    bar = Progress(len(splits), verbose == 1, description="cross-validation",
                   unit="fold")
    for k, (train, val) in enumerate(splits):
        s = fold_seed(seed, k)
        keras.utils.clear_session()
        keras.utils.set_random_seed(s)
        fold_recipe = Recipe.from_config(
            {**recipe.get_config(), **overrides, "seed": s}
        )
        model = build_model()
        if not isinstance(model, keras.Model):
            raise TypeError(
                "Expected `build_model()` to return a keras.Model. "
                f"Received: {type(model).__name__}"
            )
        if num_classes is None:
            num_classes = int(model.output_shape[-1])
            class_ids(y_ids, num_classes, name="y")
            if return_oof:
                oof = np.full((len(x), num_classes), np.nan)
        start = time.time()
        history = fold_recipe.fit(
            model, x[train], y_ids[train],
            validation_data=(x[val], y_ids[val]), verbose=0,
            jit_compile=jit_compile,
        )
        y_prob = as_probabilities(
            keras.ops.convert_to_numpy(
                model.predict(x[val], batch_size=fold_recipe.batch_size,
                              verbose=0)
            )
        )
        seconds.append(time.time() - start)
        fold_scores.append(_scores(y_ids[val], y_prob, scoring))
        histories.append({k2: [float(v) for v in vs]
                          for k2, vs in history.history.items()})
        if oof is not None:
            oof[val] = y_prob
        bar.update(**fold_scores[-1])
        if verbose == 2:
            shown = ", ".join(f"{name} {value:.4f}"
                              for name, value in fold_scores[-1].items())
            width = len(str(len(splits)))
            print(f"fold {k + 1:>{width}}/{len(splits)}: {shown} "
                  f"({seconds[-1]:.1f} s, {len(train)} train / {len(val)} "
                  "held out)", flush=True)
    bar.close()
    return CVResult(fold_scores, oof, histories, splits, seconds)
