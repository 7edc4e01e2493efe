"""Label-distribution-aware margin (LDAM) loss (Cao et al., 2019)."""

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses import _long_tail as lt
from keras_recipes.utils.validation import check_number


def _ldam_margins(class_counts, max_margin=0.5):
    """Per-class margins `m_c ∝ n_c^(-1/4)`, scaled so the largest (the
    rarest class's) equals `max_margin`; a NumPy float64 array."""
    counts = np.asarray(lt.check_class_counts(class_counts), "float64")
    margins = counts ** -0.25
    return margins * (max_margin / margins.max())


@keras_recipes_export("keras_recipes.losses.ldam_loss")
def ldam_loss(y_true, y_pred, class_counts, max_margin=0.5, scale=30.0,
              class_weight=None):
    """Per-sample LDAM loss: `-sum_c t_c log softmax(s (z - t * m))_c`.

    `m_c = max_margin * (n_min / n_c)^(1/4)` (the rarest class gets
    `max_margin`). For one-hot labels the margin is subtracted from the
    true-class logit only, as in the paper; for soft labels each logit
    loses its class's margin times its target mass. `y_pred` holds logits
    (ideally cosine similarities in `[-1, 1]`). See
    `keras_recipes.losses.LDAMLoss` for the arguments. Returns shape
    `y_pred.shape[:-1]`.

    Example:

    >>> loss = keras_recipes.losses.ldam_loss(
    ...     np.array([0, 1]), np.array([[0.5, 0.1], [0.5, 0.1]]),
    ...     class_counts=[100, 1], max_margin=0.5, scale=10.0)
    >>> [round(float(v), 4) for v in keras.ops.convert_to_numpy(loss)]
    [0.0853, 9.0001]
    """
    counts = lt.check_class_counts(class_counts)
    check_number("max_margin", max_margin, min_value=0.0)
    check_number("scale", scale, min_value=0.0, min_inclusive=False)
    targets, logits = lt.logits_and_targets(y_true, y_pred, len(counts))
    margins = keras.ops.convert_to_tensor(
        _ldam_margins(counts, max_margin), dtype=logits.dtype
    )
    logits = scale * (logits - targets * margins)
    if class_weight is not None and not hasattr(class_weight, "shape"):
        class_weight = lt.check_class_weight(class_weight, len(counts))
    return lt.weighted_cross_entropy(targets, logits, class_weight)


@keras_recipes_export("keras_recipes.losses.LDAMLoss")
class LDAMLoss(lt.ClassWeightMixin, keras.losses.Loss):
    """Label-distribution-aware margin loss for long-tailed labels.

    A softmax cross-entropy on `s * (z - m_y)`: the logit of the true class
    `y` must beat the others by a margin `m_y = C / n_y^(1/4)` that grows as
    the class gets rarer, with `C` set so that the rarest class has margin
    `max_margin`. Larger margins for rare classes tighten their
    generalisation bound (Cao et al., 2019). Pair it with deferred
    re-weighting (`keras_recipes.callbacks.DeferredReweighting`): plain LDAM
    first, class-balanced weights for the last epochs (LDAM-DRW).

    `y_pred` must be logits. The paper's models end in a cosine classifier
    (normalised features times normalised weights, logits in `[-1, 1]`),
    which is what `scale=30` and `max_margin=0.5` are tuned for; with an
    ordinary `Dense` head, logits are unbounded and `s * z` can saturate
    the softmax, so lower `scale` (e.g. 1) or normalise the head.

    Accepts integer class ids of shape `(N,)` or `(N, 1)` (also with
    spatial axes), one-hot and soft labels of shape `(N, C)`. The logits
    become `s * (z - t * m)` elementwise: for one-hot labels exactly the
    paper's (margin on the true class only); for soft labels (MixUp /
    CutMix) each class's logit loses its margin in proportion to its target
    mass.

    `class_weight` multiplies the loss of each sample by the weight of its
    class (`sum_c t_c w_c` for soft labels), like `fit(class_weight=...)`:
    the batch loss is the mean over samples, not PyTorch's
    `cross_entropy(weight=...)` mean normalised by the summed weights. The
    weights live in a non-trainable `keras.Variable`
    (`class_weight_variable`) so `DeferredReweighting` can switch them on
    during `fit`; `get_config` holds their current values as plain floats.

    Args:
        class_counts: Number of training samples of each class: a list,
            array or `{class_id: count}` dict of at least 2 values > 0, e.g.
            `np.bincount(y_train)`.
        max_margin: Margin of the rarest class, `>= 0`. Defaults to `0.5`.
        scale: Scale `s` applied to the logits after the margin, `> 0`.
            Defaults to `30.0`.
        class_weight: One weight per class, or `None` (all ones). Defaults
            to `None`.
        reduction: Keras reduction. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"ldam_loss"`.
        dtype: Dtype of the loss computation. Defaults to `None`.

    Example:

    >>> loss = keras_recipes.losses.LDAMLoss(class_counts=[100, 1],
    ...                                      scale=10.0)
    >>> [round(float(m), 4) for m in loss.margins]
    [0.1581, 0.5]
    >>> y_pred = np.array([[0.5, 0.1], [0.5, 0.1]])
    >>> round(float(loss(np.array([0, 1]), y_pred)), 4)
    4.5427
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> model.compile(optimizer="sgd", loss=loss)

    Reference:
        - [Cao et al., 2019](https://arxiv.org/abs/1906.07413)
    """

    def __init__(self, class_counts, max_margin=0.5, scale=30.0,
                 class_weight=None, reduction="sum_over_batch_size",
                 name="ldam_loss", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.class_counts = lt.check_class_counts(class_counts)
        self.max_margin = float(
            check_number("max_margin", max_margin, min_value=0.0)
        )
        self.scale = float(
            check_number("scale", scale, min_value=0.0, min_inclusive=False)
        )
        self._init_class_weight(class_weight, len(self.class_counts))

    @property
    def margins(self):
        """The per-class margins `m_c`, a list of floats."""
        return [
            float(m) for m in _ldam_margins(self.class_counts, self.max_margin)
        ]

    def call(self, y_true, y_pred):
        return ldam_loss(
            y_true, y_pred, self.class_counts, max_margin=self.max_margin,
            scale=self.scale, class_weight=self._class_weight.value,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            class_counts=self.class_counts,
            max_margin=self.max_margin,
            scale=self.scale,
            class_weight=self.class_weight,
        )
        return config
