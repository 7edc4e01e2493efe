"""Stacking: a meta-learner fitted on the members' out-of-fold
probabilities (Wolpert, 1992; Ting and Witten, 1999)."""

import copy

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.ensembles import _common
from keras_recipes.ensembles._base import Ensemble
from keras_recipes.utils.labels import check_same_length
from keras_recipes.utils.labels import class_ids
from keras_recipes.utils.seeding import check_seed
from keras_recipes.utils.seeding import derive_seed
from keras_recipes.utils.validation import check_choice
from keras_recipes.utils.validation import check_number

FEATURES = ("probabilities", "log_probabilities")


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _objective(theta, x, y_onehot, inv_c):
    """The penalised multinomial log-loss, its gradient and Hessian for
    `theta` of shape `(D + 1, C)` (last row: intercepts, unpenalised)."""
    n, d1 = x.shape
    num_classes = y_onehot.shape[1]
    z = x @ theta
    z_max = z.max(axis=1, keepdims=True)
    log_norm = z_max[:, 0] + np.log(np.exp(z - z_max).sum(axis=1))
    p = _softmax(z)
    penalty = theta.copy()
    penalty[-1] = 0.0
    loss = float(np.sum(log_norm - np.sum(y_onehot * z, axis=1))
                 + 0.5 * inv_c * np.sum(penalty * penalty))
    grad = x.T @ (p - y_onehot) + inv_c * penalty
    # H[(d, c), (e, k)] = sum_n x_nd x_ne (p_nc [c == k] - p_nc p_nk).
    diag = np.einsum("nd,ne,nc->dce", x, x, p)
    hess = np.zeros((d1, num_classes, d1, num_classes))
    idx = np.arange(num_classes)
    hess[:, idx, :, idx] = np.transpose(diag, (1, 0, 2))
    b = (x[:, :, None] * p[:, None, :]).reshape(n, d1 * num_classes)
    hess = hess.reshape(d1 * num_classes, d1 * num_classes) - b.T @ b
    ridge = np.full((d1, num_classes), inv_c)
    # A tiny ridge on the intercepts: their common shift does not change
    # the probabilities, and Newton's steps keep their sum at 0.
    ridge[-1] = 1e-10
    hess[np.diag_indices_from(hess)] += ridge.reshape(-1)
    return loss, grad, hess


def fit_multinomial_logistic_regression(x, y, num_classes, C=1.0,
                                        max_iter=100, tol=1e-10):
    """Minimise `sum_n -log p(y_n | x_n) + ||W||^2 / (2 C)` (intercept not
    penalised) with Newton's method and a backtracking line search, in
    float64: scikit-learn's `LogisticRegression(C=C)` objective.

    Returns:
        `(kernel, bias, num_iterations)`, kernel `(D, C)`, bias `(C,)` with
        zero sum.
    """
    x = np.asarray(x, dtype="float64")
    n = len(x)
    x1 = np.concatenate([x, np.ones((n, 1))], axis=1)
    y_onehot = np.eye(num_classes)[y]
    inv_c = 1.0 / C
    theta = np.zeros((x1.shape[1], num_classes))
    loss, grad, hess = _objective(theta, x1, y_onehot, inv_c)
    iteration = 0
    for iteration in range(1, max_iter + 1):
        step = np.linalg.solve(hess, grad.reshape(-1)).reshape(theta.shape)
        decrement = float(np.sum(grad * step))
        if decrement / 2 <= tol * max(1.0, abs(loss)):
            break
        t = 1.0
        while True:
            candidate = theta - t * step
            new_loss, new_grad, new_hess = _objective(candidate, x1,
                                                      y_onehot, inv_c)
            if new_loss <= loss - 0.25 * t * decrement or t < 1e-10:
                break
            t *= 0.5
        theta, loss, grad, hess = candidate, new_loss, new_grad, new_hess
    bias = theta[-1] - theta[-1].mean()
    return theta[:-1], bias, iteration


