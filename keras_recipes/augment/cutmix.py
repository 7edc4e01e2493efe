"""CutMix: paste a box from a partner image; weight labels by kept area."""

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.augment._mixing import MixingAugmentation
from keras_recipes.augment._mixing import cutmix_boxes
from keras_recipes.augment._mixing import prepare_images
from keras_recipes.augment._mixing import sample_and_mix
from keras_recipes.backend.ops import make_random
from keras_recipes.utils.validation import check_number


@keras_recipes_export("keras_recipes.augment.cutmix_batch")
def cutmix_batch(images, labels, *, alpha=1.0, lam=None, boxes=None,
                 permutation=None, mode="batch", num_classes=None,
                 label_smoothing=0.0, data_format=None, seed=None):
    """Mix a batch with CutMix and return `(images, soft_targets)`.

    A box of relative area `1 - lam` (timm's `rand_bbox`: sides
    `floor(H * sqrt(1 - lam))` and `floor(W * sqrt(1 - lam))`, centred at a
    uniform pixel) is clipped to the image and filled from the partner image
    `x[permutation]`. The label weight of the partner is the area of the box
    actually pasted after clipping, so targets are
    `(1 - a) * y + a * y[permutation]` with `a = box_area / (H * W)`.
    It draws what is not given and calls `keras_recipes.augment.mix_batch`;
    with the same `seed` and `mode` it gives what the `CutMix` layer gives.

    Args:
        images: batch of images, (B, H, W, C) (or channels-first).
        labels: integer class ids (B,) or (B, 1), or one-hot / soft labels.
        alpha: Beta(alpha, alpha) concentration of `lam`. Defaults to `1.0`.
        lam: optional fixed `lam` (number or (B,)) from which the boxes are
            drawn. Defaults to `None` (drawn once for the batch).
        boxes: optional fixed (B, 4) int boxes `(y0, y1, x0, x1)`, ends
            exclusive; overrides `lam`. Defaults to `None`.
        permutation: optional (B,) int partner indices. Defaults to `None`
            (a random permutation).
        mode: how `lam`, the box centres and the partners are drawn when
            not given: `"batch"` (one box for the batch), `"elem"` (one per
            image) or `"pair"` (random pairs that swap the same box).
            Defaults to `"batch"`.
        num_classes: number of classes; required for integer labels.
            Defaults to `None`.
        label_smoothing: smoothing applied to the targets before mixing.
            Defaults to `0.0`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `None` (`keras.config.image_data_format()`).
        seed: int or `keras.random.SeedGenerator`. Defaults to `None`.

    Returns:
        `(mixed_images, targets)`, float32; the (B, C) soft targets suit
        `keras.losses.CategoricalCrossentropy` and
        `keras_recipes.losses.FocalLoss`, `LabelSmoothingCrossentropy`,
        `PolyLoss`.

    Example:

    >>> x = np.stack([np.zeros((4, 4, 1)), np.ones((4, 4, 1))]).astype("f")
    >>> xm, ym = keras_recipes.augment.cutmix_batch(
    ...     x, np.array([0, 1]), boxes=np.array([[0, 2, 0, 2]] * 2),
    ...     permutation=np.array([1, 0]), num_classes=2)
    >>> keras.ops.convert_to_numpy(ym).tolist()
    [[0.75, 0.25], [0.25, 0.75]]

    Reference:
        - [Yun et al., 2019](https://arxiv.org/abs/1905.04899)
    """
    check_number("alpha", alpha, min_value=0.0, min_inclusive=False)
    if boxes is None and lam is not None:
        xp, channels_last, _ = prepare_images(images, data_format)
        b, h, w = (xp.shape(channels_last)[0], channels_last.shape[1],
                   channels_last.shape[2])
        lam = xp.cast(xp.convert_to_tensor(lam), "float32")
        if len(lam.shape) == 0:
            lam = lam * xp.ones((b,), dtype="float32")
        boxes = cutmix_boxes(xp, make_random(xp, seed=seed), lam, h, w,
                             shared=mode == "batch")
    return sample_and_mix(
        images, labels, mixup_alpha=0.0, cutmix_alpha=alpha, mode=mode,
        fixed={"boxes": boxes, "permutation": permutation},
        num_classes=num_classes, label_smoothing=label_smoothing,
        data_format=data_format, seed=seed,
    )


@keras_recipes_export("keras_recipes.augment.CutMix")
class CutMix(MixingAugmentation):
    """CutMix for `(images, labels)` batches, with soft-target output.

    Draws `lam ~ Beta(alpha, alpha)`, pastes a box of relative area
    `1 - lam` from a random partner image (timm's `rand_bbox`, clipped to
    the image), and weights the partner's label by the area actually pasted
    (timm's `correct_lam`). Accepts tuples and dicts, integer (B,)/(B, 1),
    one-hot or soft labels, compiles with XLA on TensorFlow and JAX, and
    raises when given images only (e.g. inside a model), where
    `keras.layers.CutMix` silently mixes only the images.

    Place it in `dataset.batch(n).map(layer)`,
    `keras_recipes.data.batches(..., augment=[layer])` or
    `keras_recipes.augment.AugmentedModel(model, augment=[layer])`. The
    float (B, C) targets train with `keras.losses.CategoricalCrossentropy`,
    `keras_recipes.losses.FocalLoss`, `LabelSmoothingCrossentropy` and
    `PolyLoss`.

    Args:
        alpha: Beta(alpha, alpha) concentration. Defaults to `1.0`.
        num_classes: number of classes; required for integer labels.
            Defaults to `None`.
        label_smoothing: label smoothing of the targets before mixing.
            Defaults to `0.0`.
        mode: `"batch"` (one `lam` and box centre per batch, timm's
            default), `"elem"` (per image) or `"pair"` (random pairs that
            swap the same box, timm's pair mode). Defaults to `"batch"`.
        seed: integer seed. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `None` (`keras.config.image_data_format()`).

    Call arguments:
        data: `(images, labels)` or `{"images": ..., "labels": ...}`.
        training: if `False`, `data` is returned unchanged. Defaults to
            `True`.
        seed: optional int or `keras.random.SeedGenerator` for this call.

    Returns:
        The same structure with float32 images and float32 (B, C) targets.

    Example:

    >>> layer = keras_recipes.augment.CutMix(num_classes=10, seed=1)
    >>> images = np.zeros((8, 16, 16, 3), dtype="uint8")
    >>> out = layer({"images": images, "labels": np.arange(8)})
    >>> tuple(out["labels"].shape)
    (8, 10)

    Reference:
        - [Yun et al., 2019](https://arxiv.org/abs/1905.04899)
    """

    def __init__(self, alpha=1.0, num_classes=None, label_smoothing=0.0,
                 mode="batch", seed=None, data_format=None, **kwargs):
        super().__init__(
            num_classes=num_classes, label_smoothing=label_smoothing,
            mode=mode, seed=seed, data_format=data_format, **kwargs,
        )
        self.alpha = check_number("alpha", alpha, min_value=0.0,
                                  min_inclusive=False)

    def _draw_kwargs(self):
        return dict(mixup_alpha=0.0, cutmix_alpha=self.alpha,
                    switch_prob=1.0, prob=1.0)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config
