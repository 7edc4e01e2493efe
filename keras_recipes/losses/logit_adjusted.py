"""Logit-adjusted softmax cross-entropy (Menon et al., 2021)."""

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses import _long_tail as lt
from keras_recipes.utils.validation import check_number


def _log_prior(class_counts):
    counts = np.asarray(class_counts, "float64")
    return np.log(counts / counts.sum())


@keras_recipes_export("keras_recipes.losses.logit_adjusted_loss")
def logit_adjusted_loss(y_true, y_pred, class_counts, tau=1.0,
                        from_logits=True, class_weight=None):
    """Per-sample logit-adjusted cross-entropy:
    `-sum_c t_c log softmax(z + tau * log(prior))_c`.

    `prior = class_counts / sum(class_counts)`. Accepts integer class ids,
    one-hot and soft labels; see `keras_recipes.losses.LogitAdjustedLoss`
    for the arguments. Returns the loss with the class axis reduced: shape
    `y_pred.shape[:-1]`.

    Example:

    >>> loss = keras_recipes.losses.logit_adjusted_loss(
    ...     np.array([0, 1]), np.array([[2.0, 0.0], [2.0, 0.0]]),
    ...     class_counts=[90, 10])
    >>> [round(float(v), 3) for v in keras.ops.convert_to_numpy(loss)]
    [0.015, 4.212]
    """
    counts = lt.check_class_counts(class_counts)
    targets, logits = lt.logits_and_targets(
        y_true, y_pred, len(counts), from_logits
    )
    if tau:
        shift = keras.ops.convert_to_tensor(
            tau * _log_prior(counts), dtype=logits.dtype
        )
        logits = logits + shift
    if class_weight is not None and not hasattr(class_weight, "shape"):
        class_weight = lt.check_class_weight(class_weight, len(counts))
    return lt.weighted_cross_entropy(targets, logits, class_weight)


@keras_recipes_export("keras_recipes.losses.LogitAdjustedLoss")
class LogitAdjustedLoss(lt.ClassWeightMixin, keras.losses.Loss):
    """Logit-adjusted softmax cross-entropy for long-tailed labels.

    Trains on the logits shifted by the log class prior,
    `z_c + tau * log(pi_c)` with `pi = class_counts / sum(class_counts)`,
    and predicts with the raw logits `z`. The shift makes rare classes need
    a larger raw logit to win during training, which is the Bayes-optimal
    way to minimise the *balanced* error (Menon et al., 2021). `tau=0`
    gives plain cross-entropy; `tau=1` is the paper's default. Nothing
    changes at inference: `argmax(z)` is already the adjusted prediction.

    `y_pred` should be logits (`from_logits=True`, the default, unlike
    Keras's losses: the adjustment acts on logits). With
    `from_logits=False`, `y_pred` holds probabilities and their logarithm
    is used as the logits (`softmax(log p) = p`), clipped at
    `keras.config.epsilon()`, so a probability of exactly 0 becomes
    `log(1e-7)`.

    Accepts integer class ids of shape `(N,)` or `(N, 1)` (also with
    spatial axes), and one-hot or soft labels of shape `(N, C)` (MixUp /
    CutMix targets): the loss is `-sum_c t_c log softmax(z + tau log pi)_c`.

    `class_weight` multiplies the loss of each sample by the weight of its
    class (`sum_c t_c w_c` for soft labels). The weights live in a
    non-trainable `keras.Variable` (`class_weight_variable`), so
    `keras_recipes.callbacks.DeferredReweighting` can switch them on during
    `fit`; `get_config` holds their current values as plain floats.

    Args:
        class_counts: Number of training samples of each class (or the
            class prior): a list, array or `{class_id: count}` dict of at
            least 2 values > 0, e.g. `np.bincount(y_train)`.
        tau: Scale of the adjustment, `>= 0`. Defaults to `1.0`.
        from_logits: Whether `y_pred` holds logits. Defaults to `True`.
        class_weight: One weight per class, or `None` (all ones). Defaults
            to `None`.
        reduction: Keras reduction. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"logit_adjusted_loss"`.
        dtype: Dtype of the loss computation. Defaults to `None`.

    Example:

    >>> loss = keras_recipes.losses.LogitAdjustedLoss(class_counts=[90, 10])
    >>> y_pred = np.array([[2.0, 0.0], [2.0, 0.0]])
    >>> round(float(loss(np.array([0, 1]), y_pred)), 4)
    2.1135
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> model.compile(optimizer="adam", loss=loss)

    Reference:
        - [Menon et al., 2021](https://arxiv.org/abs/2007.07314)
    """

    def __init__(self, class_counts, tau=1.0, from_logits=True,
                 class_weight=None, reduction="sum_over_batch_size",
                 name="logit_adjusted_loss", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.class_counts = lt.check_class_counts(class_counts)
        self.tau = float(check_number("tau", tau, min_value=0.0))
        if not isinstance(from_logits, bool):
            raise TypeError(
                "Expected `from_logits` to be a bool. "
                f"Received: from_logits={from_logits!r}"
            )
        self.from_logits = from_logits
        self._init_class_weight(class_weight, len(self.class_counts))

    def call(self, y_true, y_pred):
        return logit_adjusted_loss(
            y_true, y_pred, self.class_counts, tau=self.tau,
            from_logits=self.from_logits,
            class_weight=self._class_weight.value,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            class_counts=self.class_counts,
            tau=self.tau,
            from_logits=self.from_logits,
            class_weight=self.class_weight,
        )
        return config
