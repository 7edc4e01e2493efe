"""`vit_encoder`: a small Vision Transformer built from Keras core layers."""

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_data_format
from keras_recipes.utils.validation import check_number

POOLINGS = ("avg", "token", None)


def check_patch_grid(image_shape, patch_size, data_format="channels_last"):
    """`(grid_height, grid_width, channels)` of `image_shape` cut into
    `patch_size` squares; raises a `ValueError` naming the arguments when
    the image does not divide into patches."""
    if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 3:
        raise ValueError(
            "Expected `image_shape` to be a tuple of 3 integers (height, "
            f"width, channels). Received: image_shape={image_shape!r}"
        )
    for dim in image_shape:
        check_number("image_shape", dim, min_value=1, integer=True)
    check_number("patch_size", patch_size, min_value=1, integer=True)
    if data_format == "channels_first":
        channels, height, width = image_shape
    else:
        height, width, channels = image_shape
    if height % patch_size or width % patch_size:
        raise ValueError(
            "Expected the image height and width to be divisible by "
            f"`patch_size`. Received: image_shape={tuple(image_shape)}, "
            f"patch_size={patch_size}"
        )
    return height // patch_size, width // patch_size, channels


def position_ids(tokens):
    """`(B, N)` int32 positions 0..N-1 of `(B, N, D)` tokens, written with
    `keras.ops` so a functional model holding it stays core Keras."""
    ones = ops.ones_like(tokens[..., 0])
    return ops.cast(ops.cumsum(ones, axis=1) - 1, "int32")


def transformer(sequence_dim, depth, num_heads, mlp_ratio, name,
                sequence_length=None):
    """A pre-norm Transformer encoder (`depth` blocks and a final
    LayerNorm) as a functional `keras.Model` on `(B, L, sequence_dim)`
    tokens; `L` may vary from call to call."""
    inputs = keras.Input((sequence_length, sequence_dim), name="tokens")
    x = inputs
    mlp_dim = max(1, int(round(sequence_dim * mlp_ratio)))
    for i in range(depth):
        prefix = f"block{i + 1}"
        h = keras.layers.LayerNormalization(
            epsilon=1e-6, name=f"{prefix}_norm1")(x)
        h = keras.layers.MultiHeadAttention(
            num_heads, sequence_dim // num_heads, name=f"{prefix}_attention",
        )(h, h)
        x = keras.layers.Add(name=f"{prefix}_add1")([x, h])
        h = keras.layers.LayerNormalization(
            epsilon=1e-6, name=f"{prefix}_norm2")(x)
        h = keras.layers.Dense(
            mlp_dim, activation="gelu", name=f"{prefix}_mlp1")(h)
        h = keras.layers.Dense(sequence_dim, name=f"{prefix}_mlp2")(h)
        x = keras.layers.Add(name=f"{prefix}_add2")([x, h])
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="norm")(x)
    return keras.Model(inputs, x, name=name)


def check_transformer(dim_name, dim, depth_name, depth, heads_name, heads,
                      mlp_ratio=None):
    check_number(dim_name, dim, min_value=1, integer=True)
    check_number(depth_name, depth, min_value=1, integer=True)
    check_number(heads_name, heads, min_value=1, integer=True)
    if dim % heads:
        raise ValueError(
            f"Expected `{dim_name}` to be divisible by `{heads_name}`. "
            f"Received: {dim_name}={dim}, {heads_name}={heads}"
        )
    if mlp_ratio is not None:
        check_number("mlp_ratio", mlp_ratio, min_value=0.0,
                     min_inclusive=False)


