"""imbalanced-learn samplers on inputs of any rank, and on learned features."""

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.data.batches import _to_numpy
from keras_recipes.data.class_weights import _class_ids
from keras_recipes.utils.labels import check_same_length
from keras_recipes.utils.validation import check_number


def _check_sampler(sampler):
    if isinstance(sampler, type) or not callable(
            getattr(sampler, "fit_resample", None)):
        raise TypeError(
            "Expected `sampler` to be an imbalanced-learn sampler (an object "
            "with a `fit_resample(X, y)` method, e.g. "
            "`imblearn.over_sampling.SMOTE()`, an instance, not the class). "
            "Received: "
            f"sampler={sampler!r} of type {type(sampler).__name__}"
        )


def _integer_range(dtype):
    if dtype == np.bool_:
        return 0, 1
    info = np.iinfo(dtype)
    return info.min, info.max


@keras_recipes_export("keras_recipes.data.resample")
def resample(x, y, sampler):
    """Apply an imbalanced-learn sampler to inputs of any rank.

    imbalanced-learn's samplers (`SMOTE`, `ADASYN`, `BorderlineSMOTE`,
    `RandomOverSampler`, `RandomUnderSampler`, `TomekLinks`, `SMOTEENN`,
    ...) take 2-D arrays only. `resample` flattens every example to one
    row, calls `sampler.fit_resample`, and reshapes the rows back to
    `x.shape[1:]`. On 2-D float inputs the result is exactly the sampler's
    own.

    Integer inputs (`uint8` images, `bool` masks) are resampled as floats,
    then rounded and clipped to the range of their dtype and cast back:
    synthetic SMOTE images stay valid `uint8` (imbalanced-learn itself
    truncates towards zero). One-hot labels `(N, C)` are resampled as
    class ids and come back one-hot, `(N, 1)` labels as `(M, 1)`; other
    labels (ids, strings) are passed as they are.

    Args:
        x: inputs, an array `(N, ...)` of any rank.
        y: labels, `(N,)`, `(N, 1)` or one-hot `(N, C)`.
        sampler: an imbalanced-learn sampler, or any object with a
            `fit_resample(X, y)` method. Seed it with its own
            `random_state`.

    Returns:
        `(x_resampled, y_resampled)` NumPy arrays with the dtype and
        trailing shapes of `x` and `y`.

    Example:

    >>> from imblearn.over_sampling import SMOTE
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 256, size=(30, 4, 4, 1)).astype("uint8")
    >>> y = np.array([0] * 24 + [1] * 6)
    >>> xr, yr = keras_recipes.data.resample(
    ...     x, y, SMOTE(k_neighbors=3, random_state=0))
    >>> xr.shape, xr.dtype, np.bincount(yr).tolist()
    ((48, 4, 4, 1), dtype('uint8'), [24, 24])
    """
    _check_sampler(sampler)
    x = _to_numpy(x)
    y = _to_numpy(y)
    if x.ndim < 1 or len(x) == 0:
        raise ValueError(
            "Expected `x` to be a non-empty array of examples (N, ...). "
            f"Received: x.shape={x.shape}"
        )
    check_same_length("x", x, "y", y)
    rows = x.reshape(len(x), -1)
    integer = x.dtype == np.bool_ or np.issubdtype(x.dtype, np.integer)
    if integer:
        rows = rows.astype("float32" if x.dtype.itemsize <= 2 else "float64")

    width = None
    labels = y
    if y.ndim == 2 and y.shape[1] > 1:
        labels, width = _class_ids(y)
    elif y.ndim == 2 and y.shape[1] == 1:
        labels = y[:, 0]
    elif y.ndim != 1:
        raise ValueError(
            "Expected `y` of shape (N,), (N, 1) or one-hot (N, C). "
            f"Received: y.shape={y.shape}"
        )

    rows_out, labels_out = sampler.fit_resample(rows, labels)
    rows_out = np.asarray(rows_out)
    labels_out = np.asarray(labels_out)

    if integer:
        low, high = _integer_range(x.dtype)
        rows_out = np.clip(np.rint(rows_out), low, high)
    x_out = rows_out.astype(x.dtype, copy=False).reshape(-1, *x.shape[1:])
    if width is not None:
        y_out = np.eye(width, dtype=y.dtype)[labels_out]
    elif y.ndim == 2:
        y_out = labels_out.astype(y.dtype, copy=False)[:, None]
    else:
        y_out = labels_out
    return x_out, y_out


@keras_recipes_export("keras_recipes.data.resample_features")
def resample_features(model, layer_name, x, y, sampler, batch_size=32):
    """Resample the features a layer of `model` gives, to train a head.

    Oversampling raw pixels (SMOTE between two images) makes blurry
    ghosts; interpolating in a learned feature space is more meaningful.
    This builds the extractor
    `keras.Model(model.inputs, model.get_layer(layer_name).output)`,
    computes the features of `x` with `predict`, and resamples them with
    `keras_recipes.data.resample`. Train a classifier head on the result
    (features of any rank are kept as they are).

    Args:
        model: a functional or `Sequential` `keras.Model`, built.
        layer_name: name of the layer whose output are the features.
        x: inputs of `model`.
        y: labels, `(N,)`, `(N, 1)` or one-hot `(N, C)`.
        sampler: an imbalanced-learn sampler (see
            `keras_recipes.data.resample`).
        batch_size: batch size of `predict`. Defaults to `32`.

    Returns:
        `(features, labels)` NumPy arrays, resampled.

    Example:

    >>> from imblearn.over_sampling import RandomOverSampler
    >>> inputs = keras.Input((6,))
    >>> h = keras.layers.Dense(3, name="features")(inputs)
    >>> model = keras.Model(inputs, keras.layers.Dense(2)(h))
    >>> x = np.ones((10, 6), dtype="float32")
    >>> y = np.array([0] * 8 + [1] * 2)
    >>> f, yf = keras_recipes.data.resample_features(
    ...     model, "features", x, y, RandomOverSampler(random_state=0))
    >>> f.shape, np.bincount(yf).tolist()
    ((16, 3), [8, 8])
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            "Expected `model` to be a `keras.Model`. Received: "
            f"model={model!r} of type {type(model).__name__}"
        )
    _check_sampler(sampler)
    check_number("batch_size", batch_size, integer=True, min_value=1)
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(
            f"Expected `layer_name` to name a layer of the model, one of "
            f"{names}. Received: layer_name={layer_name!r}"
        )
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(
            "Expected a functional or `Sequential` model with known inputs "
            "(a subclassed or unbuilt model has none). Received: "
            f"model={model.name!r}"
        )
    extractor = keras.Model(inputs, model.get_layer(layer_name).output)
    features = extractor.predict(x, batch_size=batch_size, verbose=0)
    return resample(features, y, sampler)
