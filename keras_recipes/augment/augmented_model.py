"""Augmentation inside the compiled training step, labels included."""

import keras

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.backend.trainers import augmented_train_step


def _check_augment(augment):
    items = augment if isinstance(augment, (list, tuple)) else [augment]
    if not items:
        raise ValueError(
            "Expected `augment` to be a layer or a non-empty list of layers. "
            f"Received: augment={augment!r}"
        )
    for item in items:
        if not isinstance(item, keras.layers.Layer):
            raise TypeError(
                "Expected every item of `augment` to be a Keras layer (e.g. "
                "`keras_recipes.augment.MixUp`). Received: "
                f"{item!r} of type {type(item).__name__}"
            )
        if isinstance(item, (keras.layers.MixUp, keras.layers.CutMix)):
            raise ValueError(
                f"Expected `keras_recipes.augment.{type(item).__name__}` "
                f"instead of `keras.layers.{type(item).__name__}`, which "
                "does not mix integer labels. Received: "
                f"augment item {item!r}"
            )
    return list(items)


@keras_recipes_export("keras_recipes.augment.AugmentedModel")
class AugmentedModel(keras.Model):
    """Wrap a model so augmentation runs inside its compiled train step.

    This is the on-accelerator placement: each training batch `(x, y)` goes
    through the `augment` layers inside the train step, so it is compiled
    with the model (XLA on TensorFlow with `jit_compile=True`, jit on JAX)
    and runs on the accelerator, and the label-mixing layers (`MixUp`,
    `CutMix`, `MixUpOrCutMix`) mix `y` together with `x`. Label-free layers
    (`RandAugment`, `RandomErasing`, `keras.layers.RandomFlip`, ...) get the
    images only. On JAX the layers' seed states are threaded through the
    pure train step, so each step draws new values.

    `evaluate` does not augment; when a label-mixing layer has
    `num_classes`, integer labels are turned into one-hot targets there so
    the same categorical loss works in `fit` and `evaluate`. `predict` and
    `model(x)` call the wrapped model, which stays usable on its own
    (`augmented.model`) for inference and export. Sample weights are passed
    through unchanged.

    Targets from the label-mixing layers are float (B, C): compile with a
    loss accepting soft targets, e.g. `keras.losses.CategoricalCrossentropy`,
    `keras_recipes.losses.FocalLoss`, `LabelSmoothingCrossentropy` or
    `PolyLoss`.

    Args:
        model: the `keras.Model` to train.
        augment: a layer or list of layers applied in order.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:

    >>> inputs = keras.Input((8, 8, 3))
    >>> h = keras.layers.GlobalAveragePooling2D()(inputs)
    >>> net = keras.Model(inputs, keras.layers.Dense(3, "softmax")(h))
    >>> model = keras_recipes.augment.AugmentedModel(
    ...     net, augment=[keras_recipes.augment.RandAugment(seed=0),
    ...                   keras_recipes.augment.MixUp(num_classes=3, seed=0)])
    >>> model.compile(optimizer="adam", loss="categorical_crossentropy")
    >>> x = np.random.default_rng(0).uniform(0, 255, (8, 8, 8, 3))
    >>> history = model.fit(x, np.arange(8) % 3, epochs=1, verbose=0)
    >>> model.predict(x, verbose=0).shape
    (8, 3)
    """

    def __init__(self, model, augment, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(model, keras.Model):
            raise TypeError(
                "Expected `model` to be a keras.Model. Received: "
                f"model of type {type(model).__name__}"
            )
        self.model = model
        self.augment = _check_augment(augment)

    def call(self, inputs, training=None):
        return self.model(inputs, training=training)

    def build(self, input_shape):
        if not self.model.built:
            self.model.build(input_shape)
        self.built = True

    def augment_batch(self, data):
        """Apply the augmentation layers to a `(x, y[, sample_weight])`
        batch, as the train step does."""
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        for layer in self.augment:
            if getattr(layer, "mixes_labels", False):
                x, y = layer((x, y), training=True)
            else:
                x = layer(x, training=True)
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    def _num_classes(self):
        for layer in self.augment:
            if getattr(layer, "mixes_labels", False) and getattr(
                layer, "num_classes", None
            ):
                return layer.num_classes
        return None

    def _targets(self, y):
        """Integer labels -> one-hot, so that `evaluate` (no mixing) and the
        metric/loss build see the same (B, C) targets as mixed training."""
        num_classes = self._num_classes()
        if num_classes is None or y is None or isinstance(y, (dict, list)):
            return y
        y = keras.ops.convert_to_tensor(y)
        if len(y.shape) == 1 or (len(y.shape) == 2 and y.shape[-1] == 1):
            y = keras.ops.one_hot(
                keras.ops.cast(keras.ops.reshape(y, (-1,)), "int32"),
                num_classes,
            )
        return y

    def train_step(self, *args):
        return augmented_train_step(
            self, super().train_step, self.augment_batch, *args
        )

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        return super().compute_loss(
            x=x, y=self._targets(y), y_pred=y_pred,
            sample_weight=sample_weight, training=training,
        )

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        return super().compute_metrics(
            x, self._targets(y), y_pred, sample_weight=sample_weight
        )

    def get_config(self):
        config = super().get_config()
        config.update({
            "model": keras.saving.serialize_keras_object(self.model),
            "augment": [
                keras.saving.serialize_keras_object(layer)
                for layer in self.augment
            ],
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["model"] = keras.saving.deserialize_keras_object(
            config["model"], custom_objects=custom_objects
        )
        config["augment"] = [
            keras.saving.deserialize_keras_object(
                c, custom_objects=custom_objects
            )
            for c in config["augment"]
        ]
        return cls(**config)
