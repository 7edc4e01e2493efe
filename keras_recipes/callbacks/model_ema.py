"""Exponential moving average of the weights, evaluated during training."""

import keras

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.backend.averaging import make_average_update
from keras_recipes.utils.validation import check_number


def ema_decay(decay, num_updates, warmup=True):
    """Decay used for update number `num_updates` (0-based).

    With `warmup`, `min(decay, (1 + n) / (10 + n))` as in TensorFlow's
    `ExponentialMovingAverage(num_updates=...)`, so the average follows the
    weights closely at the start instead of remembering the initialisation.
    """
    if not warmup:
        return float(decay)
    return min(float(decay), (1.0 + num_updates) / (10.0 + num_updates))


@keras_recipes_export("keras_recipes.callbacks.ModelEMA")
class ModelEMA(keras.callbacks.Callback):
    """Keeps an exponential moving average of the model's weights and
    validates with it during training.

    After every training batch, `ema = d * ema + (1 - d) * w` for every
    floating-point weight of the model, trainable or not (so the
    BatchNormalization statistics are averaged too), with
    `d = min(decay, (1 + n) / (10 + n))` after `n` updates when `warmup` is
    on. Whenever `fit` evaluates `validation_data`, the averaged weights are
    swapped in for the evaluation and swapped out afterwards, so the
    `val_*` entries of `History` (and `EarlyStopping`, `ModelCheckpoint`
    monitoring them) measure the averaged model at every epoch. When
    training ends the model keeps the averaged weights
    (`keep_ema_weights=True`) or its raw weights.

    **How this differs from the optimizer's `use_ema=True`.** Keras's
    `use_ema` keeps the average inside the optimizer, averages trainable
    variables only (not BatchNormalization statistics), has no warmup,
    and swaps the average in only when `fit` ends (or overwrites the
    training weights every `ema_overwrite_frequency` steps, which changes
    the training trajectory), so validation during training always sees
    the raw weights. `ModelEMA` leaves the optimizer alone (it works with
    any optimizer, `Lookahead` and `MultiOptimizer` included), never
    changes what is trained, and evaluates the average at every epoch.

    The average is updated after each batch, outside the compiled train
    step, in one fused call for all the weights
    (`keras_recipes/backend/averaging.py`); on JAX reading the weights
    attaches the training state to the model each batch, which costs a
    little time per step.

    Args:
        decay: Decay `d` of the average. Defaults to `0.999`.
        warmup: Use the `(1 + n) / (10 + n)` warmup. Defaults to `True`.
        keep_ema_weights: Leave the averaged weights in the model when
            training ends. Defaults to `True`.

    Example:

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> ema = keras_recipes.callbacks.ModelEMA(decay=0.9)
    >>> history = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2,
    ...                     validation_data=(np.ones((4, 2)), np.ones((4, 1))),
    ...                     callbacks=[ema], verbose=0)
    >>> ema.num_updates, sorted(history.history)
    (2, ['ema/decay', 'loss', 'val_loss'])

    Reference:
        - [Polyak & Juditsky, 1992](https://doi.org/10.1137/0330046)
        - [timm `ModelEmaV2`](https://github.com/huggingface/pytorch-image-models/blob/main/timm/utils/model_ema.py)
    """

    def __init__(self, decay=0.999, warmup=True, keep_ema_weights=True):
        super().__init__()
        check_number("decay", decay, min_value=0.0, max_value=1.0,
                     max_inclusive=False)
        for name, value in (("warmup", warmup),
                            ("keep_ema_weights", keep_ema_weights)):
            if not isinstance(value, bool):
                raise TypeError(
                    f"Expected `{name}` to be a bool. "
                    f"Received: {name}={value!r}"
                )
        self.decay = decay
        self.warmup = warmup
        self.keep_ema_weights = keep_ema_weights
        self.num_updates = 0
        self.ema_variables = None
        self._targets = None
        self._training = False
        self._backup = None

    def on_train_begin(self, logs=None):
        model = self.model
        self._targets = [
            v for v in model.weights
            if keras.backend.is_float_dtype(v.dtype)
        ]
        self.ema_variables = [
            # A host copy: on JAX the model's buffers get donated.
            keras.Variable(keras.ops.convert_to_numpy(v.value),
                           trainable=False, name=f"ema_{i}")
            for i, v in enumerate(self._targets)
        ]
        # One fused update per batch (a compiled call, or torch's foreach
        # kernels) instead of three eager ops per variable.
        self._update = make_average_update(self.ema_variables, self._targets)
        self.num_updates = 0
        self._training = True

    @property
    def current_decay(self):
        """Decay the next update will use."""
        return ema_decay(self.decay, self.num_updates, self.warmup)

    def on_train_batch_end(self, batch, logs=None):
        self.model  # noqa: B018 - on JAX, attaches the current state
        self._update(self.current_decay)
        self.num_updates += 1

    def _swap_in(self):
        self._backup = [keras.ops.convert_to_numpy(v.value)
                        for v in self._targets]
        for v, ema in zip(self._targets, self.ema_variables):
            # Never share a buffer with the model: JAX donates its buffers.
            v.assign(keras.ops.convert_to_numpy(ema.value))

    def _swap_out(self):
        for v, value in zip(self._targets, self._backup):
            v.assign(value)
        self._backup = None

    def on_test_begin(self, logs=None):
        if self._training and self.num_updates:
            self.model  # noqa: B018
            self._swap_in()

    def on_test_end(self, logs=None):
        if self._backup is not None:
            self._swap_out()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["ema/decay"] = ema_decay(self.decay,
                                          max(self.num_updates - 1, 0),
                                          self.warmup)

    def on_train_end(self, logs=None):
        self._training = False
        if self.keep_ema_weights and self.num_updates:
            for v, ema in zip(self._targets, self.ema_variables):
                v.assign(keras.ops.convert_to_numpy(ema.value))

    def get_config(self):
        return {
            "decay": self.decay,
            "warmup": self.warmup,
            "keep_ema_weights": self.keep_ema_weights,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
