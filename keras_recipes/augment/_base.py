"""Shared machinery of the augmentation layers (private).

`BaseAugmentation` is a seeded batch-augmentation layer that keeps drawing the
random values (`get_random_transformation`, which returns a dict) apart from
applying them (`apply_transformation`), so that tests and users can pass a
fixed transformation. It accepts `(images, labels)` tuples, `{"images": ...,
"labels": ...}` dicts and bare image tensors, returns the same structure, and
runs unchanged:

- eagerly and inside compiled train steps (XLA on TensorFlow and JAX), using
  only `keras.ops` and `keras.random`;
- inside `tf.data.Dataset.map` with any Keras backend: when it receives
  TensorFlow tensors while Keras runs JAX or torch, the same code runs on
  `keras_recipes.backend.tf_ops` and draws from a `tf.random.Generator`.
"""

import keras

from keras_recipes.backend.eager import compiled_call
from keras_recipes.backend.ops import get_ops
from keras_recipes.backend.ops import is_foreign_tf_tensor
from keras_recipes.backend.ops import make_random
from keras_recipes.backend.values import host_value
from keras_recipes.utils.labels import check_class_ids
from keras_recipes.utils.seeding import as_seed_generator
from keras_recipes.utils.validation import check_data_format
from keras_recipes.utils.validation import check_number

PLACEMENT_HELP = (
    "Label-mixing augmentations must see the labels, so they cannot be "
    "layers inside a model (there they would mix the images but not the "
    "labels). Put them where the labels are: in a tf.data pipeline "
    "(`dataset.batch(...).map(layer)` on `(images, labels)`), in "
    "`keras_recipes.data.batches(x, y, batch_size, augment=[layer])`, or in "
    "the compiled training step with "
    "`keras_recipes.augment.AugmentedModel(model, augment=[layer])`."
)


def dtype_name(x):
    return keras.backend.standardize_dtype(x.dtype)


def is_symbolic(x):
    return isinstance(x, keras.KerasTensor)


def _to_tensor(x):
    if x is None or is_symbolic(x) or isinstance(x, (bool, str)):
        return x
    return keras.ops.convert_to_tensor(x)


# ----------------------------------------------------------------- structure
def unpack(data):
    """Split `data` into `(images, labels, kind)`; labels may be None."""
    if isinstance(data, dict):
        if "images" not in data:
            raise ValueError(
                "Expected a dict input to have an 'images' key (and "
                "optionally 'labels'). Received: keys="
                f"{sorted(data.keys())}"
            )
        return data["images"], data.get("labels"), "dict"
    if isinstance(data, (tuple, list)):
        if len(data) != 2:
            raise ValueError(
                "Expected a tuple input to be `(images, labels)`. "
                f"Received: a {type(data).__name__} of length {len(data)}"
            )
        return data[0], data[1], "tuple"
    return data, None, "tensor"


def repack(data, kind, images, labels):
    if kind == "dict":
        out = dict(data)
        out["images"] = images
        if labels is not None:
            out["labels"] = labels
        return out
    if kind == "tuple":
        return (images, labels)
    return images


# -------------------------------------------------------------------- labels
def soft_labels(xp, labels, num_classes, label_smoothing=0.0):
    """Integer (B,)/(B, 1), one-hot or soft labels -> float (B, C), smoothed.

    Smoothing follows timm's `mixup_target`: a one-hot vector becomes
    `1 - s + s / C` on the true class and `s / C` elsewhere; soft labels `y`
    become `(1 - s) * y + s / C`.
    """
    if is_symbolic(labels):
        raise ValueError(PLACEMENT_HELP)
    labels = xp.convert_to_tensor(labels)
    kind = dtype_name(labels)
    is_int = "int" in kind or kind == "bool"
    shape = labels.shape
    if len(shape) == 2 and shape[-1] == 1 and (is_int or num_classes):
        labels = xp.reshape(labels, (-1,))
        shape = labels.shape
    if len(shape) == 1:
        if num_classes is None:
            raise ValueError(
                "Expected `num_classes` to be set for integer class-id "
                f"labels of shape {tuple(shape)}: the mixed targets are "
                "one-hot vectors of length `num_classes`. Received: "
                "num_classes=None"
            )
        ids = xp.cast(labels, "int32")
        values = host_value(labels) if xp is keras.ops else None
        if values is not None:
            check_class_ids(values, num_classes, name="labels")
        # Inside a compiled step an id outside [0, C) gives a NaN row (so
        # a NaN loss), never the all-zero row of `one_hot`.
        valid = xp.logical_and(ids >= 0, ids < num_classes)
        y = xp.where(
            valid[:, None], xp.one_hot(ids, num_classes), float("nan")
        )
    elif len(shape) == 2:
        if num_classes is not None and shape[-1] != num_classes:
            raise ValueError(
                f"Expected one-hot or soft labels with {num_classes} "
                "columns (`num_classes`). Received: labels of shape "
                f"{tuple(shape)}"
            )
        if shape[-1] == 1:
            raise ValueError(
                "Expected integer class ids, or one-hot/soft labels with at "
                "least 2 columns. Received: float labels of shape "
                f"{tuple(shape)}; pass integer labels and `num_classes`."
            )
        y = xp.cast(labels, "float32")
    else:
        raise ValueError(
            "Expected labels of shape (batch,), (batch, 1) or "
            f"(batch, num_classes). Received: shape={tuple(shape)}"
        )
    if label_smoothing:
        c = float(y.shape[-1])
        y = y * (1.0 - label_smoothing) + label_smoothing / c
    return y