@keras_recipes_export("keras_recipes.ensembles.LogisticRegression")
class LogisticRegression(keras.layers.Layer):
    """Multinomial logistic regression as a Keras layer: `softmax(xW + b)`.

    The default meta-learner of `StackingEnsemble`. `solve(x, y)` fits it
    to convergence with Newton's method (float64, on the host) on the
    objective of scikit-learn's `LogisticRegression(C=C)` with the
    multinomial loss: `sum_n -log p(y_n | x_n) + ||W||^2 / (2 C)`, with an
    unpenalised intercept. The fitted kernel and bias are layer weights, so
    they save with the model. Newton's method on `D * C` parameters suits
    the small inputs of stacking (members x classes features); the layer
    can also be trained with `fit` like any layer (add the L2 penalty
    yourself then).

    Args:
        units: int, the number of classes `C`.
        C: positive float, the inverse L2 strength (scikit-learn's `C`).
            Defaults to `1.0`.
        **kwargs: passed to `keras.layers.Layer`.

    Call arguments:
        inputs: a `(B, D)` tensor of features.

    Returns:
        A `(B, units)` tensor of probabilities.

    Example:

    >>> x = np.random.default_rng(0).normal(size=(40, 3))
    >>> y = (x[:, 0] > 0).astype("int64")
    >>> layer = keras_recipes.ensembles.LogisticRegression(2, C=10.0)
    >>> layer.build((None, 3))
    >>> iterations = layer.solve(x, y)
    >>> p = keras.ops.convert_to_numpy(layer(x.astype("float32")))
    >>> float((p.argmax(axis=1) == y).mean()) > 0.9
    True
    """

    def __init__(self, units, C=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = check_number("units", units, min_value=2, integer=True)
        self.C = float(check_number("C", C, min_value=0.0,
                                    min_inclusive=False))

    def build(self, input_shape):
        dim = input_shape[-1]
        self.kernel = self.add_weight(shape=(dim, self.units),
                                      initializer="zeros", name="kernel")
        self.bias = self.add_weight(shape=(self.units,),
                                    initializer="zeros", name="bias")
        self.built = True

    def call(self, inputs):
        inputs = keras.ops.cast(inputs, self.compute_dtype)
        return keras.ops.softmax(
            keras.ops.matmul(inputs, self.kernel) + self.bias, axis=-1
        )

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def solve(self, x, y, max_iter=100, tol=1e-10):
        """Fit the weights on NumPy features `x` `(N, D)` and integer labels
        `y` to convergence; returns the number of Newton iterations."""
        x = np.asarray(x, dtype="float64")
        if x.ndim != 2:
            raise ValueError(
                "Expected `x` of shape (N, D). Received: x with shape "
                f"{x.shape}"
            )
        if not np.all(np.isfinite(x)):
            raise ValueError(
                "Expected `x` to hold finite values. Received: x with NaN "
                "or infinite entries"
            )
        check_same_length("x", x, "y", y)
        y = class_ids(y, self.units, name="y")
        if not self.built:
            self.build((None, x.shape[1]))
        kernel, bias, iterations = fit_multinomial_logistic_regression(
            x, y, self.units, self.C, max_iter=max_iter, tol=tol
        )
        self.kernel.assign(kernel.astype(self.kernel.dtype))
        self.bias.assign(bias.astype(self.bias.dtype))
        return iterations

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "C": self.C})
        return config


def _oof_array(oof, num_models, name="oof"):
    """`(N, M, C)` float64 from a CVResult, a list of CVResults or arrays,
    or an array."""
    from keras_recipes.tuning import CVResult

    if isinstance(oof, CVResult):
        oof = [oof]
    if isinstance(oof, (list, tuple)):
        arrays = []
        for i, item in enumerate(oof):
            if isinstance(item, CVResult):
                if item.oof is None:
                    raise ValueError(
                        f"Expected `{name}[{i}]` to hold out-of-fold "
                        "predictions. Received: a CVResult with oof=None "
                        "(cross_validate(return_oof=False))"
                    )
                item = item.oof
            arrays.append(np.asarray(item, dtype="float64"))
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1 or arrays[0].ndim != 2:
            raise ValueError(
                f"Expected `{name}` to hold one (N, C) array per model, all "
                f"of the same shape. Received: shapes "
                f"{[a.shape for a in arrays]}"
            )
        oof = np.stack(arrays, axis=1)
    else:
        oof = np.asarray(oof, dtype="float64")
        if oof.ndim == 2 and num_models == 1:
            oof = oof[:, None, :]
    if oof.ndim != 3 or oof.shape[1] != num_models:
        raise ValueError(
            f"Expected `{name}` of shape (N, {num_models}, C): the "
            f"out-of-fold probabilities of the {num_models} models. "
            f"Received: {name} with shape {oof.shape}"
        )
    return oof


