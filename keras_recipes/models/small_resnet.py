"""`small_resnet`: a compact ResNet for 28-64 px images on a CPU budget."""

import keras

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_number


def _conv_bn(x, filters, strides, name, activation=True):
    x = keras.layers.Conv2D(
        filters, 3, strides=strides, padding="same", use_bias=False,
        kernel_initializer="he_normal", name=f"{name}_conv",
    )(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    if activation:
        x = keras.layers.ReLU(name=f"{name}_relu")(x)
    return x


def _basic_block(x, filters, strides, name, channel_axis):
    shortcut = x
    h = _conv_bn(x, filters, strides, f"{name}_1")
    h = _conv_bn(h, filters, 1, f"{name}_2", activation=False)
    if strides != 1 or x.shape[channel_axis] != filters:
        shortcut = keras.layers.Conv2D(
            filters, 1, strides=strides, use_bias=False,
            kernel_initializer="he_normal", name=f"{name}_proj_conv",
        )(x)
        shortcut = keras.layers.BatchNormalization(name=f"{name}_proj_bn")(
            shortcut
        )
    h = keras.layers.Add(name=f"{name}_add")([h, shortcut])
    return keras.layers.ReLU(name=f"{name}_out")(h)


@keras_recipes_export("keras_recipes.models.small_resnet")
def small_resnet(input_shape, num_classes, width=32, depth=8,
                 stem_strides=None, rescaling=1.0 / 255.0, dropout=0.0,
                 data_format=None, name="small_resnet"):
    """A compact ResNet for 28-64 px images that trains on a 2-core CPU.

    The CIFAR ResNet layout of He et al. (2016): a 3x3 stem, three stages of
    basic residual blocks with `width`, `2 * width` and `4 * width` filters
    (the last two halve the resolution), global average pooling and a softmax
    classifier. `depth` counts the weighted layers as in ResNet-20/32/56
    (`depth = 6 * n + 2`, `n` blocks per stage). For inputs of 28 px and more
    the stem has stride 2, which makes the network about 4x cheaper at a small
    cost in accuracy; pass `stem_strides=1` to keep full resolution.

    The model takes raw pixel values and rescales them itself (`rescaling`),
    so augmentations that expect `value_range=(0, 255)` run before it and a
    saved model predicts on raw images.

    Args:
        input_shape: tuple, the image shape without the batch axis, e.g.
            `(28, 28, 1)` (or `(1, 28, 28)` with `"channels_first"`).
        num_classes: int, number of classes of the softmax output, or
            `None` for an encoder that returns the pooled features
            `(batch, 4 * width)` (for self-supervised pretraining with
            `keras_recipes.ssl`).
        width: int, filters of the first stage. Defaults to `32`.
        depth: int, `6 * n + 2` weighted layers. Defaults to `8` (one block
            per stage).
        stem_strides: int or `None`, stride of the stem convolution. `None`
            picks 2 for images whose smaller side is at least 28 px, else 1.
            Defaults to `None`.
        rescaling: float or `None`, factor applied to the input pixels.
            Defaults to `1/255`.
        dropout: float in [0, 1), dropout before the classifier. Defaults to
            `0.0`.
        data_format: `"channels_last"`, `"channels_first"` or `None` for
            `keras.config.image_data_format()`. Defaults to `None`.
        name: str, the model name. Defaults to `"small_resnet"`.

    Returns:
        An uncompiled `keras.Model` mapping images to class probabilities
        (or to features, with `num_classes=None`).

    Example:

    >>> model = keras_recipes.models.small_resnet((28, 28, 1), 10, width=8)
    >>> model.output_shape
    (None, 10)
    >>> x = np.zeros((2, 28, 28, 1), "float32")
    >>> model.predict(x, verbose=0).shape
    (2, 10)

    Reference:
        - [He et al., 2016, Deep Residual Learning for Image Recognition](
          https://arxiv.org/abs/1512.03385)
    """
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(
            "Expected `input_shape` to be a tuple of 3 integers (height, "
            f"width, channels). Received: input_shape={input_shape!r}"
        )
    for dim in input_shape:
        check_number("input_shape", dim, min_value=1, integer=True)
    check_number("num_classes", num_classes, min_value=2, integer=True,
                 allow_none=True)
    check_number("width", width, min_value=1, integer=True)
    check_number("depth", depth, min_value=8, integer=True)
    if (depth - 2) % 6:
        raise ValueError(
            "Expected `depth` of the form 6 * n + 2 (8, 14, 20, 32, ...). "
            f"Received: depth={depth}"
        )
    check_number("stem_strides", stem_strides, min_value=1, integer=True,
                 allow_none=True)
    check_number("rescaling", rescaling, allow_none=True)
    check_number("dropout", dropout, min_value=0.0, max_value=1.0,
                 max_inclusive=False)
    data_format = data_format or keras.config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "Expected `data_format` to be 'channels_last' or "
            f"'channels_first'. Received: data_format={data_format!r}"
        )
    channel_axis = -1 if data_format == "channels_last" else 1
    spatial = (
        input_shape[:2] if data_format == "channels_last" else input_shape[1:]
    )
    if stem_strides is None:
        stem_strides = 2 if min(spatial) >= 28 else 1
    blocks = (depth - 2) // 6

    previous_format = keras.config.image_data_format()
    keras.config.set_image_data_format(data_format)
    try:
        inputs = keras.Input(tuple(input_shape), name="images")
        x = inputs
        if rescaling is not None:
            x = keras.layers.Rescaling(rescaling, name="rescaling")(x)
        x = _conv_bn(x, width, stem_strides, "stem")
        for stage, multiplier in enumerate((1, 2, 4)):
            for block in range(blocks):
                strides = 2 if stage > 0 and block == 0 else 1
                x = _basic_block(
                    x, width * multiplier, strides,
                    f"stage{stage + 1}_block{block + 1}", channel_axis,
                )
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
        if num_classes is None:
            return keras.Model(inputs, x, name=name)
        if dropout:
            x = keras.layers.Dropout(dropout, name="dropout")(x)
        outputs = keras.layers.Dense(
            num_classes, activation="softmax", name="predictions",
            dtype="float32",
        )(x)
    finally:
        keras.config.set_image_data_format(previous_format)
    return keras.Model(inputs, outputs, name=name)
