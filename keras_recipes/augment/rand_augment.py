"""RandAugment and TrivialAugment with per-image ops, fully vectorized."""

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.augment import _image_ops as image_ops
from keras_recipes.augment._base import BaseAugmentation
from keras_recipes.augment._base import check_value_range
from keras_recipes.utils.validation import check_number

# The 14 operations of the RandAugment paper (Cubuk et al., 2020, Table 1),
# which are also TrivialAugment's and torchvision's op set.
OPS = (
    "identity", "auto_contrast", "equalize", "rotate", "solarize", "color",
    "posterize", "contrast", "brightness", "sharpness", "shear_x",
    "shear_y", "translate_x", "translate_y",
)
_INDEX = {name: i for i, name in enumerate(OPS)}
FILL_VALUE = 128.0  # timm's grey fill, on the 0-255 scale


def apply_ops(xp, images, op, magnitude, sign, ranges):
    """Apply one op per image.

    Args:
        images: (B, H, W, C) float32 on the 0-255 scale.
        op: (B,) int32 index into `OPS`.
        magnitude: (B,) float32 in [0, 1] (fraction of the maximum).
        sign: (B,) float32, +1 or -1, for the signed ops.
        ranges: dict with the maximum of each signed op: `rotate` (degrees),
            `shear` (shear factor), `translate` (fraction of the side, or
            pixels when `translate_pixels`), `enhance` (factor offset for
            color/contrast/brightness/sharpness), `posterize` (bits removed
            at magnitude 1).

    Every candidate op is computed for the whole batch and each image keeps
    its own with `where`; the geometric ops share one gather with a
    per-image matrix (the identity for images whose op is not geometric).
    """
    h, w = images.shape[1], images.shape[2]
    signed = sign * magnitude

    def on(name):
        return op == _INDEX[name]

    zero = 0.0 * magnitude
    if ranges.get("translate_pixels"):
        tx_max = ty_max = ranges["translate"]
    else:
        tx_max, ty_max = ranges["translate"] * w, ranges["translate"] * h
    geometric = (
        on("rotate") | on("shear_x") | on("shear_y") | on("translate_x")
        | on("translate_y")
    )
    warped = image_ops.affine_nearest(
        xp, images,
        rotate_deg=xp.where(on("rotate"), signed * ranges["rotate"], zero),
        shear_x=xp.where(on("shear_x"), signed * ranges["shear"], zero),
        shear_y=xp.where(on("shear_y"), signed * ranges["shear"], zero),
        translate_x=xp.where(on("translate_x"), signed * tx_max, zero),
        translate_y=xp.where(on("translate_y"), signed * ty_max, zero),
        fill_value=FILL_VALUE,
    )
    out = xp.where(geometric[:, None, None, None], warped, images)
    factor = 1.0 + signed * ranges["enhance"]
    candidates = (
        ("auto_contrast", lambda: image_ops.autocontrast(xp, images)),
        ("equalize", lambda: image_ops.equalize(xp, images)),
        ("solarize", lambda: image_ops.solarize(
            xp, images, 256.0 * (1.0 - magnitude))),
        ("posterize", lambda: image_ops.posterize(
            xp, images, 8.0 - xp.floor(magnitude * ranges["posterize"]))),
        ("color", lambda: image_ops.adjust_color(xp, images, factor)),
        ("contrast", lambda: image_ops.adjust_contrast(xp, images, factor)),
        ("brightness",
         lambda: image_ops.adjust_brightness(xp, images, factor)),
        ("sharpness",
         lambda: image_ops.adjust_sharpness(xp, images, factor)),
    )
    for name, fn in candidates:
        out = xp.where(on(name)[:, None, None, None], fn(), out)
    return out


