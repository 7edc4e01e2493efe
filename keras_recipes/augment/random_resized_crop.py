"""RandomResizedCrop (Inception-style crop), per image and vectorized."""

import math

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.augment import _image_ops as image_ops
from keras_recipes.augment._base import BaseAugmentation
from keras_recipes.augment._base import check_pair
from keras_recipes.utils.validation import check_number

_ATTEMPTS = 10


@keras_recipes_export("keras_recipes.augment.RandomResizedCrop")
class RandomResizedCrop(BaseAugmentation):
    """Crop a random area and aspect ratio of each image, resize it.

    torchvision's sampling rule, drawn for every image at once: 10 candidate
    crops with area `U(scale) * H * W` and aspect ratio (width / height)
    log-uniform in `ratio`, sides rounded; the first candidate that fits is
    used at a uniform position; if none fits, a centre crop with the ratio
    clamped to `ratio`. The crop is resized to `(height, width)` with
    bilinear interpolation (half-pixel centres, no antialiasing). At
    inference (`training=False`) the whole image is resized to
    `(height, width)`, so a model containing the layer keeps its shapes.
    Keras has no RandomResizedCrop; this one is jit-compatible, so a model
    containing it stays compiled. Labels pass through unchanged.

    Args:
        height: output height.
        width: output width.
        scale: range of the crop area as a fraction of the image. Defaults
            to `(0.08, 1.0)`.
        ratio: range of the crop aspect ratio (width / height). Defaults to
            `(3/4, 4/3)`.
        seed: integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `None` (`keras.config.image_data_format()`).

    Call arguments:
        data: images, `(images, labels)` or a dict with `"images"`.
        training: if `False`, resize the whole image. Defaults to `True`.
        seed: optional int or `keras.random.SeedGenerator` for this call.

    Returns:
        The same structure with float32 images of size `(height, width)`.

    Example:

    >>> layer = keras_recipes.augment.RandomResizedCrop(24, 24, seed=0)
    >>> out = layer(np.zeros((2, 32, 32, 3), dtype="uint8"))
    >>> tuple(out.shape)
    (2, 24, 24, 3)

    Reference:
        - [Szegedy et al., 2015](https://arxiv.org/abs/1409.4842)
    """

    def __init__(self, height, width, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3),
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height = check_number("height", height, integer=True,
                                   min_value=1)
        self.width = check_number("width", width, integer=True, min_value=1)
        self.scale = check_pair("scale", scale, min_value=0.0,
                                max_value=1.0)
        if self.scale[1] <= 0:
            raise ValueError(
                f"Expected `scale` to have a positive upper bound. Received: "
                f"scale={scale!r}"
            )
        self.ratio = check_pair("ratio", ratio, min_value=1e-6)
        if self.ratio[0] <= 0:
            raise ValueError(
                f"Expected `ratio` to be positive. Received: ratio={ratio!r}"
            )

    def call(self, data, training=True, seed=None):
        if not training:
            return self.apply_transformation(data, {"boxes": None})
        return super().call(data, training=training, seed=seed)

    def _random_transformation(self, xp, rng, images, labels):
        b = xp.shape(images)[0]
        h, w = images.shape[1], images.shape[2]
        n = _ATTEMPTS
        area = rng.uniform((b, n), self.scale[0], self.scale[1]) * (h * w)
        log_r = rng.uniform((b, n), math.log(self.ratio[0]),
                            math.log(self.ratio[1]))
        aspect = xp.exp(log_r)
        cw = xp.round(xp.sqrt(area * aspect))
        ch = xp.round(xp.sqrt(area / aspect))
        fits = xp.logical_and(
            xp.logical_and(cw > 0.0, cw <= w), xp.logical_and(ch > 0.0,
                                                              ch <= h)
        )
        first = xp.argmax(xp.cast(fits, "int32"), axis=-1)
        pick = xp.one_hot(first, n, dtype="float32")
        cw = xp.sum(cw * pick, axis=-1)
        ch = xp.sum(ch * pick, axis=-1)
        top = xp.floor(rng.uniform((b,)) * (h - ch + 1.0))
        left = xp.floor(rng.uniform((b,)) * (w - cw + 1.0))
        # Fallback: centre crop with the aspect ratio clamped to `ratio`.
        in_ratio = w / h
        if in_ratio < self.ratio[0]:
            fw, fh = w, round(w / self.ratio[0])
        elif in_ratio > self.ratio[1]:
            fw, fh = round(h * self.ratio[1]), h
        else:
            fw, fh = w, h
        ok = xp.any(fits, axis=-1)
        top = xp.where(ok, top, float((h - fh) // 2))
        left = xp.where(ok, left, float((w - fw) // 2))
        ch = xp.where(ok, ch, float(fh))
        cw = xp.where(ok, cw, float(fw))
        return {"boxes": xp.stack([top, left, ch, cw], axis=-1)}

    def _apply(self, xp, images, labels, transformation):
        boxes = transformation["boxes"]
        h, w = images.shape[1], images.shape[2]
        if boxes is None:
            if (h, w) == (self.height, self.width):
                return images, labels
            b = xp.shape(images)[0]
            ones = xp.ones((b,), dtype="float32")
            boxes = xp.stack(
                [0.0 * ones, 0.0 * ones, h * ones, w * ones], axis=-1
            )
        boxes = xp.cast(boxes, "float32")
        out = image_ops.crop_and_resize(
            xp, images, boxes, self.height, self.width
        )
        return out, labels

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if self.data_format == "channels_first":
            shape[-2], shape[-1] = self.height, self.width
        else:
            shape[-3], shape[-2] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "height": self.height, "width": self.width, "scale": self.scale,
            "ratio": self.ratio,
        })
        return config
