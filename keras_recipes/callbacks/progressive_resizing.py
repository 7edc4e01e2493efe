"""Progressive resizing (fastai; Composer's schedule) for Keras."""

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.backend.capabilities import pydataset_peeks_batch_signature
from keras_recipes.utils.validation import check_choice
from keras_recipes.utils.validation import check_data_format
from keras_recipes.utils.validation import check_number

_MODES = ("resize", "crop")


def progressive_scale(elapsed, initial_scale=0.5, finetune_fraction=0.2,
                      delay_fraction=0.5):
    """Composer's scale factor after a fraction `elapsed` of training.

    `initial_scale` until `delay_fraction`, then a linear ramp that reaches
    1.0 when the last `finetune_fraction` of training starts.
    """
    if elapsed < delay_fraction:
        return float(initial_scale)
    ramp = 1.0 - finetune_fraction - delay_fraction
    progress = 1.0 if ramp <= 0 else min((elapsed - delay_fraction) / ramp,
                                         1.0)
    return initial_scale + (1.0 - initial_scale) * progress


def pinned_size(height, width, scale, size_increment=4):
    """`(height, width)` scaled so that the width is a multiple of
    `size_increment`, as Composer does; the full size once it reaches 1."""
    pinned_width = round(width * scale / size_increment) * size_increment
    factor = pinned_width / width
    if factor >= 1:
        return int(height), int(width)
    return int(height * factor), int(width * factor)


def resize_batch(images, size, mode="resize", interpolation="bilinear",
                 seed=None, data_format=None):
    """Resize (or randomly crop) a batch of images to `size = (h, w)`.

    `mode="crop"` takes one random window of the batch (the same for every
    image, as Composer does); `seed` is an int or a
    `keras.random.SeedGenerator`.
    """
    data_format = check_data_format(data_format)
    images = ops.convert_to_tensor(images)
    h_axis = 1 if data_format == "channels_last" else 2
    height, width = images.shape[h_axis], images.shape[h_axis + 1]
    new_h, new_w = int(size[0]), int(size[1])
    if (new_h, new_w) == (height, width):
        return images
    if mode == "resize":
        return ops.image.resize(images, (new_h, new_w),
                                interpolation=interpolation,
                                data_format=data_format)
    top = keras.random.randint((), 0, height - new_h + 1, seed=seed)
    left = keras.random.randint((), 0, width - new_w + 1, seed=seed)
    zero = ops.zeros((), "int32")
    if data_format == "channels_last":
        start = [zero, top, left, zero]
        shape = (images.shape[0], new_h, new_w, images.shape[3])
    else:
        start = [zero, zero, top, left]
        shape = (images.shape[0], images.shape[1], new_h, new_w)
    return ops.slice(images, ops.stack(ops.cast(start, "int32")), shape)


