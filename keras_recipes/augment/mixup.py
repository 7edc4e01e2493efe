"""MixUp: convex combinations of image pairs and of their labels."""

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.augment._mixing import MixingAugmentation
from keras_recipes.augment._mixing import sample_and_mix
from keras_recipes.utils.validation import check_number


@keras_recipes_export("keras_recipes.augment.mixup_batch")
def mixup_batch(images, labels, *, alpha=0.2, lam=None, permutation=None,
                mode="batch", num_classes=None, label_smoothing=0.0,
                data_format=None, seed=None):
    """Mix a batch with MixUp and return `(images, soft_targets)`.

    Each image becomes `lam * x + (1 - lam) * x[permutation]` and its target
    `lam * y + (1 - lam) * y[permutation]`, where `y` is the one-hot (or
    soft) label after optional label smoothing (timm's `mixup_target`).
    It draws what is not given and calls `keras_recipes.augment.mix_batch`;
    with the same `seed` and `mode` it gives what the `MixUp` layer gives.

    Args:
        images: batch of images, (B, H, W, C) (or channels-first).
        labels: integer class ids (B,) or (B, 1), or one-hot / soft labels
            (B, num_classes).
        alpha: concentration of the Beta(alpha, alpha) draw of `lam`, used
            when `lam` is `None`. Defaults to `0.2`.
        lam: optional fixed mixing weight, a number, scalar or (B,) tensor.
            Defaults to `None` (drawn once for the batch).
        permutation: optional (B,) int partner indices. Defaults to `None`
            (a random permutation).
        mode: how `lam` and the partners are drawn when not given:
            `"batch"` (one `lam`), `"elem"` (one per image) or `"pair"`
            (random pairs that swap content, one `lam` per pair).
            Defaults to `"batch"`.
        num_classes: number of classes; required for integer labels.
            Defaults to `None`.
        label_smoothing: smoothing applied to the targets before mixing.
            Defaults to `0.0`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `None` (`keras.config.image_data_format()`).
        seed: int or `keras.random.SeedGenerator` for the random draws.
            Defaults to `None`.

    Returns:
        `(mixed_images, targets)`: float32 images and float32 (B, C) targets,
        which any loss accepting soft targets takes
        (`keras.losses.CategoricalCrossentropy`,
        `keras_recipes.losses.FocalLoss`, `LabelSmoothingCrossentropy`,
        `PolyLoss`).

    Example:

    >>> x = np.stack([np.zeros((2, 2, 1)), np.ones((2, 2, 1))]).astype("f")
    >>> xm, ym = keras_recipes.augment.mixup_batch(
    ...     x, np.array([0, 1]), lam=0.75, permutation=np.array([1, 0]),
    ...     num_classes=2)
    >>> keras.ops.convert_to_numpy(ym).round(2).tolist()
    [[0.75, 0.25], [0.25, 0.75]]
    >>> float(keras.ops.convert_to_numpy(xm)[0, 0, 0, 0])
    0.25

    Reference:
        - [Zhang et al., 2018](https://arxiv.org/abs/1710.09412)
    """
    check_number("alpha", alpha, min_value=0.0, min_inclusive=False)
    return sample_and_mix(
        images, labels, mixup_alpha=alpha, cutmix_alpha=0.0, mode=mode,
        fixed={"lam": lam, "permutation": permutation},
        num_classes=num_classes, label_smoothing=label_smoothing,
        data_format=data_format, seed=seed,
    )


@keras_recipes_export("keras_recipes.augment.MixUp")
class MixUp(MixingAugmentation):
    """MixUp for `(images, labels)` batches, with soft-target output.

    Draws `lam ~ Beta(alpha, alpha)` and a random partner for each image,
    and returns `lam * x + (1 - lam) * x[perm]` with the matching mixed
    targets. Unlike `keras.layers.MixUp`, it accepts `(images, labels)`
    tuples as well as `{"images", "labels"}` dicts, integer labels of shape
    (B,) or (B, 1) (with `num_classes`), one-hot or soft labels; it smooths
    the mixed targets like timm's `mixup_target`; it compiles with XLA on
    TensorFlow and JAX; and it raises instead of silently mixing only the
    images when it is given no labels (e.g. placed inside a model).

    Place it where the labels are: `dataset.batch(n).map(layer)` (any
    backend), `keras_recipes.data.batches(x, y, n, augment=[layer])`, or
    `keras_recipes.augment.AugmentedModel(model, augment=[layer])` (inside
    the compiled train step). The targets are float (B, C): train with a
    loss that accepts soft targets, e.g. `keras.losses.CategoricalCrossentropy`,
    `keras_recipes.losses.FocalLoss`, `LabelSmoothingCrossentropy` or
    `PolyLoss` (not the `Sparse*` losses).

    Args:
        alpha: Beta(alpha, alpha) concentration; timm and the paper use
            0.2-0.4 on ImageNet, 1.0 on CIFAR. Defaults to `0.2`.
        num_classes: number of classes; required for integer labels.
            Defaults to `None`.
        label_smoothing: label smoothing of the targets before mixing.
            Defaults to `0.0`.
        mode: `"batch"` (one `lam` per batch, as timm's default),
            `"elem"` (one per image) or `"pair"` (random pairs that swap
            content, one `lam` per pair, as timm's pair mode).
            Defaults to `"batch"`.
        seed: integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `None` (`keras.config.image_data_format()`).

    Call arguments:
        data: `(images, labels)` or `{"images": ..., "labels": ...}`.
        training: if `False`, `data` is returned unchanged. Defaults to
            `True`.
        seed: optional int or `keras.random.SeedGenerator` overriding the
            layer's generator for this call.

    Returns:
        The same structure with float32 mixed images and float32 (B, C)
        targets.

    Example:

    >>> layer = keras_recipes.augment.MixUp(alpha=0.4, num_classes=3, seed=0)
    >>> images = np.random.default_rng(0).uniform(size=(4, 8, 8, 3))
    >>> x, y = layer((images, np.array([0, 1, 2, 1])))
    >>> tuple(x.shape), tuple(y.shape)
    ((4, 8, 8, 3), (4, 3))
    >>> np.allclose(keras.ops.convert_to_numpy(y).sum(axis=1), 1.0)
    True

    Reference:
        - [Zhang et al., 2018](https://arxiv.org/abs/1710.09412)
    """

    def __init__(self, alpha=0.2, num_classes=None, label_smoothing=0.0,
                 mode="batch", seed=None, data_format=None, **kwargs):
        super().__init__(
            num_classes=num_classes, label_smoothing=label_smoothing,
            mode=mode, seed=seed, data_format=data_format, **kwargs,
        )
        self.alpha = check_number("alpha", alpha, min_value=0.0,
                                  min_inclusive=False)

    def _draw_kwargs(self):
        return dict(mixup_alpha=self.alpha, cutmix_alpha=0.0,
                    switch_prob=0.0, prob=1.0)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config
