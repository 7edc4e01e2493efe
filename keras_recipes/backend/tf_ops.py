"""TensorFlow versions of the `keras.ops` functions our augmentations use.

Used only when a layer receives TensorFlow tensors while Keras runs the JAX or
torch backend, e.g. inside `tf.data.Dataset.map`. Each function has the same
name, signature and semantics as its `keras.ops` counterpart (for the
arguments we use). TensorFlow is imported lazily: this module is only imported
once a TensorFlow tensor has been seen.
"""

import tensorflow as tf

_DTYPES = {
    "float32": tf.float32, "float16": tf.float16, "bfloat16": tf.bfloat16,
    "float64": tf.float64, "int32": tf.int32, "int64": tf.int64,
    "uint8": tf.uint8, "bool": tf.bool,
}


def _dtype(dtype):
    if dtype is None:
        return None
    if isinstance(dtype, tf.DType):
        return dtype
    return _DTYPES[str(dtype)]


def convert_to_tensor(x, dtype=None):
    t = tf.convert_to_tensor(x)
    if dtype is not None and t.dtype != _dtype(dtype):
        t = tf.cast(t, _dtype(dtype))
    return t


def cast(x, dtype):
    return tf.cast(x, _dtype(dtype))


def shape(x):
    static = x.shape.as_list()
    if None not in static:
        return tuple(static)
    dynamic = tf.shape(x)
    return tuple(
        dynamic[i] if d is None else d for i, d in enumerate(static)
    )


def reshape(x, newshape):
    return tf.reshape(x, newshape)


def transpose(x, axes=None):
    return tf.transpose(x, perm=axes)


def expand_dims(x, axis):
    return tf.expand_dims(x, axis)


def squeeze(x, axis=None):
    return tf.squeeze(x, axis=axis)


def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    return tf.range(start, stop, step, dtype=_dtype(dtype) or tf.int32)


def zeros(shape, dtype="float32"):
    return tf.zeros(shape, dtype=_dtype(dtype))


def ones(shape, dtype="float32"):
    return tf.ones(shape, dtype=_dtype(dtype))


def ones_like(x, dtype=None):
    return tf.ones_like(x, dtype=_dtype(dtype))


def zeros_like(x, dtype=None):
    return tf.zeros_like(x, dtype=_dtype(dtype))


def full(shape, fill_value, dtype=None):
    return tf.fill(shape, tf.constant(fill_value, dtype=_dtype(dtype)))


def where(condition, x1, x2):
    x1 = tf.convert_to_tensor(x1)
    x2 = tf.convert_to_tensor(x2, dtype_hint=x1.dtype)
    if x1.dtype != x2.dtype:
        x2 = tf.cast(x2, x1.dtype)
    return tf.where(condition, x1, x2)


def clip(x, x_min, x_max):
    return tf.clip_by_value(x, x_min, x_max)


def minimum(x1, x2):
    return tf.minimum(x1, x2)


def maximum(x1, x2):
    return tf.maximum(x1, x2)


def floor(x):
    return tf.floor(x)


def round(x):  # noqa: A001 (mirrors keras.ops.round: half to even)
    return tf.round(x)


def sqrt(x):
    return tf.sqrt(x)


def square(x):
    return tf.square(x)


def exp(x):
    return tf.exp(x)


def log(x):
    return tf.math.log(x)


def sin(x):
    return tf.sin(x)


def cos(x):
    return tf.cos(x)


def abs(x):  # noqa: A001
    return tf.abs(x)


def sign(x):
    return tf.sign(x)


def power(x1, x2):
    return tf.pow(x1, x2)


def sigmoid(x):
    return tf.sigmoid(x)


def logical_and(x1, x2):
    return tf.logical_and(x1, x2)


def logical_or(x1, x2):
    return tf.logical_or(x1, x2)


def logical_not(x):
    return tf.logical_not(x)


def equal(x1, x2):
    return tf.equal(x1, x2)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return tf.reduce_any(tf.cast(x, tf.bool), axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return tf.reduce_all(tf.cast(x, tf.bool), axis=axis, keepdims=keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return tf.reduce_sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return tf.reduce_mean(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return tf.reduce_max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return tf.reduce_min(x, axis=axis, keepdims=keepdims)


def cumsum(x, axis=None, dtype=None):
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    out = tf.cumsum(x, axis=axis)
    return out if dtype is None else tf.cast(out, _dtype(dtype))


def argmax(x, axis=None, keepdims=False):
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    out = tf.argmax(x, axis=axis, output_type=tf.int32)
    return tf.expand_dims(out, axis) if keepdims else out


def argsort(x, axis=-1):
    return tf.argsort(x, axis=axis, stable=True)


def take(x, indices, axis=None):
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.gather(x, indices, axis=axis)


def take_along_axis(x, indices, axis=None):
    return tf.experimental.numpy.take_along_axis(x, indices, axis=axis)


def one_hot(x, num_classes, axis=-1, dtype=None):
    return tf.one_hot(
        tf.cast(x, tf.int32), num_classes, axis=axis,
        dtype=_dtype(dtype) or tf.float32,
    )


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa
    return tf.math.unsorted_segment_sum(data, segment_ids, num_segments)


def stack(x, axis=0):
    return tf.stack(x, axis=axis)


def concatenate(xs, axis=0):
    return tf.concat(xs, axis=axis)


def matmul(x1, x2):
    return tf.linalg.matmul(x1, x2)


def einsum(subscripts, *operands):
    return tf.einsum(subscripts, *operands)


def floor_divide(x1, x2):
    return tf.math.floordiv(x1, x2)


def mod(x1, x2):
    return tf.math.floormod(x1, x2)


def convert_to_numpy(x):
    return x.numpy()


def pad(x, pad_width, mode="constant", constant_values=None):
    return tf.pad(
        x, pad_width, mode=mode.upper(),
        constant_values=0 if constant_values is None else constant_values,
    )
