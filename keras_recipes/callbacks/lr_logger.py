"""Log the learning rate into `logs`, whatever drives it."""

import keras

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.callbacks._utils import learning_rates


@keras_recipes_export("keras_recipes.callbacks.LearningRateLogger")
class LearningRateLogger(keras.callbacks.Callback):
    """Writes the optimizer's current learning rate into `logs` each epoch.

    With a `LearningRateSchedule`, Keras 3 does not put the learning rate in
    `History`. This callback does, whether the rate is a constant, a
    variable changed by another callback or a schedule, so `History`,
    `CSVLogger`, `TensorBoard` and experiment trackers see it. The value is
    the rate the optimizer will use for its next step (the schedule
    evaluated at `optimizer.iterations`), read portably with
    `float(keras.ops.convert_to_numpy(...))`. Wrappers such as `Lookahead`
    and `LossScaleOptimizer` report their inner optimizer's rate; a
    `keras.optimizers.MultiOptimizer` gets one key per sub-optimizer,
    `"<key>/0"`, `"<key>/1"`, ...

    Put it before `CSVLogger`/`TensorBoard` in the callback list so they
    see the key.

    Args:
        key: Name of the entry in `logs`. Defaults to `"learning_rate"`.

    Example:

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 4, 0.5)
    >>> model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
    >>> history = model.fit(
    ...     np.ones((8, 2)), np.ones((8, 1)), batch_size=4, epochs=2,
    ...     verbose=0,
    ...     callbacks=[keras_recipes.callbacks.LearningRateLogger()])
    >>> [round(v, 4) for v in history.history["learning_rate"]]
    [0.0707, 0.05]
    """

    def __init__(self, key="learning_rate"):
        super().__init__()
        if not isinstance(key, str) or not key:
            raise ValueError(
                "Expected `key` to be a non-empty string. "
                f"Received: key={key!r}"
            )
        self.key = key

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        logs.update(learning_rates(self.model.optimizer, self.key))

    def get_config(self):
        return {"key": self.key}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
