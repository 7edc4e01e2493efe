"""k-NN probe accuracy of the encoder, logged during pretraining."""

import keras

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_number


@keras_recipes_export("keras_recipes.callbacks.ProbeMonitor")
class ProbeMonitor(keras.callbacks.Callback):
    """Logs the weighted k-NN accuracy of the encoder during pretraining.

    Self-supervised losses say little about how useful the features are;
    the k-NN probe (`keras_recipes.ssl.knn_accuracy`) does, and it trains
    nothing. Every `every` epochs, and at the last epoch, this callback
    embeds `x_train` and `x_val` with the encoder in inference mode and
    writes the accuracy into `logs[key]`, so `History`, `CSVLogger`,
    `TensorBoard` and the experiment trackers see it (put it before them in
    the callback list). Epochs between probes have no entry.

    The encoder is `encoder` if given, else the model's `encoder` attribute
    (`ssl.SimCLR`, `ssl.VICReg`, `ssl.MAE`), else the model itself.

    Args:
        x_train: Labelled reference images (a few thousand are enough).
        y_train: Their labels, ids or one-hot.
        x_val: Query images.
        y_val: Their labels.
        every: Probe every `every` epochs. Defaults to `1`.
        k: Neighbours. Defaults to `20`.
        temperature: Vote temperature. Defaults to `0.07`.
        encoder: The model to probe. Defaults to `None` (see above).
        key: Name of the entry in `logs`. Defaults to `"knn_accuracy"`.
        batch_size: Batch size of the embedding pass. Defaults to `256`.

    Example:

    >>> x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    >>> y = (x[:, 0] > 0).astype("int32")
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> monitor = keras_recipes.callbacks.ProbeMonitor(x, y, x, y, k=5)
    >>> history = model.fit(x, x, epochs=2, verbose=0, callbacks=[monitor])
    >>> len(history.history["knn_accuracy"])
    2
    """

    def __init__(self, x_train, y_train, x_val, y_val, every=1, k=20,
                 temperature=0.07, encoder=None, key="knn_accuracy",
                 batch_size=256):
        super().__init__()
        check_number("every", every, min_value=1, integer=True)
        check_number("k", k, min_value=1, integer=True)
        check_number("temperature", temperature, min_value=0,
                     min_inclusive=False)
        if not isinstance(key, str) or not key:
            raise ValueError(
                "Expected `key` to be a non-empty string. "
                f"Received: key={key!r}"
            )
        if encoder is not None and not isinstance(encoder, keras.Model):
            raise TypeError(
                "Expected `encoder` to be a keras.Model or None. Received: "
                f"encoder of type {type(encoder).__name__}"
            )
        from keras_recipes.ssl.probes import _labelled

        self.y_train = _labelled("x_train", x_train, "y_train", y_train)
        self.y_val = _labelled("x_val", x_val, "y_val", y_val)
        self.x_train, self.x_val = x_train, x_val
        self.every, self.k, self.temperature = every, k, temperature
        self.encoder, self.key, self.batch_size = encoder, key, batch_size

    def _encoder(self):
        if self.encoder is not None:
            return self.encoder
        return getattr(self.model, "encoder", None) or self.model

    def on_epoch_end(self, epoch, logs=None):
        last = epoch + 1 == (self.params or {}).get("epochs")
        if logs is None or ((epoch + 1) % self.every and not last):
            return
        from keras_recipes.ssl.probes import knn_accuracy

        logs[self.key] = knn_accuracy(
            self._encoder(), self.x_train, self.y_train, self.x_val,
            self.y_val, k=self.k, temperature=self.temperature,
            batch_size=self.batch_size,
        )

    def get_config(self):
        # Keras's registry needs the method; the probe data are arrays, which
        # a config does not hold, so the callback is rebuilt, not restored.
        raise NotImplementedError(
            "ProbeMonitor holds its probe images and labels, which a config "
            "does not serialize; create a new ProbeMonitor instead."
        )
