"""`Ensemble`: the `keras.Model` the ensembles share (private)."""

import copy

import keras

from keras_recipes.ensembles import _common


class Ensemble(keras.Model):
    """A `keras.Model` over a list of member models (private base).

    Members are tracked in `self.models`, so their weights are the
    ensemble's weights: the ensemble saves to one `.keras` file, and
    `fit` on the ensemble trains the members jointly through its output.
    """

    def __init__(self, models, weights=None, from_logits=False, **kwargs):
        super().__init__(**kwargs)
        self.models = _common.check_models(models)
        # `weights` is the name Keras gives to a model's variables, so the
        # member weights live under `member_weights`.
        self.member_weights = _common.check_weights(weights,
                                                    len(self.models))
        self.from_logits = _common.check_bool("from_logits", from_logits)
        if all(m.built for m in self.models):
            self.built = True

    @property
    def num_models(self):
        return len(self.models)

    def build(self, input_shape):
        for model in self.models:
            if not model.built:
                model.build(input_shape)
        self.built = True

    def member_outputs(self, inputs, training=None):
        """The members' raw outputs (probabilities or logits), a list."""
        return _common.call_members(self.models, inputs, training)

    def get_config(self):
        config = super().get_config()
        config.update({
            "models": _common.serialize_models(self.models),
            "weights": self.member_weights,
            "from_logits": self.from_logits,
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # Deserializing a functional model consumes its config: copy.
        config = copy.deepcopy(config)
        config["models"] = _common.deserialize_models(
            config["models"], custom_objects
        )
        return cls(**config)
