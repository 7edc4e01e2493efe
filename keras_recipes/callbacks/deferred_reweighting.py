"""Deferred re-weighting (DRW, Cao et al., 2019) with effective-number
class weights (Cui et al., 2019)."""

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses import _long_tail as lt
from keras_recipes.losses.class_weighted import ClassWeightedLoss
from keras_recipes.losses.ldam import LDAMLoss
from keras_recipes.losses.logit_adjusted import LogitAdjustedLoss
from keras_recipes.utils.validation import check_number

SUPPORTED = (LDAMLoss, LogitAdjustedLoss, ClassWeightedLoss)


def _effective_number_weights(class_counts, beta):
    """`(1 - beta) / (1 - beta^n_c)`, scaled to sum to the number of classes
    (all ones for `beta=0`)."""
    counts = np.asarray(class_counts, "float64")
    weights = (1.0 - beta) / (1.0 - np.power(beta, counts))
    return [float(w) for w in weights * (len(counts) / weights.sum())]


def _candidate_losses(loss):
    if isinstance(loss, dict):
        return list(loss.values())
    if isinstance(loss, (list, tuple)):
        return list(loss)
    return [loss]


@keras_recipes_export("keras_recipes.callbacks.DeferredReweighting")
class DeferredReweighting(keras.callbacks.Callback):
    """Switches the model's loss to class-balanced weights at `start_epoch`.

    Deferred re-weighting (DRW) trains with uniform class weights first, so
    the features are learned from every sample, and re-weights the loss by
    the effective number of samples of each class for the last epochs
    (Cao et al., 2019; the paper switches at epoch 160 of 200 on CIFAR).
    The weights are `w_c = (1 - beta) / (1 - beta^n_c)`, scaled so that
    they sum to the number of classes (Cui et al., 2019).

    The callback finds the loss in `model.loss` (the `loss` given to
    `compile`): a supported loss, or the supported losses among the values
    of a list or dict of losses (each one is re-weighted). Supported:

    - `keras_recipes.losses.LDAMLoss` and
      `keras_recipes.losses.LogitAdjustedLoss`, whose class counts it
      reads;
    - `keras_recipes.losses.ClassWeightedLoss`, for which `class_counts`
      must be given here.

    Any other loss raises a `TypeError`. Before `start_epoch` the weights
    are set to 1 (plain training); from `start_epoch` on they are the
    effective-number weights, and they stay in the loss when `fit` ends (so
    a saved model records them). Each epoch writes `drw/active` (0 or 1)
    to the logs.

    The weights live in a non-trainable `keras.Variable` on the loss, which
    TensorFlow and PyTorch read at every step; JAX's jit bakes values that
    are not part of the model's state into the compiled step, so when the
    weights change the callback also rebuilds the model's compiled train
    and test functions (one retrace, on every backend alike).

    Args:
        start_epoch: First epoch (0-based) trained with the class-balanced
            weights, `>= 0`.
        beta: Effective-number hyperparameter in `[0, 1)`; `0` gives
            uniform weights. Defaults to `0.9999` (the paper's).
        class_counts: Training samples per class (list, array or
            `{class_id: count}` dict). Defaults to `None`: the loss's own
            `class_counts` (required for `ClassWeightedLoss`).

    Example:

    >>> loss = keras_recipes.losses.LDAMLoss(class_counts=[30, 10])
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> model.compile(optimizer="sgd", loss=loss)
    >>> drw = keras_recipes.callbacks.DeferredReweighting(start_epoch=1)
    >>> history = model.fit(np.ones((40, 3)), np.array([0] * 30 + [1] * 10),
    ...                     epochs=2, callbacks=[drw], verbose=0)
    >>> history.history["drw/active"]
    [0.0, 1.0]
    >>> [round(w, 3) for w in loss.class_weight]
    [0.5, 1.5]

    Reference:
        - [Cao et al., 2019](https://arxiv.org/abs/1906.07413)
        - [Cui et al., 2019](https://arxiv.org/abs/1901.05555)
    """

    def __init__(self, start_epoch, beta=0.9999, class_counts=None):
        super().__init__()
        check_number("start_epoch", start_epoch, min_value=0, integer=True)
        check_number("beta", beta, min_value=0.0, max_value=1.0,
                     max_inclusive=False)
        self.start_epoch = int(start_epoch)
        self.beta = float(beta)
        self.class_counts = (
            None if class_counts is None
            else lt.check_class_counts(class_counts)
        )
        self.active = None

    def _losses(self):
        model_loss = getattr(self.model, "loss", None)
        found = [
            loss for loss in _candidate_losses(model_loss)
            if isinstance(loss, SUPPORTED)
        ]
        if not found:
            raise TypeError(
                "DeferredReweighting re-weights the model's loss, which must "
                "be (or contain) a keras_recipes.losses.LDAMLoss, "
                "LogitAdjustedLoss or ClassWeightedLoss. Received: "
                f"model.loss={model_loss!r}"
            )
        return found

    def _counts_for(self, loss):
        counts = self.class_counts
        if counts is None:
            counts = getattr(loss, "class_counts", None)
            if counts is None:
                raise ValueError(
                    "DeferredReweighting needs `class_counts` to re-weight a "
                    f"{type(loss).__name__}, which does not know them. "
                    "Received: class_counts=None"
                )
        num_classes = len(loss.class_weight) if isinstance(
            loss, ClassWeightedLoss) else len(loss.class_counts)
        if len(counts) != num_classes:
            raise ValueError(
                f"Expected `class_counts` to have {num_classes} entries, one "
                f"per class of the loss {loss.name!r}. Received: "
                f"{len(counts)} class counts"
            )
        return counts

    def weights_for(self, loss, active):
        """The class weights the callback gives `loss` (`active`: whether
        re-weighting is on)."""
        counts = self._counts_for(loss)
        if not active:
            return [1.0] * len(counts)
        return _effective_number_weights(counts, self.beta)

    def on_train_begin(self, logs=None):
        self.active = None
        for loss in self._losses():
            self._counts_for(loss)  # errors before the first step

    def on_epoch_begin(self, epoch, logs=None):
        active = epoch >= self.start_epoch
        if active == self.active:
            return
        changed = False
        for loss in self._losses():
            weights = self.weights_for(loss, active)
            if not np.allclose(loss.class_weight, weights, rtol=1e-6,
                               atol=0.0):
                loss.class_weight = weights
                changed = True
        self.active = active
        if changed:
            self._rebuild_functions()

    def _rebuild_functions(self):
        model = self.model
        for name in ("train_function", "test_function"):
            if getattr(model, name, None) is not None:
                getattr(model, "make_" + name)(force=True)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["drw/active"] = float(bool(self.active))

    def get_config(self):
        return {
            "start_epoch": self.start_epoch,
            "beta": self.beta,
            "class_counts": self.class_counts,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
