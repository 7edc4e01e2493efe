"""Random erasing and CutOut: fill random rectangles of each image."""

import math

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.augment._base import BaseAugmentation
from keras_recipes.augment._base import check_pair
from keras_recipes.augment._base import check_value_range
from keras_recipes.augment._mixing import box_mask
from keras_recipes.utils.validation import check_number

_ATTEMPTS = 10


def erase_boxes(xp, images, boxes, active, fill):
    """Fill the union of the active boxes of each image with `fill`.

    Args:
        images: (B, H, W, C) float32.
        boxes: (B, K, 4) int boxes `(y0, y1, x0, x1)`, ends exclusive.
        active: (B, K) bool; inactive boxes are ignored.
        fill: a number or a (B, H, W, C) tensor of fill values.
    """
    h, w = images.shape[1], images.shape[2]
    k = boxes.shape[1]
    mask = None
    for i in range(k):
        m = xp.logical_and(
            box_mask(xp, boxes[:, i], h, w),
            xp.cast(active[:, i], "bool")[:, None, None, None],
        )
        mask = m if mask is None else xp.logical_or(mask, m)
    return xp.where(mask, fill, images)


class _ErasingBase(BaseAugmentation):
    def _fill(self, xp, rng, images):
        if self.value == "random":
            lo, hi = self.value_range
            return rng.uniform(xp.shape(images), lo, hi)
        return float(self.value)

    def _apply(self, xp, images, labels, transformation):
        fill = transformation.get("fill")
        if fill is None:
            fill = float(self.value) if self.value != "random" else 0.0
        return (
            erase_boxes(xp, images, transformation["boxes"],
                        transformation["active"], fill),
            labels,
        )


def _check_value(value):
    if value != "random" and (
        isinstance(value, bool) or not isinstance(value, (int, float))
    ):
        raise ValueError(
            "Expected `value` to be a number or 'random'. Received: "
            f"value={value!r}"
        )
    return value


