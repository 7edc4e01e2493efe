"""Checks and tensor helpers shared by the ensembles (private)."""

import math
import numbers

import keras
import numpy as np

# Probabilities are clipped to [EPSILON, 1] before a logarithm.
EPSILON = 1e-7


def check_models(models, name="models"):
    """A list of distinct, built-or-buildable `keras.Model`s."""
    if isinstance(models, (keras.Model, keras.layers.Layer)) or not (
        isinstance(models, (list, tuple))
    ):
        raise TypeError(
            f"Expected `{name}` to be a list of keras.Model. Received: "
            f"{name} of type {type(models).__name__}"
        )
    models = list(models)
    if not models:
        raise ValueError(
            f"Expected `{name}` to hold at least one keras.Model. "
            f"Received: {name}=[]"
        )
    for i, model in enumerate(models):
        if not isinstance(model, keras.Model):
            raise TypeError(
                f"Expected every item of `{name}` to be a keras.Model. "
                f"Received: {name}[{i}] of type {type(model).__name__}"
            )
    if len({id(m) for m in models}) != len(models):
        raise ValueError(
            f"Expected `{name}` to hold distinct models (the same model "
            f"twice would share its weights). Received: {name} with a "
            "repeated model"
        )
    classes = {num_outputs(m) for m in models} - {None}
    if len(classes) > 1:
        raise ValueError(
            f"Expected every model in `{name}` to output the same number "
            f"of classes. Received: output sizes {sorted(classes)}"
        )
    if classes and min(classes) < 2:
        raise ValueError(
            f"Expected the models in `{name}` to output one score per "
            f"class (at least 2 classes). Received: output size "
            f"{min(classes)}"
        )
    return models


def num_outputs(model):
    """The size of the model's last output axis, or `None` if unknown."""
    try:
        shape = model.output_shape
    except (AttributeError, ValueError, RuntimeError):
        return None
    if not isinstance(shape, tuple) or not shape or shape[-1] is None:
        return None
    return int(shape[-1])


def check_weights(weights, num_models, name="weights"):
    """`None` or `num_models` non-negative finite numbers with a positive
    sum, returned as a list of floats."""
    if weights is None:
        return None
    if isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__"):
        raise TypeError(
            f"Expected `{name}` to be None or a list of {num_models} "
            f"numbers. Received: {name}={weights!r}"
        )
    values = np.asarray(weights).reshape(-1) if len(weights) else []
    if len(values) != num_models:
        raise ValueError(
            f"Expected `{name}` to hold one number per model "
            f"({num_models}). Received: {name} of length {len(values)}"
        )
    out = []
    for w in values:
        if isinstance(w, (bool, np.bool_)) or not isinstance(
                w, (numbers.Real, np.number)):
            raise TypeError(
                f"Expected `{name}` to hold numbers. Received: "
                f"{name}={list(weights)!r}"
            )
        if not math.isfinite(float(w)) or float(w) < 0:
            raise ValueError(
                f"Expected `{name}` to hold finite non-negative numbers. "
                f"Received: {name}={[float(v) for v in values]}"
            )
        out.append(float(w))
    if sum(out) <= 0:
        raise ValueError(
            f"Expected `{name}` to have a positive sum. Received: "
            f"{name}={out}"
        )
    return out


def normalized(weights, num_models):
    """The weights as a float64 NumPy vector summing to 1 (uniform for
    `None`)."""
    if weights is None:
        return np.full((num_models,), 1.0 / num_models)
    w = np.asarray(weights, dtype="float64")
    return w / w.sum()


def check_bool(name, value):
    if not isinstance(value, bool):
        raise TypeError(
            f"Expected `{name}` to be a bool. Received: {name}={value!r}"
        )
    return value


def stack_outputs(outputs):
    """`(M, B, C)` float32 from a list of `(B, C)` outputs or a stacked
    tensor."""
    if isinstance(outputs, (list, tuple)):
        outputs = keras.ops.stack(
            [keras.ops.cast(o, "float32") for o in outputs], axis=0
        )
    outputs = keras.ops.cast(keras.ops.convert_to_tensor(outputs), "float32")
    if len(outputs.shape) != 3:
        raise ValueError(
            "Expected member outputs of shape (num_models, batch, classes) "
            "or a list of (batch, classes) tensors. Received: outputs with "
            f"shape {tuple(outputs.shape)}"
        )
    return outputs


def to_probabilities(outputs, from_logits):
    """Per-member probabilities `(M, B, C)`."""
    if from_logits:
        return keras.ops.softmax(outputs, axis=-1)
    return outputs


def to_log_probabilities(outputs, from_logits):
    """Per-member log-probabilities `(M, B, C)` (probabilities are clipped
    to `[EPSILON, 1]` first)."""
    if from_logits:
        return keras.ops.log_softmax(outputs, axis=-1)
    return keras.ops.log(keras.ops.clip(outputs, EPSILON, 1.0))


def weight_tensor(weights, num_models):
    """Normalized weights as a `(M, 1, 1)` float32 tensor."""
    w = normalized(weights, num_models).astype("float32")
    return keras.ops.reshape(keras.ops.convert_to_tensor(w), (-1, 1, 1))


def call_members(models, inputs, training=None):
    return [
        keras.ops.cast(model(inputs, training=training), "float32")
        for model in models
    ]


def serialize_models(models):
    return [keras.saving.serialize_keras_object(m) for m in models]


def deserialize_models(configs, custom_objects=None):
    return [
        keras.saving.deserialize_keras_object(
            c, custom_objects=custom_objects
        )
        for c in configs
    ]
