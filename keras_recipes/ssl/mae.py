"""Masked autoencoders (He et al., 2022): `MAE`, `patchify`, `unpatchify`
and the masked-patch loss."""

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.models.vit import check_patch_grid
from keras_recipes.models.vit import check_transformer
from keras_recipes.models.vit import position_ids
from keras_recipes.models.vit import transformer
from keras_recipes.models.vit import vit_encoder
from keras_recipes.utils.validation import check_data_format
from keras_recipes.utils.validation import check_number


def _channels_last(images, data_format):
    if data_format == "channels_first":
        return ops.transpose(images, (0, 2, 3, 1))
    return images


@keras_recipes_export("keras_recipes.ssl.patchify")
def patchify(images, patch_size, data_format=None):
    """Cut images into flattened, non-overlapping square patches.

    Patches are numbered row by row (as the patch embedding of
    `keras_recipes.models.vit_encoder` sees them) and each is flattened in
    `(row, column, channel)` order, as in the MAE authors' code.

    Args:
        images: `(B, H, W, C)` images (`(B, C, H, W)` with
            `"channels_first"`); `H` and `W` divisible by `patch_size`.
        patch_size: int, side of the square patches.
        data_format: `"channels_last"`, `"channels_first"` or `None` for
            `keras.config.image_data_format()`. Defaults to `None`.

    Returns:
        A `(B, (H / patch_size) * (W / patch_size),
        patch_size * patch_size * C)` tensor.

    Example:

    >>> images = np.arange(32, dtype="float32").reshape(2, 4, 4, 1)
    >>> patches = keras_recipes.ssl.patchify(images, 2)
    >>> tuple(patches.shape)
    (2, 4, 4)
    >>> keras.ops.convert_to_numpy(patches)[0, 1].tolist()
    [2.0, 3.0, 6.0, 7.0]
    """
    data_format = check_data_format(data_format)
    images = ops.convert_to_tensor(images)
    if len(images.shape) != 4:
        raise ValueError(
            "Expected `images` to be a 4-D batch of images. Received: "
            f"images of shape {tuple(images.shape)}"
        )
    grid_h, grid_w, channels = check_patch_grid(
        tuple(images.shape[1:]), patch_size, data_format)
    images = _channels_last(images, data_format)
    p = patch_size
    x = ops.reshape(images, (-1, grid_h, p, grid_w, p, channels))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, grid_h * grid_w, p * p * channels))


@keras_recipes_export("keras_recipes.ssl.unpatchify")
def unpatchify(patches, patch_size, image_shape, data_format=None):
    """Put flattened patches back into images: the inverse of `patchify`.

    Args:
        patches: `(B, N, patch_size * patch_size * C)` patches.
        patch_size: int, side of the square patches.
        image_shape: tuple, the image shape without the batch axis.
        data_format: `"channels_last"`, `"channels_first"` or `None` for
            `keras.config.image_data_format()`. Defaults to `None`.

    Returns:
        A batch of images of shape `(B, *image_shape)`.

    Example:

    >>> images = np.random.default_rng(0).normal(size=(2, 4, 6, 3))
    >>> patches = keras_recipes.ssl.patchify(images, 2)
    >>> back = keras_recipes.ssl.unpatchify(patches, 2, (4, 6, 3))
    >>> bool(np.allclose(keras.ops.convert_to_numpy(back), images))
    True
    """
    data_format = check_data_format(data_format)
    grid_h, grid_w, channels = check_patch_grid(image_shape, patch_size,
                                                data_format)
    patches = ops.convert_to_tensor(patches)
    p = patch_size
    expected = (grid_h * grid_w, p * p * channels)
    if len(patches.shape) != 3 or tuple(patches.shape[1:]) != expected:
        raise ValueError(
            f"Expected `patches` of shape (B, {expected[0]}, {expected[1]}) "
            f"for image_shape={tuple(image_shape)} and patch_size={p}. "
            f"Received: patches of shape {tuple(patches.shape)}"
        )
    x = ops.reshape(patches, (-1, grid_h, grid_w, p, p, channels))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    x = ops.reshape(x, (-1, grid_h * p, grid_w * p, channels))
    if data_format == "channels_first":
        x = ops.transpose(x, (0, 3, 1, 2))
    return x


