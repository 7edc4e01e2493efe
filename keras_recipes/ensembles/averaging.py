"""Averaging ensembles: the weighted mean of the members' probabilities
(linear pool) or of their log-probabilities (geometric pool)."""

import keras

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.ensembles import _common
from keras_recipes.ensembles._base import Ensemble
from keras_recipes.utils.validation import check_choice

METHODS = ("mean", "geometric")


@keras_recipes_export("keras_recipes.ensembles.average_probabilities")
def average_probabilities(outputs, weights=None, method="mean",
                          from_logits=False):
    """Combine member outputs into one probability vector per sample.

    - `method="mean"`: `sum_m w_m p_m`, the weighted mean of the members'
      probabilities (a linear opinion pool).
    - `method="geometric"`: `softmax(sum_m w_m log p_m)`, the weighted
      mean of the log-probabilities renormalised (a logarithmic opinion
      pool; for logit members it is the softmax of the mean logits).

    The weights are normalised to sum to 1. Probabilities are clipped to
    `[1e-7, 1]` before the logarithm.

    Args:
        outputs: a list of `M` tensors `(B, C)`, or one `(M, B, C)` tensor.
        weights: `None` (equal weights) or `M` non-negative numbers.
            Defaults to `None`.
        method: `"mean"` or `"geometric"`. Defaults to `"mean"`.
        from_logits: whether `outputs` are logits (a softmax is applied
            per member) rather than probabilities. Defaults to `False`.

    Returns:
        A float32 tensor `(B, C)` of probabilities (rows sum to 1).

    Example:

    >>> p = keras_recipes.ensembles.average_probabilities(
    ...     [np.array([[0.9, 0.1]]), np.array([[0.5, 0.5]])])
    >>> np.round(keras.ops.convert_to_numpy(p), 3)
    array([[0.7, 0.3]], dtype=float32)
    """
    check_choice("method", method, METHODS)
    _common.check_bool("from_logits", from_logits)
    outputs = _common.stack_outputs(outputs)
    num_models = outputs.shape[0]
    weights = _common.check_weights(weights, num_models)
    w = _common.weight_tensor(weights, num_models)
    if method == "mean":
        probs = _common.to_probabilities(outputs, from_logits)
        return keras.ops.sum(w * probs, axis=0)
    log_probs = _common.to_log_probabilities(outputs, from_logits)
    return keras.ops.softmax(keras.ops.sum(w * log_probs, axis=0), axis=-1)


@keras_recipes_export("keras_recipes.ensembles.AveragingEnsemble")
class AveragingEnsemble(Ensemble):
    """A `keras.Model` averaging the class probabilities of its members.

    The ensemble calls every member on the same inputs and combines their
    outputs with `keras_recipes.ensembles.average_probabilities`:
    `method="mean"` takes the weighted mean of the probabilities,
    `method="geometric"` the weighted mean of the log-probabilities,
    renormalised with a softmax. The output is always probabilities, so
    compile a trained-on ensemble with `from_logits=False` losses.

    Members may output probabilities (a softmax head, the default) or
    logits (`from_logits=True`); every member must output the same number
    of classes. The members are part of the ensemble's weights: the
    ensemble saves to and loads from one `.keras` file (safe mode) with the
    same predictions, and `fit` on the ensemble trains all members
    jointly through the averaged output (usually one trains the members
    first, e.g. with `keras_recipes.ensembles.bagging`).

    Args:
        models: a list of `keras.Model`s, each mapping the inputs to
            `(B, C)` class scores.
        weights: `None` for equal weights, or one non-negative number per
            model (normalised to sum to 1). Stored as `member_weights`
            (Keras reserves `weights` for the variables). Defaults to
            `None`.
        method: `"mean"` or `"geometric"`. Defaults to `"mean"`.
        from_logits: whether the members output logits. Defaults to
            `False`.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Returns:
        Called on inputs, a `(B, C)` tensor of probabilities.

    Example:

    >>> def member(seed):
    ...     keras.utils.set_random_seed(seed)
    ...     return keras.Sequential([keras.Input((4,)),
    ...                              keras.layers.Dense(3, "softmax")])
    >>> ensemble = keras_recipes.ensembles.AveragingEnsemble(
    ...     [member(0), member(1)], weights=[2, 1])
    >>> x = np.ones((5, 4), "float32")
    >>> ensemble.predict(x, verbose=0).shape
    (5, 3)
    >>> ensemble.save("ensemble.keras")
    >>> loaded = keras.saving.load_model("ensemble.keras")
    >>> bool(np.allclose(loaded.predict(x, verbose=0),
    ...                  ensemble.predict(x, verbose=0)))
    True

    Reference:
        - [Lakshminarayanan et al., 2017, Simple and Scalable Predictive
          Uncertainty Estimation using Deep Ensembles](
          https://arxiv.org/abs/1612.01474)
    """

    def __init__(self, models, weights=None, method="mean",
                 from_logits=False, **kwargs):
        super().__init__(models, weights=weights, from_logits=from_logits,
                         **kwargs)
        self.method = check_choice("method", method, METHODS)

    def call(self, inputs, training=None):
        return average_probabilities(
            self.member_outputs(inputs, training), self.member_weights,
            self.method, self.from_logits,
        )

    def get_config(self):
        config = super().get_config()
        config["method"] = self.method
        return config
