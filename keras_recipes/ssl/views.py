"""The default view pipeline of the two-view methods (SimCLR, VICReg)."""

import keras

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.augment import _image_ops as image_ops
from keras_recipes.augment._base import BaseAugmentation
from keras_recipes.augment._base import check_value_range
from keras_recipes.augment.random_erasing import RandomErasing
from keras_recipes.augment.random_resized_crop import RandomResizedCrop
from keras_recipes.utils.validation import check_number


def _to_255(images, value_range):
    lo, hi = value_range
    if (lo, hi) == (0, 255):
        return images
    return (images - lo) * (255.0 / (hi - lo))


def _from_255(images, value_range):
    lo, hi = value_range
    if (lo, hi) == (0, 255):
        return images
    return images * ((hi - lo) / 255.0) + lo


@keras.saving.register_keras_serializable(package="keras_recipes",
                                          name="SSLHorizontalFlip")
class HorizontalFlip(BaseAugmentation):
    """Flip each image left-right with probability `probability` (drawn per
    image, jit-compatible; private to `keras_recipes.ssl.default_views`)."""

    def __init__(self, probability=0.5, seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.probability = check_number("probability", probability,
                                        min_value=0.0, max_value=1.0)

    def _random_transformation(self, xp, rng, images, labels):
        b = xp.shape(images)[0]
        return {"flip": rng.uniform((b,)) < self.probability}

    def _apply(self, xp, images, labels, transformation):
        flip = xp.cast(transformation["flip"], "bool")[:, None, None, None]
        return xp.where(flip, xp.flip(images, axis=2), images), labels

    def get_config(self):
        config = super().get_config()
        config["probability"] = self.probability
        return config


@keras.saving.register_keras_serializable(package="keras_recipes",
                                          name="SSLColorJitter")
class ColorJitter(BaseAugmentation):
    """SimCLR's colour distortion, per image (private to
    `keras_recipes.ssl.default_views`).

    With probability `probability` an image gets brightness, contrast and
    (colour images) saturation factors drawn uniformly from
    `[1 - s, 1 + s]`, applied in this fixed order as PIL's `ImageEnhance`
    does (`keras_recipes.augment` colour ops); then, for colour images,
    it is turned to grey (kept 3 channels) with probability
    `grayscale_probability`. Hue jitter is not applied. Works on the
    0-255 scale internally; `value_range` gives the input scale.
    """

    def __init__(self, brightness=0.4, contrast=0.4, saturation=0.4,
                 probability=0.8, grayscale_probability=0.2,
                 value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        for name, value in (("brightness", brightness),
                            ("contrast", contrast),
                            ("saturation", saturation)):
            check_number(name, value, min_value=0.0, max_value=1.0)
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.probability = check_number("probability", probability,
                                        min_value=0.0, max_value=1.0)
        self.grayscale_probability = check_number(
            "grayscale_probability", grayscale_probability, min_value=0.0,
            max_value=1.0)
        self.value_range = check_value_range(value_range)

    def _random_transformation(self, xp, rng, images, labels):
        b = xp.shape(images)[0]

        def factor(s):
            return rng.uniform((b,), 1.0 - s, 1.0 + s)

        apply = rng.uniform((b,)) < self.probability
        one = xp.ones((b,), "float32")
        return {
            "brightness": xp.where(apply, factor(self.brightness), one),
            "contrast": xp.where(apply, factor(self.contrast), one),
            "saturation": xp.where(apply, factor(self.saturation), one),
            "grayscale": rng.uniform((b,)) < self.grayscale_probability,
        }

    def _apply(self, xp, images, labels, transformation):
        x = _to_255(images, self.value_range)
        x = image_ops.adjust_brightness(
            xp, x, xp.cast(transformation["brightness"], "float32"))
        x = image_ops.adjust_contrast(
            xp, x, xp.cast(transformation["contrast"], "float32"))
        if x.shape[-1] == 3:
            x = image_ops.adjust_color(
                xp, x, xp.cast(transformation["saturation"], "float32"))
            grey = xp.cast(transformation["grayscale"], "bool")
            gray = image_ops.grayscale(xp, x) + 0.0 * x
            x = xp.where(grey[:, None, None, None], gray, x)
        return _from_255(x, self.value_range), labels

    def get_config(self):
        config = super().get_config()
        config.update({
            "brightness": self.brightness,
            "contrast": self.contrast,
            "saturation": self.saturation,
            "probability": self.probability,
            "grayscale_probability": self.grayscale_probability,
            "value_range": self.value_range,
        })
        return config


def _check_image_shape(image_shape, data_format):
    if (not isinstance(image_shape, (tuple, list)) or len(image_shape) != 3
            or not all(isinstance(v, int) and not isinstance(v, bool)
                       and v > 0 for v in image_shape)):
        raise ValueError(
            "Expected `image_shape` to be a tuple of 3 positive integers "
            "(height, width, channels) (channels first with "
            "data_format='channels_first'). Received: "
            f"image_shape={image_shape!r}"
        )
    if data_format == "channels_first":
        c, h, w = image_shape
    else:
        h, w, c = image_shape
    if c not in (1, 3):
        raise ValueError(
            "Expected 1 (grayscale) or 3 (RGB) channels in `image_shape`. "
            f"Received: image_shape={image_shape!r}"
        )
    return h, w, c


@keras_recipes_export("keras_recipes.ssl.default_views")
def default_views(image_shape, seed=None, value_range=(0, 255),
                  data_format=None):
    """The default view pipeline of SimCLR and VICReg, as a list of layers.

    SimCLR's recipe scaled to small images, every draw made per image (so
    the two views of an image, and the views of different images, differ):

    1. `keras_recipes.augment.RandomResizedCrop` back to the input size,
       area `scale=(0.2, 1.0)` (the SimCLR CIFAR setting; ImageNet uses
       0.08);
    2. a horizontal flip with probability 0.5;
    3. colour jitter with probability 0.8: brightness and contrast factors
       in `[0.6, 1.4]`, and saturation in `[0.6, 1.4]` for RGB images; then
       for RGB images greyscale with probability 0.2 (no hue jitter);
    4. for grayscale images, `keras_recipes.augment.RandomErasing`
       (probability 0.25, area 2-20%, filled with uniform noise), which
       stands in for the colour distortion that grey images lack.

    Gaussian blur is left out: at 28x28 and 32x32 SimCLR's authors drop it
    too. All layers are jit-compatible, so the views are drawn inside the
    compiled train step. Images may be in `[0, 255]` (the default, as the
    `keras_recipes.augment` layers expect) or in another range given by
    `value_range` (e.g. `(0, 1)`); the output stays in that range.

    Args:
        image_shape: `(height, width, channels)` of the images (channels
            first with `data_format="channels_first"`), channels 1 or 3.
        seed: Integer seed; layer `i` gets `seed + i`. Defaults to `None`.
        value_range: Range of the pixel values. Defaults to `(0, 255)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `None` (`keras.config.image_data_format()`).

    Returns:
        A list of augmentation layers, applied in order to make one view.

    Example:

    >>> views = keras_recipes.ssl.default_views((28, 28, 1), seed=0)
    >>> [type(layer).__name__ for layer in views]
    ['RandomResizedCrop', 'HorizontalFlip', 'ColorJitter', 'RandomErasing']
    >>> x = np.random.default_rng(0).uniform(0, 255, (4, 28, 28, 1))
    >>> for layer in views:
    ...     x = layer(x, training=True)
    >>> tuple(x.shape)
    (4, 28, 28, 1)
    """
    if data_format is None:
        data_format = keras.config.image_data_format()
    h, w, c = _check_image_shape(image_shape, data_format)
    value_range = check_value_range(value_range)
    if seed is not None:
        check_number("seed", seed, integer=True, min_value=0)

    def s(i):
        return None if seed is None else seed + i

    layers = [
        RandomResizedCrop(h, w, scale=(0.2, 1.0), seed=s(0),
                          data_format=data_format),
        HorizontalFlip(0.5, seed=s(1), data_format=data_format),
        ColorJitter(
            brightness=0.4, contrast=0.4, saturation=0.4 if c == 3 else 0.0,
            probability=0.8, grayscale_probability=0.2 if c == 3 else 0.0,
            value_range=value_range, seed=s(2), data_format=data_format),
    ]
    if c == 1:
        layers.append(RandomErasing(
            probability=0.25, scale=(0.02, 0.2), value="random",
            value_range=value_range, seed=s(3), data_format=data_format))
    return layers
