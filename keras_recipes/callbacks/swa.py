"""Stochastic weight averaging (Izmailov et al., 2018)."""

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.callbacks._utils import settable_learning_rate
from keras_recipes.utils.layers import batch_norm_layers
from keras_recipes.utils.validation import check_number


def _batches(data, batch_size):
    """Yield input batches from an array, a tuple `(x, ...)` or an iterable
    of batches (tf.data, PyDataset, generator)."""
    if isinstance(data, (tuple, list)) and data and not np.isscalar(data[0]):
        if hasattr(data[0], "shape") and len(data) in (1, 2, 3):
            data = data[0]
    if hasattr(data, "shape") and hasattr(data, "__getitem__"):
        for start in range(0, data.shape[0], batch_size):
            yield data[start:start + batch_size]
        return
    if isinstance(data, dict):
        n = len(next(iter(data.values())))
        for start in range(0, n, batch_size):
            yield {k: v[start:start + batch_size] for k, v in data.items()}
        return
    if hasattr(data, "__len__") and hasattr(data, "__getitem__"):
        iterator = (data[i] for i in range(len(data)))  # PyDataset
    else:
        iterator = iter(data)
    for batch in iterator:
        if isinstance(batch, (tuple, list)):
            batch = batch[0]
        yield batch


def recompute_batch_norm_statistics(model, data, batch_size=32):
    """Reset and recompute the moving statistics of every trainable
    `BatchNormalization` layer as the plain average over `data`'s batches.

    Like `torch.optim.swa_utils.update_bn`: each batch is run through the
    model in training mode with the layer's momentum set to `(k-1)/k`, so
    after `K` batches the moving mean is the mean of the `K` batch means
    (and likewise for the variance).

    Returns:
        The number of batches used.
    """
    layers = batch_norm_layers(model, trainable_only=True)
    if not layers:
        return 0
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        mean, variance = layer.moving_mean, layer.moving_variance
        mean.assign(keras.ops.zeros(mean.shape, mean.dtype))
        variance.assign(keras.ops.ones(variance.shape, variance.dtype))
    count = 0
    try:
        for batch in _batches(data, batch_size):
            count += 1
            for layer in layers:
                layer.momentum = (count - 1) / count
            model(batch, training=True)
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
    return count


@keras_recipes_export("keras_recipes.callbacks.SWA")
class SWA(keras.callbacks.Callback):
    """Stochastic weight averaging: average the weights of late epochs.

    From epoch `start_epoch` on (0-based), the model's trainable weights
    are added to a running average at the end of every `swa_freq`-th
    epoch. When training ends the averaged weights are written into the
    model, and the moving statistics of its `BatchNormalization` layers are
    recomputed with them on `bn_data` (the averaged weights make the old
    statistics stale). The average is kept on the host in float64, so it is
    exactly the NumPy mean of the snapshots.

    If `swa_lr` is given, the optimizer's learning rate is set to that
    constant from `start_epoch` on (the paper's constant SWA rate); the
    optimizer must then have a float learning rate.

    Keras callbacks cannot see the training data, so a model with
    `BatchNormalization` layers needs `bn_data` (usually the training `x`).

    Args:
        start_epoch: First epoch (0-based) whose weights are averaged.
        swa_freq: Average every `swa_freq` epochs. Defaults to `1`.
        swa_lr: Constant learning rate from `start_epoch` on, or `None` to
            leave it alone. Defaults to `None`.
        bn_data: Data to recompute BatchNormalization statistics: an
            array, a dict of arrays, a tuple `(x, y)`, a `tf.data.Dataset`
            or `keras.utils.PyDataset`. Defaults to `None`.
        bn_batch_size: Batch size used on array `bn_data`. Defaults to `32`.

    Example:

    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> swa = keras_recipes.callbacks.SWA(start_epoch=1)
    >>> history = model.fit(np.ones((8, 3)), np.zeros((8, 1)), epochs=3,
    ...                     callbacks=[swa], verbose=0)
    >>> swa.num_averaged, history.history["swa/num_averaged"]
    (2, [0, 1, 2])

    Reference:
        - [Izmailov et al., 2018](https://arxiv.org/abs/1803.05407)
    """

    def __init__(self, start_epoch, swa_freq=1, swa_lr=None, bn_data=None,
                 bn_batch_size=32):
        super().__init__()
        check_number("start_epoch", start_epoch, min_value=0, integer=True)
        check_number("swa_freq", swa_freq, min_value=1, integer=True)
        check_number("swa_lr", swa_lr, min_value=0.0, min_inclusive=False,
                     allow_none=True)
        check_number("bn_batch_size", bn_batch_size, min_value=1,
                     integer=True)
        self.start_epoch = start_epoch
        self.swa_freq = swa_freq
        self.swa_lr = swa_lr
        self.bn_data = bn_data
        self.bn_batch_size = bn_batch_size
        self.num_averaged = 0
        self._sum = None

    def on_train_begin(self, logs=None):
        model = self.model
        if self.swa_lr is not None:
            settable_learning_rate(model.optimizer, "SWA(swa_lr=...)")
        if self.bn_data is None and batch_norm_layers(
                model, trainable_only=True):
            raise ValueError(
                "Expected `bn_data` for a model with BatchNormalization "
                "layers: SWA must recompute their statistics with the "
                "averaged weights, and callbacks cannot see the training "
                "data. Received: bn_data=None"
            )
        self.num_averaged = 0
        self._sum = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.swa_lr is not None and epoch >= self.start_epoch:
            self.model.optimizer.learning_rate = self.swa_lr

    def on_epoch_end(self, epoch, logs=None):
        offset = epoch - self.start_epoch
        if offset >= 0 and offset % self.swa_freq == 0:
            weights = [
                keras.ops.convert_to_numpy(v.value).astype("float64")
                for v in self.model.trainable_variables
            ]
            if self._sum is None:
                self._sum = weights
            else:
                self._sum = [s + w for s, w in zip(self._sum, weights)]
            self.num_averaged += 1
        if logs is not None:
            logs["swa/num_averaged"] = self.num_averaged

    def averaged_weights(self):
        """The current average (NumPy arrays, one per trainable variable),
        or `None` before the first snapshot."""
        if self._sum is None:
            return None
        return [s / self.num_averaged for s in self._sum]

    def on_train_end(self, logs=None):
        average = self.averaged_weights()
        if average is None:
            return
        model = self.model
        for v, value in zip(model.trainable_variables, average):
            v.assign(value.astype(keras.backend.standardize_dtype(v.dtype)))
        if self.bn_data is not None:
            recompute_batch_norm_statistics(model, self.bn_data,
                                            self.bn_batch_size)

    def get_config(self):
        # `bn_data` is data, not configuration: it is not serialized.
        return {
            "start_epoch": self.start_epoch,
            "swa_freq": self.swa_freq,
            "swa_lr": self.swa_lr,
            "bn_batch_size": self.bn_batch_size,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