@keras_recipes_export("keras_recipes.callbacks.ProgressiveResizing")
class ProgressiveResizing(keras.callbacks.Callback):
    """Train on smaller images first, growing them to full size.

    Composer's schedule, applied per epoch: with `f = epoch / epochs`, the
    scale is `initial_scale` while `f < delay_fraction`, then grows linearly
    to 1.0, reached when the final `finetune_fraction` of training starts.
    The width is rounded to a multiple of `size_increment`
    (`round(W * scale / size_increment) * size_increment`) and the height
    scaled by the same factor, `int(H * W' / W)`. The current height, width
    and scale go into `logs` as `"progressive_resizing/height"`,
    `"progressive_resizing/width"` and `"progressive_resizing/scale_factor"`.

    Two ways to use it:

    - **In the data pipeline.** The callback instance is also a batch
      transform `fn(images, labels) -> (images, labels)` that resizes the
      batch to the current size, so it can be passed to
      `keras_recipes.data.batches(..., augment=[resizer])` (or mapped over
      any pipeline) and to `fit(callbacks=[resizer])`. Only training
      batches shrink; the model must accept variable image sizes (e.g.
      `keras.Input((None, None, C))` with global pooling). Each new size
      traces the train step once more on TensorFlow and JAX. On
      TensorFlow, Keras turns a `PyDataset` into a `tf.data` pipeline whose
      batch signature it infers from the first two batches, before
      training starts; outside `fit`, the callable therefore alternates
      between the current and the full size on that backend, so that
      the signature leaves height and width unknown.
    - **Inside the model.** Pass `layer=` a `keras.layers.Resizing` layer of
      the model (or its name) built with the full size; the callback sets
      its `height`/`width` each epoch, retraces the model's functions when
      the size changes, and restores the full size when training ends. The
      layer resizes validation inputs too.

    Args:
        initial_scale: Scale at the start, in `(0, 1]`. Defaults to `0.5`.
        finetune_fraction: Final fraction of training at full size.
            Defaults to `0.2`.
        delay_fraction: Initial fraction of training at `initial_scale`.
            Defaults to `0.5`.
        size_increment: Widths are multiples of this. Defaults to `4`.
        mode: `"resize"` (interpolate) or `"crop"` (one random window per
            batch). Defaults to `"resize"`.
        layer: A `keras.layers.Resizing` layer (or its name in the model) to
            drive, or `None` for the pipeline use. Defaults to `None`.
        interpolation: Interpolation of `"resize"`. Defaults to
            `"bilinear"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.
        seed: Seed of the `"crop"` windows. Defaults to `None`.

    Example:

    >>> resizer = keras_recipes.callbacks.ProgressiveResizing(
    ...     initial_scale=0.5, delay_fraction=0.25, finetune_fraction=0.25)
    >>> [resizer.size_at(e, epochs=8, full_size=(32, 32)) for e in range(8)]
    ... # doctest: +NORMALIZE_WHITESPACE
    [(16, 16), (16, 16), (16, 16), (20, 20), (24, 24), (28, 28), (32, 32),
     (32, 32)]
    >>> images, labels = resizer(np.zeros((2, 32, 32, 3)), np.zeros((2,)))
    >>> tuple(images.shape)
    (2, 16, 16, 3)

    Reference:
        - [fastai, Progressive resizing](https://github.com/fastai/fastbook/blob/master/07_sizing_and_tta.ipynb)
        - [MosaicML Composer, Progressive Resizing](https://docs.mosaicml.com/projects/composer/en/stable/method_cards/progressive_resizing.html)
    """

    def __init__(self, initial_scale=0.5, finetune_fraction=0.2,
                 delay_fraction=0.5, size_increment=4, mode="resize",
                 layer=None, interpolation="bilinear", data_format=None,
                 seed=None):
        super().__init__()
        check_number("initial_scale", initial_scale, min_value=0.0,
                     max_value=1.0, min_inclusive=False)
        check_number("finetune_fraction", finetune_fraction, min_value=0.0,
                     max_value=1.0)
        check_number("delay_fraction", delay_fraction, min_value=0.0,
                     max_value=1.0)
        if delay_fraction + finetune_fraction > 1:
            raise ValueError(
                "Expected `delay_fraction + finetune_fraction <= 1`. "
                f"Received: delay_fraction={delay_fraction!r}, "
                f"finetune_fraction={finetune_fraction!r}"
            )
        check_number("size_increment", size_increment, min_value=1,
                     integer=True)
        check_choice("mode", mode, _MODES)
        if layer is not None and not isinstance(
                layer, (str, keras.layers.Resizing)):
            raise TypeError(
                "Expected `layer` to be a keras.layers.Resizing layer or its "
                f"name. Received: layer={layer!r}"
            )
        self.initial_scale = initial_scale
        self.finetune_fraction = finetune_fraction
        self.delay_fraction = delay_fraction
        self.size_increment = size_increment
        self.mode = mode
        self.layer = layer
        self.interpolation = interpolation
        self.data_format = check_data_format(data_format)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.scale_factor = float(initial_scale)
        self.size = None
        self._layer = None
        self._full_size = None
        self._in_fit = False
        self._peeks = 0

    def scale_at(self, epoch, epochs):
        """Scale factor used during `epoch` (0-based) of `epochs`."""
        return progressive_scale(epoch / epochs, self.initial_scale,
                                 self.finetune_fraction, self.delay_fraction)

    def size_at(self, epoch, epochs, full_size):
        """`(height, width)` used during `epoch` for images of `full_size`."""
        return pinned_size(full_size[0], full_size[1],
                           self.scale_at(epoch, epochs), self.size_increment)

    def __call__(self, images, labels=None):
        axis = 1 if self.data_format == "channels_last" else 2
        shape = tuple(images.shape)
        full = (int(shape[axis]), int(shape[axis + 1]))
        self._full_size = full
        size = pinned_size(full[0], full[1], self.scale_factor,
                           self.size_increment)
        if not self._in_fit and pydataset_peeks_batch_signature():
            # TensorFlow's PyDataset adapter fixes the batch signature from
            # the first two batches it peeks at before training starts.
            # Alternating the size there declares height and width unknown.
            self._peeks += 1
            if self._peeks % 2 == 0:
                size = full
        self.size = size
        images = resize_batch(images, size, mode=self.mode,
                              interpolation=self.interpolation,
                              seed=self.seed_generator,
                              data_format=self.data_format)
        return images, labels

    def _find_layer(self):
        if isinstance(self.layer, keras.layers.Resizing):
            return self.layer
        layer = self.model.get_layer(self.layer)
        if not isinstance(layer, keras.layers.Resizing):
            raise TypeError(
                f"Expected layer {self.layer!r} to be a keras.layers.Resizing"
                f". Received: {type(layer).__name__}"
            )
        return layer

    def _set_layer_size(self, size):
        layer = self._layer
        if (layer.height, layer.width) == tuple(size):
            return
        layer.height, layer.width = int(size[0]), int(size[1])
        model = self.model
        # The size is a trace-time constant: rebuild the compiled functions.
        for name in ("train_function", "test_function", "predict_function"):
            if getattr(model, name, None) is not None:
                getattr(model, "make_" + name)(force=True)

    def on_train_begin(self, logs=None):
        self._in_fit = True
        if self.layer is not None:
            self._layer = self._find_layer()
            self._full_size = (self._layer.height, self._layer.width)

    def on_epoch_begin(self, epoch, logs=None):
        epochs = (self.params or {}).get("epochs") or 1
        self.scale_factor = self.scale_at(epoch, epochs)
        if self._full_size is not None:
            self.size = pinned_size(*self._full_size, self.scale_factor,
                                    self.size_increment)
        if self._layer is not None:
            self._set_layer_size(self.size)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        logs["progressive_resizing/scale_factor"] = self.scale_factor
        if self.size is not None:
            logs["progressive_resizing/height"] = self.size[0]
            logs["progressive_resizing/width"] = self.size[1]

    def on_train_end(self, logs=None):
        self._in_fit = False
        self._peeks = 0
        if self._layer is not None:
            self._set_layer_size(self._full_size)

    def get_config(self):
        layer = self.layer
        if isinstance(layer, keras.layers.Layer):
            layer = layer.name  # a callback refers to the model's layer
        return {
            "initial_scale": self.initial_scale,
            "finetune_fraction": self.finetune_fraction,
            "delay_fraction": self.delay_fraction,
            "size_increment": self.size_increment,
            "mode": self.mode,
            "layer": layer,
            "interpolation": self.interpolation,
            "data_format": self.data_format,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