def _normalize_patches(patches, epsilon):
    """Per-patch normalised pixels and the statistics used: mean and the
    unbiased variance over each patch's pixels, as in the authors' code."""
    n = patches.shape[-1]
    mean = ops.mean(patches, axis=-1, keepdims=True)
    var = ops.sum(ops.square(patches - mean), axis=-1, keepdims=True)
    var = var / max(n - 1, 1)
    std = ops.sqrt(var + epsilon)
    return (patches - mean) / std, mean, std


@keras_recipes_export("keras_recipes.ssl.masked_patch_loss")
def masked_patch_loss(patches, predictions, mask, norm_pix_loss=True,
                      epsilon=1e-6):
    """MAE's reconstruction loss: the MSE over the masked patches only.

    Each patch's error is the mean squared error over its pixels; the loss
    of an image is the mean of those errors over its masked patches
    (`mask == 1`); visible patches do not contribute. With
    `norm_pix_loss=True` every target patch is first normalised by its own
    mean and unbiased variance, `(p - mean) / sqrt(var + epsilon)`, as in
    He et al. (2022) and their code. With the same number of masked patches
    in every image (as `MAE` draws them), the mean of the returned losses
    equals the paper's mean over all masked patches of the batch.

    Args:
        patches: `(B, N, P)` target patches (`keras_recipes.ssl.patchify`).
        predictions: `(B, N, P)` predicted patches.
        mask: `(B, N)`, 1 for a masked (removed) patch, 0 for a visible
            one.
        norm_pix_loss: bool, normalise each target patch. Defaults to
            `True`.
        epsilon: float, added to the variance. Defaults to `1e-6`.

    Returns:
        A `(B,)` tensor, one loss per image.

    Example:

    >>> patches = np.random.default_rng(0).normal(size=(2, 4, 3))
    >>> mask = np.array([[1, 0, 1, 0], [0, 0, 1, 1]], "float32")
    >>> loss = keras_recipes.ssl.masked_patch_loss(
    ...     patches, np.zeros((2, 4, 3)), mask, norm_pix_loss=False)
    >>> tuple(loss.shape)
    (2,)
    """
    if not isinstance(norm_pix_loss, bool):
        raise TypeError(
            "Expected `norm_pix_loss` to be a bool. Received: "
            f"norm_pix_loss={norm_pix_loss!r}"
        )
    check_number("epsilon", epsilon, min_value=0.0)
    # Computed in float32 (float64 kept), also under mixed precision.
    predictions = ops.convert_to_tensor(predictions)
    dtype = "float64" if "float64" in str(predictions.dtype) else "float32"
    predictions = ops.cast(predictions, dtype)
    patches = ops.cast(patches, dtype)
    mask = ops.cast(mask, dtype)
    if tuple(patches.shape[1:]) != tuple(predictions.shape[1:]):
        raise ValueError(
            "Expected `patches` and `predictions` of the same shape. "
            f"Received: patches of shape {tuple(patches.shape)}, "
            f"predictions of shape {tuple(predictions.shape)}"
        )
    if len(mask.shape) != 2 or mask.shape[1] != patches.shape[1]:
        raise ValueError(
            f"Expected `mask` of shape (B, {patches.shape[1]}), one value "
            f"per patch. Received: mask of shape {tuple(mask.shape)}"
        )
    if norm_pix_loss:
        patches, _, _ = _normalize_patches(patches, epsilon)
    per_patch = ops.mean(ops.square(predictions - patches), axis=-1)
    masked = ops.sum(mask, axis=-1)
    return ops.sum(per_patch * mask, axis=-1) / ops.maximum(masked, 1.0)


def _masking_from_noise(noise, num_masked):
    """Per-image random masking by sorting uniform noise (He et al.).

    Returns `(ids_keep, ids_restore, mask)`: the `(B, N - num_masked)`
    indices of the visible patches (lowest noise first), the `(B, N)`
    permutation that puts the shuffled sequence back in order, and the
    `(B, N)` float mask, 1 for a masked patch.
    """
    num_patches = noise.shape[-1]
    ids_shuffle = ops.argsort(noise, axis=-1)
    ids_restore = ops.argsort(ids_shuffle, axis=-1)
    ids_keep = ids_shuffle[:, : num_patches - num_masked]
    mask = ops.cast(ids_restore >= num_patches - num_masked, "float32")
    return ids_keep, ids_restore, mask


