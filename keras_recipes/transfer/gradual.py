"""Gradual unfreezing (ULMFiT) as a callback."""

import keras

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.transfer.freeze import unfreeze


def rebuild_optimizer(model):
    """Give `model` a fresh copy of its optimizer built on its current
    trainable variables (keeping `iterations`, so schedules continue), and
    drop the compiled functions so the next step retraces."""
    old = model.optimizer
    new = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(old)
    )
    new.build(model.trainable_variables)
    new.iterations.assign(keras.ops.convert_to_numpy(old.iterations))
    model.optimizer = new
    for name in ("train_function", "test_function", "predict_function"):
        if getattr(model, name, None) is not None:
            getattr(model, "make_" + name)(force=True)
    return new


@keras_recipes_export("keras_recipes.transfer.GradualUnfreezing")
class GradualUnfreezing(keras.callbacks.Callback):
    """Unfreezes a model from the top down over epochs, as in ULMFiT.

    `schedule` maps an epoch (0-based) to where unfreezing starts at that
    epoch, given as for `keras_recipes.transfer.unfreeze`: a layer name,
    an index into `model.layers` or a fraction of depth. Freeze the model
    (e.g. `freeze(model, up_to=-1)`) before `fit`; at the start of each
    listed epoch the callback unfreezes `model.layers[from_:]` (keeping
    BatchNormalization frozen unless `include_batchnorm`), builds a fresh
    copy of the optimizer for the new set of trainable variables (keeping
    `iterations`, so schedules continue; its moments restart from zero)
    and makes `fit` retrace its step. The number of trainable variables is
    logged as `"gradual_unfreezing/trainable_variables"`.

    Args:
        schedule: Dict `{epoch: from_}`, or a list whose item `e` is the
            `from_` of epoch `e` (`None` items change nothing).
        include_batchnorm: Also unfreeze BatchNormalization layers.
            Defaults to `False`.

    Example:

    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4),
    ...     keras.layers.Dense(4), keras.layers.Dense(2)])
    >>> _ = keras_recipes.transfer.freeze(model, up_to=-1)
    >>> model.compile(optimizer="adam", loss="mse")
    >>> unfreezer = keras_recipes.transfer.GradualUnfreezing({1: 1, 2: 0})
    >>> history = model.fit(np.ones((8, 4)), np.ones((8, 2)), epochs=3,
    ...                     callbacks=[unfreezer], verbose=0)
    >>> history.history["gradual_unfreezing/trainable_variables"]
    [2, 4, 6]

    Reference:
        - [Howard & Ruder, 2018 (ULMFiT)](https://arxiv.org/abs/1801.06146)
    """

    def __init__(self, schedule, include_batchnorm=False):
        super().__init__()
        if isinstance(schedule, (list, tuple)):
            schedule = {e: s for e, s in enumerate(schedule) if s is not None}
        if not isinstance(schedule, dict) or not schedule:
            raise ValueError(
                "Expected `schedule` to be a non-empty dict {epoch: from_} or "
                f"a list. Received: schedule={schedule!r}"
            )
        for epoch in schedule:
            if isinstance(epoch, bool) or not isinstance(epoch, int) or (
                    epoch < 0):
                raise ValueError(
                    "Expected the epochs of `schedule` to be integers >= 0. "
                    f"Received: schedule={schedule!r}"
                )
        if not isinstance(include_batchnorm, bool):
            raise TypeError(
                "Expected `include_batchnorm` to be a bool. "
                f"Received: include_batchnorm={include_batchnorm!r}"
            )
        self.schedule = {int(k): v for k, v in schedule.items()}
        self.include_batchnorm = include_batchnorm

    def on_epoch_begin(self, epoch, logs=None):
        if epoch not in self.schedule:
            return
        model = self.model
        before = {id(v) for v in model.trainable_variables}
        unfreeze(model, from_=self.schedule[epoch],
                 include_batchnorm=self.include_batchnorm)
        after = {id(v) for v in model.trainable_variables}
        if before != after:
            rebuild_optimizer(model)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["gradual_unfreezing/trainable_variables"] = len(
                self.model.trainable_variables)

    def get_config(self):
        return {
            "schedule": {str(k): v for k, v in self.schedule.items()},
            "include_batchnorm": self.include_batchnorm,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["schedule"] = {int(k): v for k, v in config["schedule"].items()}
        return cls(**config)