# -------------------------------------------------------------------- random
def sample_log_gamma(xp, rng, shape, alpha, attempts=8):
    """log of Gamma(alpha, 1) draws, vectorized and jit-compatible.

    Marsaglia and Tsang's method for Gamma(alpha + 1) with a fixed number of
    candidates per draw (the first accepted one is used; each is accepted
    with probability > 0.95, so 8 candidates fail with probability < 1e-10,
    in which case the mode is used), then the boost
    Gamma(alpha) = Gamma(alpha + 1) * U ** (1 / alpha) in log space, which
    stays finite for small alpha. Keras's own `keras.random.beta` has no XLA
    kernel on TensorFlow, hence this sampler.
    """
    d = alpha + 1.0 - 1.0 / 3.0
    c = 1.0 / (9.0 * d) ** 0.5
    full = tuple(shape) + (attempts,)
    z = rng.normal(full)
    u = rng.uniform(full, 1e-7, 1.0)
    v = (1.0 + c * z) ** 3
    v_safe = xp.maximum(v, 1e-7)
    accept = xp.logical_and(
        v > 0.0,
        xp.log(u) < 0.5 * z * z + d - d * v_safe + d * xp.log(v_safe),
    )
    first = xp.argmax(xp.cast(accept, "int32"), axis=-1)
    picked = xp.sum(
        v_safe * xp.one_hot(first, attempts, dtype="float32"), axis=-1
    )
    picked = xp.where(xp.any(accept, axis=-1), picked, 1.0)
    boost = rng.uniform(tuple(shape), 1e-7, 1.0)
    return xp.log(d * picked) + xp.log(boost) / alpha


def sample_beta(xp, rng, shape, alpha, beta=None):
    """Beta(alpha, beta) draws (beta defaults to alpha), jit-compatible.

    Uses `keras.random.beta` where it compiles (JAX, torch) and the
    Marsaglia-Tsang sampler above on TensorFlow and in `tf.data`.
    """
    beta = alpha if beta is None else beta
    draws = rng.beta(tuple(shape), alpha, beta)
    if draws is not None:
        return draws
    ga = sample_log_gamma(xp, rng, shape, alpha)
    gb = sample_log_gamma(xp, rng, shape, beta)
    return xp.sigmoid(ga - gb)


def random_permutation(xp, rng, n):
    return xp.cast(xp.argsort(rng.uniform((n,))), "int32")


# --------------------------------------------------------------- validation
def check_pair(name, value, *, min_value=None, max_value=None):
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool)
            for v in value
        )
        or value[0] > value[1]
    ):
        raise ValueError(
            f"Expected `{name}` to be a pair of numbers (low, high) with "
            f"low <= high. Received: {name}={value!r}"
        )
    for v in value:
        check_number(name, v, min_value=min_value, max_value=max_value)
    return tuple(float(v) for v in value)


def check_value_range(value_range):
    if (
        not isinstance(value_range, (tuple, list))
        or len(value_range) != 2
        or not all(isinstance(v, (int, float)) for v in value_range)
        or not value_range[0] < value_range[1]
    ):
        raise ValueError(
            "Expected `value_range` to be a pair (low, high) with low < "
            f"high. Received: value_range={value_range!r}"
        )
    return tuple(value_range)


