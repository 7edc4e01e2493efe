"""Voting ensembles: soft voting (mean probability) and hard voting
(majority of the members' top-1 classes)."""

import keras

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.ensembles import _common
from keras_recipes.ensembles._base import Ensemble
from keras_recipes.utils.validation import check_choice
from keras_recipes.utils.validation import check_number

VOTING = ("soft", "hard")
# Two vote totals closer than this are a tie (float32 sums of weights).
TIE_TOLERANCE = 1e-5


@keras_recipes_export("keras_recipes.ensembles.vote")
def vote(outputs, weights=None, voting="hard", from_logits=False,
         tie_margin=1e-3):
    """Combine member outputs by voting.

    - `voting="soft"`: the weighted mean of the members' probabilities
      (the same as `average_probabilities(method="mean")`).
    - `voting="hard"`: each member votes for its top-1 class with its
      weight; `votes[b, c]` is the (normalised) weight of the members
      voting `c`. The winner is the class with the most votes; a tie
      (totals within `1e-5`) goes to the tied class with the highest
      weighted mean probability, and then to the lowest class index. The
      output is `(votes + tie_margin * one_hot(winner)) / (1 + tie_margin)`:
      rows sum to 1, stay within `tie_margin` of the vote fractions, and
      their argmax is the winner.

    Args:
        outputs: a list of `M` tensors `(B, C)`, or one `(M, B, C)` tensor.
        weights: `None` (one vote each) or `M` non-negative numbers.
            Defaults to `None`.
        voting: `"hard"` or `"soft"`. Defaults to `"hard"`.
        from_logits: whether `outputs` are logits. Defaults to `False`.
        tie_margin: positive float, the extra mass given to the hard-vote
            winner. Defaults to `1e-3`.

    Returns:
        A float32 tensor `(B, C)` whose rows sum to 1.

    Example:

    >>> # Two votes for class 1, one for class 0.
    >>> out = keras_recipes.ensembles.vote([
    ...     np.array([[0.6, 0.4]]), np.array([[0.4, 0.6]]),
    ...     np.array([[0.3, 0.7]])], voting="hard", tie_margin=0.0)
    >>> np.round(keras.ops.convert_to_numpy(out), 3)
    array([[0.333, 0.667]], dtype=float32)
    """
    check_choice("voting", voting, VOTING)
    _common.check_bool("from_logits", from_logits)
    check_number("tie_margin", tie_margin, min_value=0.0)
    outputs = _common.stack_outputs(outputs)
    num_models, num_classes = outputs.shape[0], outputs.shape[-1]
    weights = _common.check_weights(weights, num_models)
    w = _common.weight_tensor(weights, num_models)
    probs = _common.to_probabilities(outputs, from_logits)
    mean_probs = keras.ops.sum(w * probs, axis=0)
    if voting == "soft":
        return mean_probs
    picks = keras.ops.one_hot(keras.ops.argmax(outputs, axis=-1),
                              num_classes, dtype="float32")
    votes = keras.ops.sum(w * picks, axis=0)
    top = keras.ops.max(votes, axis=-1, keepdims=True)
    tied = keras.ops.greater_equal(votes, top - TIE_TOLERANCE)
    score = keras.ops.where(tied, mean_probs, -1.0)
    winner = keras.ops.one_hot(keras.ops.argmax(score, axis=-1),
                               num_classes, dtype="float32")
    return (votes + tie_margin * winner) / (1.0 + tie_margin)


@keras_recipes_export("keras_recipes.ensembles.VotingEnsemble")
class VotingEnsemble(Ensemble):
    """A `keras.Model` combining its members by soft or hard voting.

    `voting="soft"` outputs the weighted mean of the members'
    probabilities. `voting="hard"` outputs the (weighted) fraction of
    members voting for each class, where a member votes for its top-1
    class; ties are broken by the weighted mean probability, then by the
    lowest class index, and the winner gets an extra `tie_margin` of mass
    so that `argmax` of the output is the documented answer (see
    `keras_recipes.ensembles.vote`). Hard votes have no gradient: train the
    members first, or use soft voting.

    Members may output probabilities or logits (`from_logits=True`);
    the output always sums to 1 per row. The ensemble saves to and loads
    from one `.keras` file. `keras_recipes.ensembles.boosting` returns a
    hard-voting ensemble weighted by the SAMME learner weights.

    Args:
        models: a list of `keras.Model`s with `(B, C)` outputs.
        voting: `"soft"` or `"hard"`. Defaults to `"soft"`.
        weights: `None` (one vote each) or one non-negative number per
            model, normalised to sum to 1; stored as `member_weights`.
            Defaults to `None`.
        from_logits: whether the members output logits. Defaults to
            `False`.
        tie_margin: non-negative float, see above. Defaults to `1e-3`.
        **kwargs: passed to `keras.Model`.

    Returns:
        Called on inputs, a `(B, C)` tensor whose rows sum to 1.

    Example:

    >>> members = [keras.Sequential([keras.Input((4,)),
    ...                              keras.layers.Dense(3, "softmax")])
    ...            for _ in range(3)]
    >>> ensemble = keras_recipes.ensembles.VotingEnsemble(members,
    ...                                                   voting="hard")
    >>> out = ensemble.predict(np.ones((2, 4), "float32"), verbose=0)
    >>> out.shape, bool(np.allclose(out.sum(axis=1), 1.0))
    ((2, 3), True)
    """

    def __init__(self, models, voting="soft", weights=None,
                 from_logits=False, tie_margin=1e-3, **kwargs):
        super().__init__(models, weights=weights, from_logits=from_logits,
                         **kwargs)
        self.voting = check_choice("voting", voting, VOTING)
        self.tie_margin = float(check_number("tie_margin", tie_margin,
                                             min_value=0.0))

    def call(self, inputs, training=None):
        return vote(self.member_outputs(inputs, training),
                    self.member_weights, self.voting, self.from_logits,
                    self.tie_margin)

    def get_config(self):
        config = super().get_config()
        config.update({"voting": self.voting,
                       "tie_margin": self.tie_margin})
        return config