@keras_recipes_export("keras_recipes.augment.RandomErasing")
class RandomErasing(_ErasingBase):
    """Random erasing (Zhong et al.) with timm's sampling rules, per image.

    With probability `probability`, an image gets between 1 and `max_count`
    rectangles (uniform count). For each, up to 10 attempts draw a target
    area `U(scale) * H * W / count` and an aspect ratio log-uniform in
    `ratio`; the first attempt whose box fits in the image is used, at a
    uniform position; if none fits the rectangle is skipped (as timm).
    Rectangles are filled with per-pixel uniform noise in `value_range`
    (`value="random"`, timm's `mode="pixel"`) or a constant. Everything is
    drawn per image and applied as one vectorized mask. Compared with
    `keras.layers.RandomErasing`, this adds `max_count` and timm's sampling.
    Labels pass through unchanged, so any loss works.

    Args:
        probability: probability of erasing an image. Defaults to `0.25`.
        scale: range of the erased area as a fraction of the image.
            Defaults to `(0.02, 1/3)`.
        ratio: range of the aspect ratio (height / width) of a rectangle.
            Defaults to `(0.3, 3.3)`.
        value: `"random"` or a constant fill value. Defaults to `"random"`.
        max_count: maximum number of rectangles per image. Defaults to `1`.
        value_range: range of the random fill values. Defaults to
            `(0, 255)`.
        seed: integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `None` (`keras.config.image_data_format()`).

    Call arguments:
        data: images, `(images, labels)` or a dict with `"images"`.
        training: if `False`, `data` is returned unchanged. Defaults to
            `True`.
        seed: optional int or `keras.random.SeedGenerator` for this call.

    Returns:
        The same structure with float32 images.

    Example:

    >>> layer = keras_recipes.augment.RandomErasing(probability=1.0,
    ...                                             value=0, seed=0)
    >>> out = keras.ops.convert_to_numpy(layer(np.ones((8, 16, 16, 1))))
    >>> bool((out.reshape(8, -1).min(axis=1) == 0).all())  # all erased
    True

    Reference:
        - [Zhong et al., 2020](https://arxiv.org/abs/1708.04896)
    """

    def __init__(self, probability=0.25, scale=(0.02, 1 / 3),
                 ratio=(0.3, 3.3), value="random", max_count=1,
                 value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.probability = check_number("probability", probability,
                                        min_value=0.0, max_value=1.0)
        self.scale = check_pair("scale", scale, min_value=0.0,
                                max_value=1.0)
        self.ratio = check_pair("ratio", ratio, min_value=1e-6)
        self.value = _check_value(value)
        self.max_count = check_number("max_count", max_count, integer=True,
                                      min_value=1)
        self.value_range = check_value_range(value_range)

    def _random_transformation(self, xp, rng, images, labels):
        b = xp.shape(images)[0]
        h, w = images.shape[1], images.shape[2]
        k, n = self.max_count, _ATTEMPTS
        count = xp.floor(rng.uniform((b, 1)) * k) + 1.0  # 1..k
        area = (
            rng.uniform((b, k, n), self.scale[0], self.scale[1])
            * float(h * w) / count[:, :, None]
        )
        log_r = rng.uniform((b, k, n), math.log(self.ratio[0]),
                            math.log(self.ratio[1]))
        aspect = xp.exp(log_r)
        eh = xp.round(xp.sqrt(area * aspect))
        ew = xp.round(xp.sqrt(area / aspect))
        fits = xp.logical_and(eh < h, ew < w)
        first = xp.argmax(xp.cast(fits, "int32"), axis=-1)  # (b, k)
        pick = xp.one_hot(first, n, dtype="float32")
        eh = xp.sum(eh * pick, axis=-1)
        ew = xp.sum(ew * pick, axis=-1)
        any_fit = xp.any(fits, axis=-1)
        top = xp.floor(rng.uniform((b, k)) * (h - eh + 1.0))
        left = xp.floor(rng.uniform((b, k)) * (w - ew + 1.0))
        boxes = xp.cast(
            xp.stack([top, top + eh, left, left + ew], axis=-1), "int32"
        )
        slot = xp.arange(k, dtype="float32")[None, :]
        erase = rng.uniform((b, 1)) < self.probability
        active = xp.logical_and(
            xp.logical_and(any_fit, slot < count), erase
        )
        t = {"boxes": boxes, "active": active}
        if self.value == "random":
            t["fill"] = self._fill(xp, rng, images)
        return t

    def get_config(self):
        config = super().get_config()
        config.update({
            "probability": self.probability, "scale": self.scale,
            "ratio": self.ratio, "value": self.value,
            "max_count": self.max_count, "value_range": self.value_range,
        })
        return config


@keras_recipes_export("keras_recipes.augment.CutOut")
class CutOut(_ErasingBase):
    """CutOut: `count` fixed-size squares (or rectangles) per image.

    Each image gets `count` patches of `size` pixels whose centres are
    uniform over the image; patches are clipped at the borders (DeVries and
    Taylor's formulation, so the erased area varies near the edges) and
    filled with `value`. Drawn per image and applied as one vectorized mask;
    Keras has no CutOut with count and size control. Labels pass through
    unchanged, so any loss works.

    Args:
        size: patch side in pixels, an int or `(height, width)`.
        count: number of patches per image. Defaults to `1`.
        value: fill value, a number or `"random"` (uniform noise in
            `value_range`). Defaults to `0`.
        value_range: range of the random fill values. Defaults to
            `(0, 255)`.
        seed: integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `None` (`keras.config.image_data_format()`).

    Call arguments:
        data: images, `(images, labels)` or a dict with `"images"`.
        training: if `False`, `data` is returned unchanged. Defaults to
            `True`.
        seed: optional int or `keras.random.SeedGenerator` for this call.

    Returns:
        The same structure with float32 images.

    Example:

    >>> layer = keras_recipes.augment.CutOut(size=4, count=2, seed=0)
    >>> out = keras.ops.convert_to_numpy(layer(np.ones((2, 32, 32, 3))))
    >>> bool(((out == 0).sum(axis=(1, 2, 3)) <= 2 * 16 * 3).all())
    True

    Reference:
        - [DeVries and Taylor, 2017](https://arxiv.org/abs/1708.04552)
    """

    def __init__(self, size, count=1, value=0, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if isinstance(size, (tuple, list)):
            if len(size) != 2:
                raise ValueError(
                    "Expected `size` to be an int or (height, width). "
                    f"Received: size={size!r}"
                )
            for s in size:
                check_number("size", s, integer=True, min_value=1)
            size = tuple(int(s) for s in size)
        else:
            check_number("size", size, integer=True, min_value=1)
        self.size = size
        self.count = check_number("count", count, integer=True,
                                  min_value=1)
        self.value = _check_value(value)
        self.value_range = check_value_range(value_range)

    def _random_transformation(self, xp, rng, images, labels):
        b = xp.shape(images)[0]
        h, w = images.shape[1], images.shape[2]
        sh, sw = (self.size, self.size) if isinstance(self.size, int) \
            else self.size
        k = self.count
        cy = xp.floor(rng.uniform((b, k)) * h)
        cx = xp.floor(rng.uniform((b, k)) * w)
        y0 = xp.clip(cy - sh // 2, 0.0, float(h))
        x0 = xp.clip(cx - sw // 2, 0.0, float(w))
        y1 = xp.clip(cy - sh // 2 + sh, 0.0, float(h))
        x1 = xp.clip(cx - sw // 2 + sw, 0.0, float(w))
        boxes = xp.cast(xp.stack([y0, y1, x0, x1], axis=-1), "int32")
        t = {"boxes": boxes, "active": xp.ones((b, k), dtype="bool")}
        if self.value == "random":
            t["fill"] = self._fill(xp, rng, images)
        return t

    def get_config(self):
        config = super().get_config()
        config.update({
            "size": self.size, "count": self.count, "value": self.value,
            "value_range": self.value_range,
        })
        return config
