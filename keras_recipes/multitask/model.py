"""`MultiTaskModel`: a multi-output model trained with a `MultiTaskLoss`."""

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.multitask.loss import MultiTaskLoss


class _DWAUpdate(keras.callbacks.Callback):
    """Sets the next epoch's DWA weights from this epoch's `loss_<task>`
    (added by `MultiTaskModel.fit`; private)."""

    def on_epoch_end(self, epoch, logs=None):
        mtl = self.model.multitask_loss
        logs = logs or {}
        keys = [f"loss_{n}" for n in mtl.task_names]
        missing = [k for k in keys if k not in logs]
        if missing:
            raise ValueError(
                "DWA needs the epoch-average task losses in the epoch logs. "
                f"Expected the keys {keys}. Received: logs keys "
                f"{sorted(logs)}"
            )
        mtl.update_dwa([float(logs[k]) for k in keys])


def _batch_size(y_pred):
    leaf = keras.tree.flatten(y_pred)[0]
    return ops.cast(ops.shape(leaf)[0], "float32")


@keras_recipes_export("keras_recipes.multitask.MultiTaskModel")
class MultiTaskModel(keras.Model):
    """Wrap a multi-output model to train it with a weighted multi-task loss.

    The wrapper holds a `keras_recipes.multitask.MultiTaskLoss` and
    overrides `compute_loss`, which every backend's train and test steps
    call, so it works eagerly and inside the compiled step (XLA / jit)
    on TensorFlow, JAX and PyTorch. Its weighting's state is model
    state: the learned log-variances of `"uncertainty"` are trainable
    weights of the wrapper (the optimizer updates them with the network),
    and the DWA weights are non-trainable weights, which `fit` updates at
    the end of every epoch from the epoch's average task losses (through an
    internal callback; with JAX they enter the compiled step as state, so
    no retrace is needed). Both are saved with the model and restored by
    `keras.saving.load_model`.

    Compile it without a `loss` (the losses are given here); `metrics`
    work as for the wrapped model (a list or a dict keyed by output
    name). Besides `loss` (the weighted total, plus any regularization
    losses), every epoch logs `loss_<task>` (the task's average loss) and
    `weight_<task>` (the average factor of that loss in the total:
    `c_i exp(-s_i)` for uncertainty weighting, the DWA or static weight
    otherwise) to `History`, the progress bar and the trackers of
    `keras_recipes.tracking`, with `val_` versions on validation data.

    `y` and `sample_weight` follow Keras's multi-output conventions: a
    list in output order or a dict keyed by output name; `sample_weight`
    may also be one array used for every task. A `losses` dict is matched
    to the outputs by name; a `losses` list is in output order, and its
    tasks take the output names. `predict` and `model(x)` return the
    wrapped model's outputs; the wrapped model stays usable on its own
    (`wrapper.model`).

    Args:
        model: The multi-output `keras.Model` to train.
        losses: One loss per output (a list or a `{output_name: loss}`
            dict of `keras.losses.Loss` objects or names), or a
            `MultiTaskLoss` (then `weighting`, `task_types` and
            `temperature` are taken from it and must be left at their
            defaults).
        weighting: `"uncertainty"`, `"equal"`, `"dwa"`, or static per-task
            weights (a list or dict). Defaults to `"uncertainty"`.
        task_types: For `"uncertainty"`: `"regression"` (`c = 1/2`) or
            `"classification"` (`c = 1`) per task, or `None` to infer them
            from the losses. Defaults to `None`.
        temperature: DWA temperature. Defaults to `2.0`.
        **kwargs: Passed to `keras.Model` (e.g. `name`).

    Example:

    >>> inputs = keras.Input((4,))
    >>> h = keras.layers.Dense(8, activation="relu")(inputs)
    >>> net = keras.Model(inputs, {
    ...     "label": keras.layers.Dense(3, name="label")(h),
    ...     "value": keras.layers.Dense(1, name="value")(h)})
    >>> model = keras_recipes.multitask.MultiTaskModel(net, {
    ...     "label": keras.losses.SparseCategoricalCrossentropy(
    ...         from_logits=True),
    ...     "value": "mse"})
    >>> model.compile(optimizer="adam")
    >>> x = np.random.default_rng(0).normal(size=(16, 4))
    >>> y = {"label": np.arange(16) % 3, "value": x[:, :1]}
    >>> history = model.fit(x, y, epochs=2, verbose=0)
    >>> sorted(history.history)
    ['loss', 'loss_label', 'loss_value', 'weight_label', 'weight_value']
    >>> model.multitask_loss.task_types
    ['classification', 'regression']
    """

    def __init__(self, model, losses, weighting="uncertainty",
                 task_types=None, temperature=2.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(model, keras.Model):
            raise TypeError(
                "Expected `model` to be a keras.Model. Received: "
                f"model of type {type(model).__name__}"
            )
        self.model = model
        output_names = list(getattr(model, "output_names", None) or [])
        if isinstance(losses, MultiTaskLoss):
            if (weighting != "uncertainty" or task_types is not None
                    or temperature != 2.0):
                raise ValueError(
                    "Expected `weighting`, `task_types` and `temperature` "
                    "left at their defaults when `losses` is a "
                    "MultiTaskLoss (they are taken from it). Received: "
                    f"weighting={weighting!r}, task_types={task_types!r}, "
                    f"temperature={temperature!r}"
                )
            self.multitask_loss = losses
        else:
            task_names = None
            if (isinstance(losses, (list, tuple))
                    and len(output_names) == len(losses)):
                task_names = output_names
            self.multitask_loss = MultiTaskLoss(
                losses, weighting=weighting, task_types=task_types,
                temperature=temperature, task_names=task_names,
            )
        names = self.multitask_loss.task_names
        if output_names and len(output_names) != len(names):
            raise ValueError(
                f"Expected one loss per output of `model` ({output_names}). "
                f"Received: {len(names)} losses for the tasks {names}"
            )
        self._output_names = output_names
        self.weighting = self.multitask_loss.weighting
        self.temperature = self.multitask_loss.temperature
        self.task_types = self.multitask_loss.task_types
        self.task_loss_trackers = [
            keras.metrics.Mean(name=f"loss_{n}") for n in names
        ]
        self.task_weight_trackers = [
            keras.metrics.Mean(name=f"weight_{n}") for n in names
        ]

    def call(self, inputs, training=None):
        return self.model(inputs, training=training)

    def build(self, input_shape):
        if not self.model.built:
            self.model.build(input_shape)
        self.built = True

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None,
                **kwargs):
        if loss is not None or loss_weights is not None:
            raise ValueError(
                "MultiTaskModel takes its per-task losses and their "
                "weighting in its constructor (`losses=`, `weighting=`). "
                f"Expected `loss=None` and `loss_weights=None` in `compile`. "
                f"Received: loss={loss!r}, loss_weights={loss_weights!r}"
            )
        super().compile(optimizer=optimizer, **kwargs)

    def compile_from_config(self, config):
        config = dict(keras.saving.deserialize_keras_object(config))
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)

    def _by_task(self, value):
        """Outputs, targets or sample weights given as a list in output
        order -> a `{task: value}` dict when the tasks are named by the
        outputs."""
        names = self.multitask_loss.task_names
        if (isinstance(value, (list, tuple)) and self._output_names
                and len(value) == len(self._output_names)
                and set(self._output_names) == set(names)):
            return dict(zip(self._output_names, value))
        return value

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        mtl = self.multitask_loss
        task_losses = mtl.compute_task_losses(
            self._by_task(y), self._by_task(y_pred),
            self._by_task(sample_weight),
        )
        total = mtl.combine(task_losses)
        weights = mtl.task_weights()
        batch_size = _batch_size(y_pred)
        for i, (loss, tracker) in enumerate(
                zip(task_losses, self.task_loss_trackers)):
            tracker.update_state(loss, sample_weight=batch_size)
            self.task_weight_trackers[i].update_state(weights[i])
        for extra in self.losses:
            total = total + ops.cast(ops.sum(extra), total.dtype)
        return total

    def fit(self, *args, **kwargs):
        if self.multitask_loss.weighting == "dwa":
            args = list(args)
            if len(args) > 5:  # x, y, batch_size, epochs, verbose, callbacks
                callbacks = args[5]
            else:
                callbacks = kwargs.get("callbacks")
            callbacks = list(callbacks or [])
            callbacks.insert(0, _DWAUpdate())
            if len(args) > 5:
                args[5] = callbacks
            else:
                kwargs["callbacks"] = callbacks
        return super().fit(*args, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update({
            "model": keras.saving.serialize_keras_object(self.model),
            "losses": keras.saving.serialize_keras_object(
                self.multitask_loss),
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["model"] = keras.saving.deserialize_keras_object(
            config["model"], custom_objects=custom_objects
        )
        config["losses"] = keras.saving.deserialize_keras_object(
            config["losses"], custom_objects=custom_objects
        )
        return cls(**config)