# --------------------------------------------------------------------- layer
class BaseAugmentation(keras.layers.Layer):
    """Seeded batch augmentation: draw (`get_random_transformation`), then
    apply (`apply_transformation`). Subclasses implement
    `_random_transformation(xp, rng, images, labels)` and
    `_apply(xp, images, labels, transformation)` on channels-last float32
    batches."""

    mixes_labels = False

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None:
            check_number("seed", seed, integer=True, min_value=0)
        self.seed = seed
        self.data_format = check_data_format(data_format)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_jit = True
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True

    # -- calling ----------------------------------------------------------
    def _check_placement(self, data):
        images, labels, kind = unpack(data)
        if not self.mixes_labels:
            return
        if kind == "tensor" or labels is None:
            raise ValueError(
                f"{type(self).__name__} was called with images only. "
                + PLACEMENT_HELP
            )
        if is_symbolic(images) or is_symbolic(labels):
            raise ValueError(PLACEMENT_HELP)

    def __call__(self, data, *args, training=None, seed=None, **kwargs):
        if args:
            # `tf.data.Dataset.map(layer)` on a dataset of `(images, labels)`
            # tuples calls `layer(images, labels)`.
            if len(args) == 1 and not isinstance(args[0], (bool, type(None))):
                data = (data, args[0])
            elif len(args) == 1 and training is None:
                training = args[0]
            else:
                raise ValueError(
                    "Expected `layer(data)`, `layer(images, labels)` or "
                    f"`layer(data, training)`. Received: {len(args) + 1} "
                    "positional arguments"
                )
        self._check_placement(data)
        # The one seed path: the call's seed, else the layer's generator.
        generator = as_seed_generator(seed, self.seed_generator)
        images = unpack(data)[0]
        if is_foreign_tf_tensor(images):
            # tf.data with the JAX or torch backend: bypass Keras's layer
            # machinery (which would convert to backend tensors) and run the
            # same code on TensorFlow ops.
            return self.call(
                data, training=True if training is None else training,
                seed=generator,
            )
        # Keras refuses nested inputs mixing tensors and NumPy arrays.
        data = keras.tree.map_structure(_to_tensor, data)
        if training is not False and not kwargs and not any(
            is_symbolic(leaf) for leaf in keras.tree.flatten(data)
        ):
            # Eager call: run it compiled (JAX/TF), same values as eager.
            out = compiled_call(self, data, generator)
            if out is not None:
                return out
        if training is not None:
            kwargs["training"] = training
        # Traced or symbolic: `call` resolves the same seed (only what the
        # user passed is recorded, so functional models still serialize).
        if seed is not None:
            kwargs["seed"] = seed
        return super().__call__(data, **kwargs)

    def call(self, data, training=True, seed=None):
        if not training:
            return data
        prepared = self._prepare(data)
        xp, images, labels = prepared[:3]
        rng = make_random(
            xp, seed=seed, owner=self, seed_generator=self.seed_generator
        )
        transformation = self._random_transformation(xp, rng, images, labels)
        return self._finish(data, prepared, transformation)

    # -- the two halves ----------------------------------------------------
    def _prepare(self, data):
        images, labels, kind = unpack(data)
        xp = get_ops(images)
        images = xp.convert_to_tensor(images)
        if dtype_name(images) != "float32":
            images = xp.cast(images, "float32")
        if len(images.shape) not in (3, 4):
            raise ValueError(
                "Expected images of rank 4 (batch, height, width, channels) "
                f"or rank 3. Received: shape={tuple(images.shape)}"
            )
        unbatched = len(images.shape) == 3
        if unbatched:
            if self.mixes_labels:
                raise ValueError(
                    f"{type(self).__name__} mixes images across a batch, so "
                    "it needs batched inputs (call `dataset.batch(...)` "
                    "before `.map(layer)`). Received: images of shape "
                    f"{tuple(images.shape)}"
                )
            images = xp.expand_dims(images, 0)
        if self.data_format == "channels_first":
            images = xp.transpose(images, (0, 2, 3, 1))
        return xp, images, labels, kind, unbatched

    def get_random_transformation(self, data, training=True, seed=None):
        """Draw the random values for one batch and return them as a dict.

        Args:
            data: the batch, as `(images, labels)`, a dict with `"images"`
                (and `"labels"`), or an images tensor.
            training: if `False`, return `None` (no transformation).
            seed: optional int or `keras.random.SeedGenerator` overriding the
                layer's own seed generator for this draw.
        """
        if not training:
            return None
        xp, images, labels, _, _ = self._prepare(data)
        rng = make_random(
            xp, seed=seed, owner=self, seed_generator=self.seed_generator
        )
        return self._random_transformation(xp, rng, images, labels)

    def apply_transformation(self, data, transformation):
        """Apply a transformation from `get_random_transformation` (or one
        written by hand) to `data`, returning the same structure."""
        if transformation is None:
            return data
        return self._finish(data, self._prepare(data), transformation)

    def _finish(self, data, prepared, transformation):
        xp, images, labels, kind, unbatched = prepared
        images, labels = self._apply(xp, images, labels, transformation)
        if self.data_format == "channels_first":
            images = xp.transpose(images, (0, 3, 1, 2))
        if unbatched:
            images = images[0]
        out_dtype = self.compute_dtype
        if out_dtype != "float32" and "float" in out_dtype:
            images = xp.cast(images, out_dtype)
        return repack(data, kind, images, labels)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed, "data_format": self.data_format})
        return config