@keras_recipes_export("keras_recipes.ensembles.StackingEnsemble")
class StackingEnsemble(Ensemble):
    """A `keras.Model` feeding its members' probabilities to a meta-learner.

    The members' probabilities (or their logarithms, `features=
    "log_probabilities"`) are concatenated into `M * C` features per
    sample and mapped to class probabilities by `meta`, by default a
    multinomial `LogisticRegression` with L2 penalty `C`.

    The meta-learner must be fitted on **out-of-fold** probabilities:
    predictions each member made on samples it was not trained on. Fitted
    on in-sample predictions it learns to trust the member that overfits
    the training set most, and the stack does worse than plain averaging
    on new data. So `fit_meta` only takes out-of-fold predictions: the
    `keras_recipes.tuning.CVResult` of each member's
    `keras_recipes.tuning.cross_validate` (its `oof` rows were predicted by
    the fold that held them out), or an array of such probabilities
    computed by hand (e.g. on a held-out split). `keras_recipes.ensembles.
    stacking` runs the whole procedure: cross-validate each member, train
    it on all the data, fit the meta-learner on the out-of-fold rows.
    Before `fit_meta`, the default meta-learner has zero weights and
    predicts the uniform distribution.

    Args:
        models: a list of `keras.Model`s with `(B, C)` outputs, in the order
            of the out-of-fold predictions.
        meta: `None` for `LogisticRegression(C, C=C)`, or a Keras layer
            mapping `(B, M * C)` features to `(B, C)` probabilities.
            Defaults to `None`.
        features: `"probabilities"` or `"log_probabilities"` (clipped at
            `1e-7`). Defaults to `"probabilities"`.
        C: inverse L2 strength of the default meta-learner. Defaults to
            `1.0`.
        from_logits: whether the members output logits. Defaults to
            `False`.
        num_classes: int, needed only when the members' output size is
            not known from `output_shape`. Defaults to `None`.
        **kwargs: passed to `keras.Model`.

    Returns:
        Called on inputs, a `(B, C)` tensor of probabilities.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(60, 4)).astype("float32")
    >>> y = (x[:, 0] > 0).astype("int64")
    >>> members = [keras.Sequential([keras.Input((4,)),
    ...                              keras.layers.Dense(2, "softmax")])
    ...            for _ in range(2)]
    >>> stack = keras_recipes.ensembles.StackingEnsemble(members)
    >>> oof = rng.dirichlet([1, 1], size=(60, 2))  # (N, M, C) out-of-fold
    >>> stack = stack.fit_meta(oof, y)
    >>> stack.predict(x, verbose=0).shape
    (60, 2)

    Reference:
        - [Wolpert, 1992, Stacked generalization](
          https://doi.org/10.1016/S0893-6080(05)80023-1)
        - [Ting and Witten, 1999, Issues in Stacked Generalization](
          https://arxiv.org/abs/1105.5466)
    """

    def __init__(self, models, meta=None, features="probabilities", C=1.0,
                 from_logits=False, num_classes=None, **kwargs):
        super().__init__(models, weights=None, from_logits=from_logits,
                         **kwargs)
        self.features = check_choice("features", features, FEATURES)
        self.C = float(check_number("C", C, min_value=0.0,
                                    min_inclusive=False))
        detected = _common.num_outputs(self.models[0])
        check_number("num_classes", num_classes, min_value=2, integer=True,
                     allow_none=True)
        if num_classes is None:
            num_classes = detected
        if num_classes is None:
            raise ValueError(
                "Expected `num_classes` for members whose output size is "
                "unknown. Received: num_classes=None"
            )
        if detected is not None and detected != num_classes:
            raise ValueError(
                f"Expected `num_classes` to match the members' outputs "
                f"({detected}). Received: num_classes={num_classes}"
            )
        self.num_classes = int(num_classes)
        if isinstance(meta, dict):
            meta = keras.saving.deserialize_keras_object(meta)
        if meta is None:
            meta = LogisticRegression(self.num_classes, C=self.C,
                                      name="meta")
        if not isinstance(meta, keras.layers.Layer):
            raise TypeError(
                "Expected `meta` to be None or a Keras layer mapping "
                "(B, models * classes) features to probabilities. "
                f"Received: meta of type {type(meta).__name__}"
            )
        self.meta = meta
        if not meta.built:
            meta.build((None, self.num_models * self.num_classes))

    def stack_features(self, member_outputs):
        """`(B, M * C)` meta-features from the members' outputs (a list of
        `(B, C)` tensors or a `(M, B, C)` tensor)."""
        outputs = _common.stack_outputs(member_outputs)
        if self.features == "probabilities":
            values = _common.to_probabilities(outputs, self.from_logits)
        else:
            values = _common.to_log_probabilities(outputs, self.from_logits)
        values = keras.ops.transpose(values, (1, 0, 2))
        return keras.ops.reshape(
            values, (-1, self.num_models * self.num_classes)
        )

    def call(self, inputs, training=None):
        features = self.stack_features(self.member_outputs(inputs, training))
        return self.meta(features, training=training)

    def _numpy_features(self, probs):
        if self.features == "log_probabilities":
            probs = np.log(np.clip(probs, _common.EPSILON, 1.0))
        return probs.reshape(len(probs), -1)

    def fit_meta(self, oof, y, epochs=100, batch_size=256, verbose=0):
        """Fit the meta-learner on out-of-fold probabilities; returns self.

        Args:
            oof: the members' out-of-fold probabilities: a list with one
                `keras_recipes.tuning.CVResult` (from `cross_validate`) or
                one `(N, C)` array per member, or a `(N, M, C)` array (a
                single `CVResult` for a one-member stack). Never pass
                predictions of members on their own training samples.
                Rows that no fold held out (NaN in a `CVResult`) are
                skipped.
            y: the labels of those `N` samples (ids or one-hot).
            epochs, batch_size, verbose: used only for a custom `meta`
                layer, trained with Adam and cross-entropy. Defaults to
                `100`, `256`, `0`.

        Returns:
            The ensemble.
        """
        probs = _oof_array(oof, self.num_models)
        check_same_length("oof", probs, "y", y)
        if probs.shape[2] != self.num_classes:
            raise ValueError(
                f"Expected `oof` with {self.num_classes} classes. Received: "
                f"oof with shape {probs.shape}"
            )
        y = class_ids(y, self.num_classes, name="y")
        keep = np.all(np.isfinite(probs), axis=(1, 2))
        if not keep.any():
            raise ValueError(
                "Expected `oof` to hold finite out-of-fold probabilities. "
                "Received: oof with no finite row"
            )
        probs, y = probs[keep], y[keep]
        if probs.min() < -1e-6 or np.abs(probs.sum(axis=2) - 1).max() > 1e-3:
            raise ValueError(
                "Expected `oof` to hold probabilities (non-negative, rows "
                "summing to 1): apply a softmax to logits first. Received: "
                f"values in [{probs.min():.3g}, {probs.max():.3g}]"
            )
        features = self._numpy_features(probs)
        if isinstance(self.meta, LogisticRegression):
            self.meta.solve(features, y)
            return self
        inputs = keras.Input((features.shape[1],))
        trainer = keras.Model(inputs, self.meta(inputs))
        trainer.compile(optimizer=keras.optimizers.Adam(1e-2),
                        loss="sparse_categorical_crossentropy")
        trainer.fit(features.astype("float32"), y, epochs=epochs,
                    batch_size=batch_size, verbose=verbose)
        return self

    def get_config(self):
        config = super().get_config()
        del config["weights"]
        config.update({
            "meta": keras.saving.serialize_keras_object(self.meta),
            "features": self.features,
            "C": self.C,
            "num_classes": self.num_classes,
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        # `__init__` builds the meta-learner for `models * classes` inputs.
        config["meta"].pop("build_config", None)
        config["meta"] = keras.saving.deserialize_keras_object(
            config["meta"], custom_objects=custom_objects
        )
        return super().from_config(config, custom_objects)


def _check_builders(build_models):
    if callable(build_models):
        build_models = [build_models]
    if not isinstance(build_models, (list, tuple)) or not build_models:
        raise TypeError(
            "Expected `build_models` to be a function or a non-empty list "
            "of functions returning new keras.Models. Received: "
            f"build_models={build_models!r}"
        )
    for i, fn in enumerate(build_models):
        if not callable(fn):
            raise TypeError(
                "Expected every item of `build_models` to be a function "
                f"returning a new keras.Model. Received: build_models[{i}]="
                f"{fn!r}"
            )
    return list(build_models)


@keras_recipes_export("keras_recipes.ensembles.stacking")
def stacking(build_models, x, y, recipe=None, cv=5, meta=None,
             features="probabilities", C=1.0, epochs=None, seed=0,
             verbose=0, jit_compile="auto"):
    """Train a stacking ensemble the right way: out-of-fold meta-features.

    For member `m` (built by `build_models[m]`):

    1. `keras_recipes.tuning.cross_validate(build_models[m], x, y, recipe,
       cv, seed=derive_seed(seed, m))` gives its out-of-fold probabilities
       on every training sample;
    2. a fresh model is trained on all of `x` with the recipe (seeded with
       `derive_seed(seed, m, -1)`).

    The `StackingEnsemble` of the final members then fits its meta-learner
    on the out-of-fold probabilities (never on the members' in-sample
    predictions). The cost is `cv + 1` trainings per member.

    Args:
        build_models: a function, or a list of functions (one per member),
            each returning a new uncompiled `keras.Model` with a softmax
            output.
        x: NumPy inputs `(N, ...)`.
        y: integer labels `(N,)` or one-hot `(N, C)`.
        recipe: a `keras_recipes.recipes.Recipe`, a preset name, or `None`
            for `"baseline"`. Defaults to `None`.
        cv: folds, as in `cross_validate`. Defaults to `5`.
        meta, features, C: passed to `StackingEnsemble`.
        epochs: int overriding the recipe's epochs, or `None`. Defaults to
            `None`.
        seed: int. Defaults to `0`.
        verbose: `0` silent, `1` one line per fold. Defaults to `0`.
        jit_compile: passed to `Recipe.fit`. Defaults to `"auto"`.

    Returns:
        A fitted `StackingEnsemble`; its `cv_results` attribute holds the
        members' `CVResult`s.
    """
    from keras_recipes.ensembles.bagging import fit_member
    from keras_recipes.recipes.recipe import as_recipe
    from keras_recipes.tuning import cross_validate

    builders = _check_builders(build_models)
    recipe = as_recipe(recipe)
    check_seed(seed)
    x = np.asarray(x)
    check_same_length("x", x, "y", y)
    results = [
        cross_validate(fn, x, y, recipe=recipe, cv=cv, epochs=epochs,
                       seed=derive_seed(seed, m), return_oof=True,
                       verbose=verbose, jit_compile=jit_compile)
        for m, fn in enumerate(builders)
    ]
    models = []
    for m, fn in enumerate(builders):
        models.append(fit_member(fn, x, y, recipe, derive_seed(seed, m, -1),
                                 epochs=epochs, jit_compile=jit_compile))
    ensemble = StackingEnsemble(models, meta=meta, features=features, C=C)
    ensemble.fit_meta(results, y)
    ensemble.cv_results = results
    return ensemble