class _PolicyAugmentation(BaseAugmentation):
    """Shared body: draws (B, num_ops) ops, magnitudes and signs, applies
    them in sequence on the 0-255 scale."""

    ranges = None

    def __init__(self, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = check_value_range(value_range)

    def _draw_magnitudes(self, xp, rng, shape):
        raise NotImplementedError

    def _random_transformation(self, xp, rng, images, labels):
        b = xp.shape(images)[0]
        shape = (b, self._num_ops())
        op = xp.cast(
            xp.floor(rng.uniform(shape) * len(OPS)), "int32"
        )
        op = xp.minimum(op, len(OPS) - 1)
        magnitude = self._draw_magnitudes(xp, rng, shape)
        sign = xp.where(rng.uniform(shape) < 0.5, -1.0, 1.0)
        return {"ops": op, "magnitudes": magnitude, "signs": sign}

    def _apply(self, xp, images, labels, transformation):
        lo, hi = self.value_range
        scale = 255.0 / (hi - lo)
        x = (images - lo) * scale if (lo, hi) != (0, 255) else images
        op = xp.cast(transformation["ops"], "int32")
        magnitude = xp.cast(transformation["magnitudes"], "float32")
        sign = xp.cast(transformation["signs"], "float32")
        for i in range(op.shape[1]):
            x = apply_ops(
                xp, x, op[:, i], magnitude[:, i], sign[:, i], self.ranges
            )
        if (lo, hi) != (0, 255):
            x = x / scale + lo
        return x, labels

    def get_config(self):
        config = super().get_config()
        config["value_range"] = self.value_range
        return config


@keras_recipes_export("keras_recipes.augment.RandAugment")
class RandAugment(_PolicyAugmentation):
    """RandAugment with its own ops and magnitudes for every image.

    Each image gets `num_ops` operations drawn uniformly (with replacement)
    from the 14 of the paper (identity, auto-contrast, equalize, rotate,
    solarize, color, posterize, contrast, brightness, sharpness, shear x/y,
    translate x/y), applied in sequence, each at magnitude `magnitude` on
    the 0-10 scale (drawn per image from N(magnitude, magnitude_std) clipped
    to [0, 10] when `magnitude_std > 0`, or uniform on [0, magnitude] when it
    is `inf`, as timm does). Magnitude maps to strength as in timm's
    "increasing" ops: rotate up to 30 degrees, shear up to 0.3, translate up
    to 45% of the side, enhance factors `1 +/- 0.9 m/10`, posterize down to
    4 bits, solarize threshold `256 (1 - m/10)`; signed ops get a random
    sign; geometric ops use nearest sampling about the centre and fill with
    grey (128 on the 0-255 scale).

    Unlike `keras.layers.RandAugment`, which draws one choice of ops for the
    whole batch, every image here draws its own, and the layer is fully
    vectorized (every candidate op is computed for the batch and selected
    per image), so a model containing it stays compiled (XLA on TensorFlow
    and JAX) where Keras's layer turns jit off. It works as a model layer
    (identity at inference), in `tf.data` with any backend, in
    `keras_recipes.data.batches` and in `AugmentedModel`. Labels pass
    through unchanged, so any loss works.

    Args:
        num_ops: number of ops applied to each image. Defaults to `2`.
        magnitude: magnitude on the 0-10 scale. Defaults to `9`.
        magnitude_std: per-image standard deviation of the magnitude
            (`float("inf")` for uniform on [0, magnitude]). Defaults to
            `0.0`.
        value_range: range of the input values, e.g. `(0, 255)` or
            `(0, 1)`. Defaults to `(0, 255)`.
        seed: integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `None` (`keras.config.image_data_format()`).

    Call arguments:
        data: images, `(images, labels)` or a dict with `"images"`.
        training: if `False`, `data` is returned unchanged. Defaults to
            `True`.
        seed: optional int or `keras.random.SeedGenerator` for this call.

    Returns:
        The same structure with float32 images in `value_range`.

    Example:

    >>> layer = keras_recipes.augment.RandAugment(num_ops=2, seed=0)
    >>> images = np.full((16, 8, 8, 3), 100, dtype="uint8")
    >>> images[:, :4] = 200
    >>> out = keras.ops.convert_to_numpy(layer(images))
    >>> out.shape
    (16, 8, 8, 3)
    >>> len({o.tobytes() for o in out}) > 1  # images differ from each other
    True

    Reference:
        - [Cubuk et al., 2020](https://arxiv.org/abs/1909.13719)
    """

    ranges = {"rotate": 30.0, "shear": 0.3, "translate": 0.45,
              "enhance": 0.9, "posterize": 4.0}

    def __init__(self, num_ops=2, magnitude=9, magnitude_std=0.0,
                 value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(value_range=value_range, seed=seed,
                         data_format=data_format, **kwargs)
        self.num_ops = check_number("num_ops", num_ops, integer=True,
                                    min_value=1)
        self.magnitude = check_number("magnitude", magnitude, min_value=0.0,
                                      max_value=10.0)
        self.magnitude_std = check_number("magnitude_std", magnitude_std,
                                          min_value=0.0)

    def _num_ops(self):
        return self.num_ops

    def _draw_magnitudes(self, xp, rng, shape):
        m = self.magnitude
        if self.magnitude_std == float("inf"):
            mag = rng.uniform(shape) * m
        elif self.magnitude_std > 0:
            mag = m + self.magnitude_std * rng.normal(shape)
        else:
            mag = m * xp.ones(shape, dtype="float32")
        return xp.clip(mag, 0.0, 10.0) / 10.0

    def get_config(self):
        config = super().get_config()
        config.update({"num_ops": self.num_ops, "magnitude": self.magnitude,
                       "magnitude_std": self.magnitude_std})
        return config


@keras_recipes_export("keras_recipes.augment.TrivialAugment")
class TrivialAugment(_PolicyAugmentation):
    """TrivialAugment (wide): one op and one magnitude per image.

    Every image draws one of the 14 RandAugment ops and a magnitude
    uniformly from 31 levels (0, 1/30, ..., 1) of the "wide" ranges of the
    paper (as torchvision's `TrivialAugmentWide`): rotate up to 135 degrees,
    shear up to 0.99, translate up to 32 pixels, enhance factors
    `1 +/- 0.99 m`, posterize down to 2 bits, solarize threshold
    `256 (1 - m)`. Fully vectorized and jit-compatible like
    `keras_recipes.augment.RandAugment`; Keras has no TrivialAugment. Labels
    pass through unchanged, so any loss works.

    Args:
        value_range: range of the input values. Defaults to `(0, 255)`.
        seed: integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `None` (`keras.config.image_data_format()`).

    Call arguments:
        data: images, `(images, labels)` or a dict with `"images"`.
        training: if `False`, `data` is returned unchanged. Defaults to
            `True`.
        seed: optional int or `keras.random.SeedGenerator` for this call.

    Returns:
        The same structure with float32 images in `value_range`.

    Example:

    >>> layer = keras_recipes.augment.TrivialAugment(value_range=(0, 1),
    ...                                              seed=3)
    >>> out = layer(np.full((4, 8, 8, 3), 0.5, dtype="float32"))
    >>> tuple(out.shape)
    (4, 8, 8, 3)

    Reference:
        - [Müller and Hutter, 2021](https://arxiv.org/abs/2103.10158)
    """

    ranges = {"rotate": 135.0, "shear": 0.99, "translate": 32.0,
              "translate_pixels": True, "enhance": 0.99, "posterize": 6.0}
    num_levels = 31

    def _num_ops(self):
        return 1

    def _draw_magnitudes(self, xp, rng, shape):
        level = xp.floor(rng.uniform(shape) * self.num_levels)
        return xp.minimum(level, self.num_levels - 1.0) / (
            self.num_levels - 1.0
        )
