"""SimCLR (Chen et al., 2020): contrastive learning with NT-Xent."""

from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses.ntxent import NTXentLoss
from keras_recipes.losses.supervised_contrastive import _check_temperature
from keras_recipes.ssl._two_view import TwoViewModel
from keras_recipes.ssl._two_view import check_dim
from keras_recipes.ssl._two_view import mlp


@keras_recipes_export("keras_recipes.ssl.SimCLR")
class SimCLR(TwoViewModel):
    """SimCLR: pretrain an encoder by contrasting two views of each image.

    Each training batch of `B` unlabeled images becomes `2B` views inside
    the compiled train step (XLA on TensorFlow with `jit_compile=True`,
    jit on JAX, Keras's graph path on torch): the `views` pipeline runs
    on each image twice with independent per-image draws. The encoder's
    features (globally average-pooled if it returns a feature map) go
    through a projection MLP (`Dense(hidden_dim)`-BatchNorm-ReLU-
    `Dense(projection_dim)`), and the projections are scored with
    `keras_recipes.losses.NTXentLoss` (cosine similarity, `temperature`),
    rows `2i` and `2i + 1` being the positive pair.

    Negatives are local to the batch: each anchor is contrasted with the
    other `2B - 2` views of its (replica's) batch. Under data parallelism
    they are not gathered across replicas (the paper does;
    `distribute.data_parallel` does not exist yet), so the effective
    number of negatives is set by the per-replica batch size; larger
    batches give more negatives.

    Train with `fit(x)` on images alone (NumPy arrays,
    `keras_recipes.data.batches` output or `tf.data`); a `y` given to
    `fit` is ignored. Compile without a `loss`. `evaluate` also scores two
    fresh views. `predict(x)` and `model(x)` return the encoder's features,
    and `model.encoder` is the plain Keras encoder to save on its own or
    fine-tune (`keras_recipes.transfer.fine_tune`); the projector
    (`model.projector`) is discarded after pretraining, as in the paper.

    Args:
        encoder: A `keras.Model` mapping images to features `(B, D)` or a
            feature map `(B, H, W, C)`.
        projection_dim: Width of the projection. Defaults to `128`.
        temperature: NT-Xent temperature. Defaults to `0.2`.
        views: A list of label-free augmentation layers applied in order
            to make one view, or `None` for
            `keras_recipes.ssl.default_views(encoder's input shape)`
            (images in `[0, 255]`). Defaults to `None`.
        hidden_dim: Width of the projector's hidden layer. Defaults to
            `None`: the encoder's feature width `D` (as in the paper), or
            `projection_dim` when `D` is not known statically.
        **kwargs: Passed to `keras.Model` (e.g. `name`).

    Example:

    >>> encoder = keras.Sequential([
    ...     keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3),
    ...     keras.layers.GlobalAveragePooling2D()])
    >>> model = keras_recipes.ssl.SimCLR(encoder, projection_dim=8)
    >>> model.compile(optimizer="adam")
    >>> x = np.random.default_rng(0).uniform(0, 255, (16, 8, 8, 1))
    >>> history = model.fit(x, batch_size=8, epochs=1, verbose=0)
    >>> sorted(history.history)
    ['loss']
    >>> model.predict(x, verbose=0).shape
    (16, 4)

    Reference:
        Chen, Kornblith, Norouzi and Hinton, A Simple Framework for
        Contrastive Learning of Visual Representations, ICML 2020,
        https://arxiv.org/abs/2002.05709
    """

    def __init__(self, encoder, projection_dim=128, temperature=0.2,
                 views=None, hidden_dim=None, **kwargs):
        super().__init__(encoder, views=views, **kwargs)
        self.projection_dim = check_dim("projection_dim", projection_dim)
        _check_temperature(temperature)
        self.temperature = temperature
        hidden_dim = check_dim("hidden_dim", hidden_dim, allow_none=True)
        if hidden_dim is None:
            hidden_dim = self._feature_dim() or self.projection_dim
        self.hidden_dim = hidden_dim
        self.projector = mlp([hidden_dim], projection_dim, name="projector")
        self.ntxent = NTXentLoss(temperature=temperature)

    def loss_terms(self, z):
        return {"loss": ops.mean(self.ntxent.call(None, z))}

    def get_config(self):
        config = super().get_config()
        config.update({
            "projection_dim": self.projection_dim,
            "temperature": self.temperature,
            "hidden_dim": self.hidden_dim,
        })
        return config
