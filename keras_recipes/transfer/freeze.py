"""Freeze and unfreeze layers by name, index or fraction."""

import numbers

import keras

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.layers import batch_norm_layers


def _check_model(model):
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"Expected `model` to be a keras.Model. Received: model={model!r}"
        )


def layer_position(model, spec, arg, *, name_offset=0):
    """Turn a layer name, index or fraction into a position in
    `model.layers` (0 .. len(model.layers)).

    - `str`: the position of the layer with that name, plus `name_offset`;
    - `int`: a Python index (negative counts from the end);
    - `float` in `[0, 1]`: `round(fraction * len(model.layers))`.
    """
    layers = model.layers
    n = len(layers)
    if isinstance(spec, str):
        names = [layer.name for layer in layers]
        if spec not in names:
            raise ValueError(
                f"Expected `{arg}` to name a layer of the model "
                f"(one of {names[:6]}{'...' if n > 6 else ''}). "
                f"Received: {arg}={spec!r}"
            )
        return names.index(spec) + name_offset
    if isinstance(spec, bool) or not isinstance(spec, numbers.Real):
        raise TypeError(
            f"Expected `{arg}` to be a layer name, an integer index or a "
            f"fraction in [0, 1]. Received: {arg}={spec!r}"
        )
    if isinstance(spec, numbers.Integral):
        if not -n <= spec <= n:
            raise ValueError(
                f"Expected `{arg}` in [-{n}, {n}] (the model has {n} "
                f"layers). Received: {arg}={spec!r}"
            )
        return int(spec) % n if spec < 0 else int(spec)
    if not 0.0 <= spec <= 1.0:
        raise ValueError(
            f"Expected a fractional `{arg}` in [0, 1]. Received: "
            f"{arg}={spec!r}"
        )
    return int(round(spec * n))


@keras_recipes_export("keras_recipes.transfer.freeze")
def freeze(model, up_to=None):
    """Freeze the first layers of `model` (`trainable = False`).

    `up_to` selects how far: a layer name (that layer included), an index
    into `model.layers` (the layers before it, like `model.layers[:up_to]`)
    or a fraction of the layers (`0.75` freezes the first 75%). `None`
    freezes every layer. Nested models count as one layer and are frozen
    whole.

    Frozen `BatchNormalization` layers run in inference mode even when the
    model is called with `training=True` (Keras 3 behaviour for
    `trainable=False`), so their moving statistics stay what the backbone
    learnt: the classic fine-tuning trap is avoided. Re-`compile` the model
    after changing what is trainable.

    Args:
        model: A `keras.Model` (functional, Sequential or subclassed with
            `layers`).
        up_to: Layer name, index or fraction, or `None` for all layers.
            Defaults to `None`.

    Returns:
        The list of layers that were frozen.

    Example:

    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
    ...     keras.layers.BatchNormalization(), keras.layers.Dense(2)])
    >>> frozen = keras_recipes.transfer.freeze(model, up_to=2)
    >>> [layer.trainable for layer in model.layers]
    [False, False, True]
    >>> len(model.trainable_weights)
    2
    """
    _check_model(model)
    stop = (len(model.layers) if up_to is None
            else layer_position(model, up_to, "up_to", name_offset=1))
    layers = model.layers[:stop]
    for layer in layers:
        layer.trainable = False
    return layers


@keras_recipes_export("keras_recipes.transfer.unfreeze")
def unfreeze(model, from_=None, include_batchnorm=False):
    """Unfreeze the last layers of `model` (`trainable = True`).

    `from_` selects where unfreezing starts: a layer name (that layer
    included), an index into `model.layers` (`model.layers[from_:]`) or a
    fraction of depth (`0.75` unfreezes the last 25%). `None` unfreezes
    every layer. By default `BatchNormalization` layers, nested ones
    included, stay frozen (inference mode, statistics kept), as the Keras
    transfer-learning guide recommends for fine-tuning; pass
    `include_batchnorm=True` to train them too. Re-`compile` afterwards.

    Args:
        model: A `keras.Model`.
        from_: Layer name, index or fraction, or `None` for all layers.
            Defaults to `None`.
        include_batchnorm: Also unfreeze BatchNormalization layers.
            Defaults to `False`.

    Returns:
        The list of layers that were unfrozen.

    Example:

    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
    ...     keras.layers.BatchNormalization(), keras.layers.Dense(2)])
    >>> _ = keras_recipes.transfer.freeze(model)
    >>> _ = keras_recipes.transfer.unfreeze(model, from_=0.5)
    >>> [layer.trainable for layer in model.layers]
    [False, False, True]
    """
    _check_model(model)
    if not isinstance(include_batchnorm, bool):
        raise TypeError(
            "Expected `include_batchnorm` to be a bool. "
            f"Received: include_batchnorm={include_batchnorm!r}"
        )
    start = 0 if from_ is None else layer_position(model, from_, "from_")
    layers = model.layers[start:]
    for layer in layers:
        layer.trainable = True
        if not include_batchnorm:
            for bn in batch_norm_layers(layer):
                bn.trainable = False
    return layers
