"""VICReg (Bardes et al., 2022): variance-invariance-covariance SSL."""

from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses.vicreg import _check_weights
from keras_recipes.losses.vicreg import split_views
from keras_recipes.losses.vicreg import vicreg_terms
from keras_recipes.ssl._two_view import TwoViewModel
from keras_recipes.ssl._two_view import check_dim
from keras_recipes.ssl._two_view import mlp


@keras_recipes_export("keras_recipes.ssl.VICReg")
class VICReg(TwoViewModel):
    """VICReg: pretrain an encoder with variance, invariance and covariance
    terms on two views of each image; no negatives, small batches work.

    Each training batch of `B` unlabeled images becomes `2B` views inside
    the compiled train step (XLA on TensorFlow with `jit_compile=True`,
    jit on JAX, Keras's graph path on torch), drawn per image by the
    `views` pipeline. The encoder's features (globally average-pooled if
    it returns a feature map) go through the expander, three layers as in
    the paper (`Dense(hidden_dim)`-BatchNorm-ReLU twice, then
    `Dense(projection_dim)`), and the embeddings of the two views are
    scored with `keras_recipes.losses.vicreg_loss` (the authors'
    formula: plain-mean invariance term, unbiased variance).

    The variance and covariance are statistics of the batch, local to a
    replica's batch under data parallelism (`distribute.data_parallel`
    does not exist yet): use a per-replica batch of at least a few dozen
    images, and never 1. Besides `loss`, `History` logs the three
    unweighted parts `sim_loss`, `var_loss` and `cov_loss` (so
    `loss = sim_weight * sim_loss + var_weight * var_loss +
    cov_weight * cov_loss` plus any regularization losses).

    Train with `fit(x)` on images alone (NumPy arrays,
    `keras_recipes.data.batches` output or `tf.data`); a `y` given to
    `fit` is ignored. Compile without a `loss`. `predict(x)` and
    `model(x)` return the encoder's features, and `model.encoder` is the
    plain Keras encoder to save on its own or fine-tune
    (`keras_recipes.transfer.fine_tune`); the expander
    (`model.projector`) is discarded after pretraining.

    Args:
        encoder: A `keras.Model` mapping images to features `(B, D)` or a
            feature map `(B, H, W, C)`.
        projection_dim: Width of the embeddings (the expander's output).
            Defaults to `512` (the paper uses 8192 on ImageNet).
        sim_weight: Weight of the invariance term (lambda). Defaults to
            `25`.
        var_weight: Weight of the variance term (mu). Defaults to `25`.
        cov_weight: Weight of the covariance term (nu). Defaults to `1`.
        views: A list of label-free augmentation layers applied in order
            to make one view, or `None` for
            `keras_recipes.ssl.default_views(encoder's input shape)`
            (images in `[0, 255]`). Defaults to `None`.
        hidden_dim: Width of the expander's two hidden layers. Defaults to
            `None` (`projection_dim`, as the paper's equal widths).
        epsilon: Added to the variance before the square root. Defaults to
            `1e-4`.
        **kwargs: Passed to `keras.Model` (e.g. `name`).

    Example:

    >>> encoder = keras.Sequential([
    ...     keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3),
    ...     keras.layers.GlobalAveragePooling2D()])
    >>> model = keras_recipes.ssl.VICReg(encoder, projection_dim=16)
    >>> model.compile(optimizer="adam")
    >>> x = np.random.default_rng(0).uniform(0, 255, (16, 8, 8, 1))
    >>> history = model.fit(x, batch_size=8, epochs=1, verbose=0)
    >>> sorted(history.history)
    ['cov_loss', 'loss', 'sim_loss', 'var_loss']
    >>> model.predict(x, verbose=0).shape
    (16, 4)

    Reference:
        Bardes, Ponce and LeCun, VICReg: Variance-Invariance-Covariance
        Regularization for Self-Supervised Learning, ICLR 2022,
        https://arxiv.org/abs/2105.04906
    """

    term_names = ("sim_loss", "var_loss", "cov_loss")

    def __init__(self, encoder, projection_dim=512, sim_weight=25,
                 var_weight=25, cov_weight=1, views=None, hidden_dim=None,
                 epsilon=1e-4, **kwargs):
        super().__init__(encoder, views=views, **kwargs)
        self.projection_dim = check_dim("projection_dim", projection_dim)
        _check_weights(sim_weight, var_weight, cov_weight, epsilon)
        self.sim_weight = sim_weight
        self.var_weight = var_weight
        self.cov_weight = cov_weight
        self.epsilon = epsilon
        hidden_dim = check_dim("hidden_dim", hidden_dim, allow_none=True)
        self.hidden_dim = (
            self.projection_dim if hidden_dim is None else hidden_dim
        )
        self.projector = mlp([self.hidden_dim] * 2, self.projection_dim,
                             name="expander", output_bias=False)

    def loss_terms(self, z):
        z = ops.cast(z, "float32")
        z_a, z_b = split_views(z)
        sim, var, cov = vicreg_terms(z_a, z_b, epsilon=self.epsilon)
        loss = (self.sim_weight * sim + self.var_weight * var
                + self.cov_weight * cov)
        return {"loss": loss, "sim_loss": sim, "var_loss": var,
                "cov_loss": cov}

    def get_config(self):
        config = super().get_config()
        config.update({
            "projection_dim": self.projection_dim,
            "sim_weight": self.sim_weight,
            "var_weight": self.var_weight,
            "cov_weight": self.cov_weight,
            "hidden_dim": self.hidden_dim,
            "epsilon": self.epsilon,
        })
        return config