@keras_recipes_export("keras_recipes.models.vit_encoder")
def vit_encoder(image_shape, patch_size=4, embed_dim=64, depth=4,
                num_heads=4, mlp_ratio=2.0, pooling="avg",
                rescaling=1.0 / 255.0, data_format=None, name="vit_encoder"):
    """A small Vision Transformer encoder made of Keras core layers only.

    The ViT of Dosovitskiy et al. (2021) at a CPU-friendly size: the image
    is cut into `patch_size` x `patch_size` patches, each patch is linearly
    embedded (a strided `Conv2D`), a learned position embedding is added,
    and `depth` pre-norm Transformer blocks (multi-head self-attention and
    a GELU MLP of width `mlp_ratio * embed_dim`) are followed by a final
    LayerNormalization. `pooling="avg"` averages the tokens into one
    feature vector; `"token"` prepends a learned class token and returns
    its output; `None` returns every patch token.

    Only Keras core layers and `keras.ops` are used, so a saved encoder
    loads with `keras.saving.load_model` (safe mode) in a process that
    never imports `keras_recipes`. The layers `"patch_embed"`,
    `"pos_embed"` and the sub-model `"transformer"` (which accepts any
    number of tokens) are what `keras_recipes.ssl.MAE` reuses to encode
    the visible patches only.

    Args:
        image_shape: tuple, the image shape without the batch axis, e.g.
            `(28, 28, 1)`; height and width must be divisible by
            `patch_size`.
        patch_size: int, side of the square patches. Defaults to `4`.
        embed_dim: int, width of the tokens. Defaults to `64`.
        depth: int, number of Transformer blocks. Defaults to `4`.
        num_heads: int, attention heads; must divide `embed_dim`.
            Defaults to `4`.
        mlp_ratio: float, width of the MLP relative to `embed_dim`.
            Defaults to `2.0`.
        pooling: `"avg"`, `"token"` or `None`. Defaults to `"avg"`.
        rescaling: float or `None`, factor applied to the input pixels
            (raw 0-255 images in, as for `small_resnet`). Defaults to
            `1/255`.
        data_format: `"channels_last"`, `"channels_first"` or `None` for
            `keras.config.image_data_format()`. Defaults to `None`.
        name: str, the model name. Defaults to `"vit_encoder"`.

    Returns:
        An uncompiled `keras.Model` mapping images to `(B, embed_dim)`
        features, or to `(B, num_patches, embed_dim)` tokens when
        `pooling=None`.

    Example:

    >>> encoder = keras_recipes.models.vit_encoder(
    ...     (16, 16, 1), patch_size=4, embed_dim=16, depth=1, num_heads=2)
    >>> encoder.output_shape
    (None, 16)
    >>> x = np.zeros((2, 16, 16, 1), "float32")
    >>> encoder.predict(x, verbose=0).shape
    (2, 16)

    Reference:
        - [Dosovitskiy et al., 2021, An Image is Worth 16x16 Words](
          https://arxiv.org/abs/2010.11929)
    """
    data_format = check_data_format(data_format)
    grid_h, grid_w, _ = check_patch_grid(image_shape, patch_size,
                                         data_format)
    check_transformer("embed_dim", embed_dim, "depth", depth,
                      "num_heads", num_heads, mlp_ratio)
    if pooling not in POOLINGS:
        raise ValueError(
            "Expected `pooling` to be 'avg', 'token' or None. Received: "
            f"pooling={pooling!r}"
        )
    check_number("rescaling", rescaling, allow_none=True)
    num_patches = grid_h * grid_w

    inputs = keras.Input(tuple(image_shape), name="images")
    x = inputs
    if data_format == "channels_first":
        x = keras.layers.Permute((2, 3, 1), name="to_channels_last")(x)
    if rescaling is not None:
        x = keras.layers.Rescaling(rescaling, name="rescaling")(x)
    x = keras.layers.Conv2D(
        embed_dim, patch_size, strides=patch_size, padding="valid",
        data_format="channels_last", name="patch_embed",
    )(x)
    tokens = keras.layers.Reshape((num_patches, embed_dim),
                                  name="patch_tokens")(x)
    init = keras.initializers.RandomNormal(stddev=0.02)
    positions = keras.layers.Embedding(
        num_patches, embed_dim, embeddings_initializer=init,
        name="pos_embed",
    )(position_ids(tokens))
    tokens = keras.layers.Add(name="add_pos_embed")([tokens, positions])
    if pooling == "token":
        zeros = ops.cast(ops.zeros_like(tokens[:, :1, 0]), "int32")
        cls = keras.layers.Embedding(
            1, embed_dim, embeddings_initializer=init, name="class_token",
        )(zeros)
        tokens = keras.layers.Concatenate(axis=1, name="prepend_class_token")(
            [cls, tokens])
    tokens = transformer(embed_dim, depth, num_heads, mlp_ratio,
                         name="transformer")(tokens)
    if pooling == "avg":
        outputs = keras.layers.GlobalAveragePooling1D(name="pool")(tokens)
    elif pooling == "token":
        outputs = tokens[:, 0]
    else:
        outputs = tokens
    return keras.Model(inputs, outputs, name=name)
