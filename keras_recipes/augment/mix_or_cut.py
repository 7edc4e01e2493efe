"""timm-style switch between MixUp and CutMix, with label smoothing."""

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.augment._mixing import MixingAugmentation
from keras_recipes.utils.validation import check_number


@keras_recipes_export("keras_recipes.augment.MixUpOrCutMix")
class MixUpOrCutMix(MixingAugmentation):
    """MixUp or CutMix per batch (or per image), as timm's `Mixup`.

    With probability `prob` the batch is mixed; then CutMix is used with
    probability `switch_prob` and MixUp otherwise (when both alphas are
    positive; with one alpha at 0 only the other is used). Targets are
    smoothed like timm's `mixup_target(..., smoothing=label_smoothing)` and
    mixed with the MixUp `lam` or the CutMix pasted-area weight. Batches that
    are not mixed still get smoothed one-hot targets. Keras has no
    equivalent of this switch.

    Place it in `dataset.batch(n).map(layer)`,
    `keras_recipes.data.batches(..., augment=[layer])` or
    `keras_recipes.augment.AugmentedModel(model, augment=[layer])`; the float
    (B, C) targets train with `keras.losses.CategoricalCrossentropy`,
    `keras_recipes.losses.FocalLoss`, `LabelSmoothingCrossentropy` and
    `PolyLoss` (give those losses no further smoothing: it is already in the
    targets).

    Args:
        mixup_alpha: MixUp Beta concentration; 0 disables MixUp.
            Defaults to `0.8`.
        cutmix_alpha: CutMix Beta concentration; 0 disables CutMix.
            Defaults to `1.0`.
        switch_prob: probability of CutMix when both are enabled.
            Defaults to `0.5`.
        prob: probability of mixing a batch (or image) at all.
            Defaults to `1.0`.
        label_smoothing: label smoothing of the targets. Defaults to `0.1`.
        num_classes: number of classes; required for integer labels.
            Defaults to `None`.
        mode: `"batch"`, `"elem"` (per-image decisions and `lam`) or
            `"pair"` (per pair of images that swap content).
            Defaults to `"batch"`.
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

    >>> layer = keras_recipes.augment.MixUpOrCutMix(num_classes=4, seed=0)
    >>> images = np.ones((6, 8, 8, 3), dtype="float32")
    >>> x, y = layer((images, np.array([0, 1, 2, 3, 0, 1])))
    >>> tuple(y.shape)
    (6, 4)
    >>> round(float(keras.ops.convert_to_numpy(y).min()), 3) >= 0.025
    True

    Reference:
        - [Zhang et al., 2018](https://arxiv.org/abs/1710.09412),
          [Yun et al., 2019](https://arxiv.org/abs/1905.04899)
        - timm `timm/data/mixup.py` (Ross Wightman)
    """

    def __init__(self, mixup_alpha=0.8, cutmix_alpha=1.0, switch_prob=0.5,
                 prob=1.0, label_smoothing=0.1, num_classes=None,
                 mode="batch", seed=None, data_format=None, **kwargs):
        super().__init__(
            num_classes=num_classes, label_smoothing=label_smoothing,
            mode=mode, seed=seed, data_format=data_format, **kwargs,
        )
        self.mixup_alpha = check_number("mixup_alpha", mixup_alpha,
                                        min_value=0.0)
        self.cutmix_alpha = check_number("cutmix_alpha", cutmix_alpha,
                                         min_value=0.0)
        if mixup_alpha == 0 and cutmix_alpha == 0:
            raise ValueError(
                "Expected `mixup_alpha` or `cutmix_alpha` to be > 0. "
                f"Received: mixup_alpha={mixup_alpha}, "
                f"cutmix_alpha={cutmix_alpha}"
            )
        self.switch_prob = check_number("switch_prob", switch_prob,
                                        min_value=0.0, max_value=1.0)
        self.prob = check_number("prob", prob, min_value=0.0, max_value=1.0)

    def _draw_kwargs(self):
        return dict(mixup_alpha=self.mixup_alpha,
                    cutmix_alpha=self.cutmix_alpha,
                    switch_prob=self.switch_prob, prob=self.prob)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "mixup_alpha": self.mixup_alpha,
                "cutmix_alpha": self.cutmix_alpha,
                "switch_prob": self.switch_prob,
                "prob": self.prob,
            }
        )
        return config