def _gather_tokens(tokens, ids):
    return ops.take_along_axis(tokens, ops.expand_dims(ids, -1), axis=1)


@keras_recipes_export("keras_recipes.ssl.MAE")
class MAE(keras.Model):
    """Masked autoencoder pretraining of a small Vision Transformer.

    He et al. (2022): each training image is cut into `patch_size` patches
    and a random `mask_ratio` of them, drawn per image, is removed (exactly
    `round(mask_ratio * num_patches)` per image, by sorting uniform noise).
    The ViT encoder (`keras_recipes.models.vit_encoder`) sees only the
    visible patches with their position embeddings; a lightweight decoder
    receives the encoded visible tokens plus a learned mask token at every
    removed position, adds its own position embeddings and predicts the
    pixels of every patch. The loss is the mean squared error on the
    masked patches only, with per-patch normalised targets when
    `norm_pix_loss=True` (`keras_recipes.ssl.masked_patch_loss`). It is
    reported as `loss` in `History`.

    Train with `fit(x)` on unlabeled images (a `y`, if given, is ignored);
    arrays, `keras_recipes.data.batches` and `tf.data` work. The masks are
    drawn inside the compiled train step (jit on JAX, XLA on TensorFlow),
    and on JAX the seed state is threaded through the step, so every step
    draws new masks. Every image of a batch gets its own mask; no batch
    statistic is involved, so data-parallel training needs nothing
    special.

    `mae.encoder` is the plain Keras ViT on all patches (no masking) with
    average pooling, sharing its weights with the masked path: use it for
    probes and for fine-tuning (`keras_recipes.transfer.fine_tune`); it is
    made of Keras core layers, so it saves and loads without
    `keras_recipes`. `mae(x)` and `mae.predict(x)` return its `(B,
    encoder_dim)` features. `mae.reconstruct(x)` gives masked
    reconstructions for a look at what it learned.

    Compile with an optimizer only (`mae.compile(optimizer=...)`); the
    paper uses AdamW with weight decay 0.05 and a base learning rate of
    1.5e-4 per 256 images. The targets are the pixels after `rescaling`.

    Args:
        image_shape: tuple, the image shape without the batch axis, e.g.
            `(28, 28, 1)`; height and width divisible by `patch_size`.
        patch_size: int, side of the square patches. Defaults to `4`.
        encoder_dim: int, token width of the encoder. Defaults to `64`.
        encoder_depth: int, Transformer blocks of the encoder. Defaults to
            `4`.
        encoder_heads: int, attention heads of the encoder. Defaults to
            `4`.
        decoder_dim: int, token width of the decoder. Defaults to `32`.
        decoder_depth: int, Transformer blocks of the decoder. Defaults to
            `1`.
        decoder_heads: int, attention heads of the decoder. Defaults to
            `4`.
        mask_ratio: float in (0, 1), fraction of the patches removed.
            Defaults to `0.75`.
        norm_pix_loss: bool, per-patch normalised targets. Defaults to
            `True`.
        mlp_ratio: float, MLP width relative to the token width (encoder
            and decoder). Defaults to `2.0`.
        rescaling: float or `None`, factor applied to the input pixels.
            Defaults to `1/255` (raw 0-255 images in).
        data_format: `"channels_last"`, `"channels_first"` or `None` for
            `keras.config.image_data_format()`. Defaults to `None`.
        seed: int or `None`, seed of the masks. Defaults to `None`.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:

    >>> mae = keras_recipes.ssl.MAE(
    ...     image_shape=(8, 8, 1), patch_size=4, encoder_dim=8,
    ...     encoder_depth=1, encoder_heads=2, decoder_dim=8,
    ...     decoder_heads=2, seed=0)
    >>> mae.compile(optimizer="adam")
    >>> x = np.random.default_rng(0).uniform(0, 255, (16, 8, 8, 1))
    >>> history = mae.fit(x, epochs=1, batch_size=8, verbose=0)
    >>> mae.predict(x, verbose=0).shape
    (16, 8)

    Reference:
        - [He et al., 2022, Masked Autoencoders Are Scalable Vision
          Learners](https://arxiv.org/abs/2111.06377)
    """

    def __init__(self, image_shape, patch_size=4, encoder_dim=64,
                 encoder_depth=4, encoder_heads=4, decoder_dim=32,
                 decoder_depth=1, decoder_heads=4, mask_ratio=0.75,
                 norm_pix_loss=True, mlp_ratio=2.0, rescaling=1.0 / 255.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        data_format = check_data_format(data_format)
        grid_h, grid_w, channels = check_patch_grid(
            image_shape, patch_size, data_format)
        check_transformer("encoder_dim", encoder_dim, "encoder_depth",
                          encoder_depth, "encoder_heads", encoder_heads,
                          mlp_ratio)
        check_transformer("decoder_dim", decoder_dim, "decoder_depth",
                          decoder_depth, "decoder_heads", decoder_heads)
        check_number("mask_ratio", mask_ratio, min_value=0.0, max_value=1.0,
                     min_inclusive=False, max_inclusive=False)
        num_patches = grid_h * grid_w
        num_masked = int(round(mask_ratio * num_patches))
        if not 0 < num_masked < num_patches:
            raise ValueError(
                "Expected `mask_ratio` to mask at least one patch and keep "
                f"at least one of the {num_patches} patches. Received: "
                f"mask_ratio={mask_ratio} (masks {num_masked})"
            )
        if not isinstance(norm_pix_loss, bool):
            raise TypeError(
                "Expected `norm_pix_loss` to be a bool. Received: "
                f"norm_pix_loss={norm_pix_loss!r}"
            )
        check_number("seed", seed, integer=True, allow_none=True)
        self.image_shape = tuple(image_shape)
        self.patch_size = patch_size
        self.encoder_dim = encoder_dim
        self.encoder_depth = encoder_depth
        self.encoder_heads = encoder_heads
        self.decoder_dim = decoder_dim
        self.decoder_depth = decoder_depth
        self.decoder_heads = decoder_heads
        self.mask_ratio = mask_ratio
        self.norm_pix_loss = norm_pix_loss
        self.mlp_ratio = mlp_ratio
        self.rescaling = rescaling
        self.data_format = data_format
        self.seed = seed
        self.num_patches = num_patches
        self.num_masked = num_masked

        self.encoder = vit_encoder(
            self.image_shape, patch_size=patch_size, embed_dim=encoder_dim,
            depth=encoder_depth, num_heads=encoder_heads,
            mlp_ratio=mlp_ratio, pooling="avg", rescaling=rescaling,
            data_format=data_format, name="vit_encoder",
        )
        self.decoder_embed = keras.layers.Dense(decoder_dim,
                                                name="decoder_embed")
        self.decoder_embed.build((None, None, encoder_dim))
        self.mask_token = self.add_weight(
            shape=(decoder_dim,), name="mask_token",
            initializer=keras.initializers.RandomNormal(stddev=0.02),
        )
        self.decoder = self._build_decoder(patch_size * patch_size * channels)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    def _build_decoder(self, patch_values):
        inputs = keras.Input((self.num_patches, self.decoder_dim),
                             name="tokens")
        positions = keras.layers.Embedding(
            self.num_patches, self.decoder_dim, name="decoder_pos_embed",
            embeddings_initializer=keras.initializers.RandomNormal(
                stddev=0.02),
        )(position_ids(inputs))
        x = keras.layers.Add(name="add_pos_embed")([inputs, positions])
        x = transformer(self.decoder_dim, self.decoder_depth,
                        self.decoder_heads, self.mlp_ratio,
                        name="decoder_transformer")(x)
        outputs = keras.layers.Dense(patch_values, name="decoder_pred")(x)
        return keras.Model(inputs, outputs, name="mae_decoder")

    def call(self, inputs, training=None):
        return self.encoder(inputs, training=training)

    def random_masking(self, batch_size):
        """Draw one random mask per image from the model's seed generator.

        Returns `(ids_keep, ids_restore, mask)`: the indices of the visible
        patches `(batch_size, num_patches - num_masked)`, the permutation
        restoring the patch order `(batch_size, num_patches)`, and the
        float mask `(batch_size, num_patches)`, 1 for a masked patch.
        """
        noise = keras.random.uniform((batch_size, self.num_patches),
                                     seed=self.seed_generator)
        return _masking_from_noise(noise, self.num_masked)

    def _pixels(self, images):
        images = ops.convert_to_tensor(images)
        if "float" not in str(images.dtype):
            images = ops.cast(images, "float32")
        images = _channels_last(images, self.data_format)
        if self.rescaling is not None:
            images = images * ops.cast(self.rescaling, images.dtype)
        return images

    def encode_visible(self, images, ids_keep, training=None):
        """Encoder tokens `(B, K, encoder_dim)` of the visible patches
        `ids_keep` only (with their position embeddings)."""
        x = self.encoder.get_layer("patch_embed")(self._pixels(images))
        tokens = ops.reshape(x, (-1, self.num_patches, self.encoder_dim))
        tokens = _gather_tokens(tokens, ids_keep)
        tokens = tokens + self.encoder.get_layer("pos_embed")(ids_keep)
        return self.encoder.get_layer("transformer")(tokens,
                                                     training=training)

    def decode(self, latent, ids_restore, training=None):
        """Predicted pixels `(B, num_patches, P)` of every patch from the
        visible tokens `latent` and the order `ids_restore`."""
        h = self.decoder_embed(latent)
        ones = ops.ones_like(ids_restore[:, : self.num_masked], h.dtype)
        mask_tokens = ops.expand_dims(ones, -1) * ops.cast(
            self.mask_token, h.dtype)
        h = ops.concatenate([h, mask_tokens], axis=1)
        h = _gather_tokens(h, ids_restore)
        return self.decoder(h, training=training)

    def forward_masked(self, images, training=None):
        """Mask, encode and decode a batch: `(predictions, mask)`."""
        batch_size = ops.shape(images)[0]
        ids_keep, ids_restore, mask = self.random_masking(batch_size)
        latent = self.encode_visible(images, ids_keep, training=training)
        return self.decode(latent, ids_restore, training=training), mask

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        predictions, mask = self.forward_masked(x, training=training)
        targets = patchify(self._pixels(x), self.patch_size,
                           data_format="channels_last")
        per_image = masked_patch_loss(targets, predictions, mask,
                                      norm_pix_loss=self.norm_pix_loss)
        if sample_weight is not None:
            weight = ops.reshape(ops.cast(sample_weight, per_image.dtype),
                                 (-1,))
            per_image = per_image * weight
        loss = ops.mean(per_image)
        for extra in self.losses:
            loss = loss + ops.cast(ops.sum(extra), loss.dtype)
        return loss

    def reconstruct(self, images):
        """Masked reconstructions of `images`, for visual checks.

        Draws a new mask per image; visible patches keep their pixels,
        masked ones are the decoder's prediction (de-normalised with the
        patch's own statistics when `norm_pix_loss=True`, as in the
        authors' visualisation). Returns `(reconstructions, mask)`:
        channels-last images after `rescaling`, and the `(B, num_patches)`
        mask.
        """
        pixels = self._pixels(images)
        predictions, mask = self.forward_masked(images, training=False)
        targets = patchify(pixels, self.patch_size,
                           data_format="channels_last")
        if self.norm_pix_loss:
            _, mean, std = _normalize_patches(targets, 1e-6)
            predictions = predictions * std + mean
        patches = ops.where(ops.expand_dims(mask, -1) > 0, predictions,
                            targets)
        shape = tuple(pixels.shape[1:])
        return unpatchify(patches, self.patch_size, shape,
                          data_format="channels_last"), mask

    def get_config(self):
        config = super().get_config()
        config.update({
            "image_shape": self.image_shape,
            "patch_size": self.patch_size,
            "encoder_dim": self.encoder_dim,
            "encoder_depth": self.encoder_depth,
            "encoder_heads": self.encoder_heads,
            "decoder_dim": self.decoder_dim,
            "decoder_depth": self.decoder_depth,
            "decoder_heads": self.decoder_heads,
            "mask_ratio": self.mask_ratio,
            "norm_pix_loss": self.norm_pix_loss,
            "mlp_ratio": self.mlp_ratio,
            "rescaling": self.rescaling,
            "data_format": self.data_format,
            "seed": self.seed,
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["image_shape"] = tuple(config["image_shape"])
        return cls(**config)
