"""ArcFace: additive angular margin logits from a layer of class centers."""

import math

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses.distances import l2_normalize
from keras_recipes.losses.distances import safe_sqrt
from keras_recipes.utils.validation import check_number


@keras_recipes_export("keras_recipes.losses.ArcFace")
class ArcFace(keras.layers.Layer):
    """ArcFace head: class centers and additive angular margin logits.

    Holds one learned center per class. It returns the logits
    `scale * cos(theta_j)` between the L2-normalized embedding and each
    normalized center; during training, given the labels, the target
    class's logit becomes `scale * cos(theta_y + margin)`. Train with
    `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`.

    Pattern: a training model takes `[images, labels]` and returns
    `ArcFace(...)([embeddings, labels])`; for inference take the embedding
    sub-model `keras.Model(images, embeddings)` and compare embeddings
    (cosine similarity) with `keras_recipes.evaluation.retrieval_report`,
    or call the layer without labels (`ArcFace(...)(embeddings)`) to get
    the margin-free logits for closed-set classification. As in
    insightface, when `theta + margin` would pass `pi` the target logit
    falls back to `cos(theta) - margin * sin(margin)` so it stays
    monotonic.

    Args:
        num_classes: Number of classes (centers).
        embedding_dim: Size of the embeddings.
        margin: Additive angular margin in radians. Defaults to `0.5`.
        scale: Logit scale `s`. Defaults to `64.0`.
        center_initializer: Initializer of the centers. Defaults to
            `"glorot_uniform"`.
        **kwargs: Base layer keyword arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: Embeddings `(B, embedding_dim)`, or a list
            `[embeddings, labels]` with integer labels `(B,)` or `(B, 1)`.
        labels: Optional integer labels, instead of passing a list.

    Returns:
        Logits of shape `(B, num_classes)`, with the margin applied to the
        target class when labels are given.

    Example:

    >>> head = keras_recipes.losses.ArcFace(num_classes=3, embedding_dim=2)
    >>> emb = np.array([[1.0, 0.0], [0.0, 2.0]], "float32")
    >>> logits = head([emb, np.array([0, 2])])
    >>> tuple(logits.shape)
    (2, 3)
    >>> images = keras.Input((8,))
    >>> labels = keras.Input((), dtype="int32")
    >>> embeddings = keras.layers.Dense(4)(images)
    >>> logits = keras_recipes.losses.ArcFace(3, 4)([embeddings, labels])
    >>> train_model = keras.Model([images, labels], logits)
    >>> train_model.compile("adam", keras.losses.SparseCategoricalCrossentropy(
    ...     from_logits=True))
    >>> embedder = keras.Model(images, embeddings)  # for retrieval

    Reference:
        Deng et al., ArcFace: Additive Angular Margin Loss for Deep Face
        Recognition, https://arxiv.org/abs/1801.07698
    """

    def __init__(self, num_classes, embedding_dim, margin=0.5, scale=64.0,
                 center_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        check_number("num_classes", num_classes, min_value=1, integer=True)
        check_number("embedding_dim", embedding_dim, min_value=1, integer=True)
        check_number("margin", margin, min_value=0.0, max_value=math.pi / 2)
        check_number("scale", scale, min_value=0.0, min_inclusive=False)
        self.num_classes = num_classes
        self.embedding_dim = embedding_dim
        self.margin = margin
        self.scale = scale
        self.center_initializer = keras.initializers.get(center_initializer)
        self.centers = self.add_weight(
            shape=(embedding_dim, num_classes),
            initializer=self.center_initializer,
            name="centers",
        )

    def build(self, input_shape):
        self.built = True

    def call(self, inputs, labels=None):
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != 2 or labels is not None:
                raise ValueError(
                    "Expected `inputs` to be embeddings or a list "
                    "[embeddings, labels]. Received: a list of "
                    f"{len(inputs)} tensors"
                )
            inputs, labels = inputs
        emb = l2_normalize(ops.cast(inputs, self.compute_dtype))
        centers = l2_normalize(ops.cast(self.centers, emb.dtype), axis=0)
        cos = ops.clip(ops.matmul(emb, centers), -1.0, 1.0)
        if labels is None:
            return self.scale * cos
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        one_hot = ops.one_hot(labels, self.num_classes, dtype=cos.dtype)
        sin = safe_sqrt(1.0 - ops.square(cos))
        m = self.margin
        phi = cos * math.cos(m) - sin * math.sin(m)
        # Past theta = pi - m, cos(theta + m) would increase again.
        phi = ops.where(
            ops.greater(cos, math.cos(math.pi - m)),
            phi, cos - math.sin(math.pi - m) * m,
        )
        return self.scale * (one_hot * phi + (1.0 - one_hot) * cos)

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list) and isinstance(
            input_shape[0], (list, tuple)
        ):
            input_shape = input_shape[0]
        return (input_shape[0], self.num_classes)

    def get_config(self):
        config = super().get_config()
        config.update(
            num_classes=self.num_classes,
            embedding_dim=self.embedding_dim,
            margin=self.margin,
            scale=self.scale,
            center_initializer=keras.initializers.serialize(
                self.center_initializer
            ),
        )
        return config
