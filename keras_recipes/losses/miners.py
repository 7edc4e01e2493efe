"""In-batch miners: pure functions that return boolean masks.

Each miner looks at the labels (and, for the hard-example miners, at a
pairwise matrix from a `keras_recipes.losses.distances` object) and returns
masks over pairs `(B, B)` or triplets `(B, B, B)` indexed
`[anchor, positive]`, `[anchor, negative]` or `[anchor, positive, negative]`.
Losses combine the masks with the matrix; nothing here is differentiated.
"""

from keras import ops

from keras_recipes.api_export import keras_recipes_export

__all__ = [
    "multi_similarity_pair_masks",
    "pair_masks",
    "semi_hard_negative_mask",
    "triplet_mask",
]


def flat_labels(labels):
    """Labels of shape (B,) or (B, 1) as a (B,) tensor."""
    labels = ops.convert_to_tensor(labels)
    return ops.reshape(labels, (-1,))


@keras_recipes_export("keras_recipes.losses.miners.pair_masks")
def pair_masks(labels):
    """Positive and negative pair masks of a batch.

    Args:
        labels: Integer labels of shape `(B,)` or `(B, 1)`.

    Returns:
        `(positive, negative)`, two boolean `(B, B)` masks.
        `positive[i, j]` is true when `i != j` and the labels are equal;
        `negative[i, j]` when the labels differ.

    Example:

    >>> pos, neg = keras_recipes.losses.miners.pair_masks(np.array([0, 0, 1]))
    >>> keras.ops.convert_to_numpy(pos).astype(int).tolist()
    [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    >>> keras.ops.convert_to_numpy(neg).astype(int).tolist()
    [[0, 0, 1], [0, 0, 1], [1, 1, 0]]
    """
    labels = flat_labels(labels)
    same = ops.equal(labels[:, None], labels[None, :])
    n = ops.shape(labels)[0]
    not_eye = ops.logical_not(ops.cast(ops.eye(n), "bool"))
    return ops.logical_and(same, not_eye), ops.logical_not(same)


@keras_recipes_export("keras_recipes.losses.miners.triplet_mask")
def triplet_mask(labels):
    """Mask of every valid triplet `(anchor, positive, negative)`.

    Args:
        labels: Integer labels of shape `(B,)` or `(B, 1)`.

    Returns:
        A boolean `(B, B, B)` mask, true where `a != p`,
        `label[a] == label[p]` and `label[a] != label[n]`.

    Example:

    >>> m = keras_recipes.losses.miners.triplet_mask(np.array([0, 0, 1]))
    >>> int(keras.ops.sum(keras.ops.cast(m, "int32")))
    2
    """
    pos, neg = pair_masks(labels)
    return ops.logical_and(pos[:, :, None], neg[:, None, :])


@keras_recipes_export("keras_recipes.losses.miners.semi_hard_negative_mask")
def semi_hard_negative_mask(dissimilarity, labels):
    """Negatives farther from the anchor than the positive (FaceNet).

    Args:
        dissimilarity: `(B, B)` matrix in which smaller means closer (use
            `distance.dissimilarity(matrix)`).
        labels: Integer labels of shape `(B,)` or `(B, 1)`.

    Returns:
        A boolean `(B, B, B)` mask, true at `[a, p, n]` when `(a, p)` is a
        positive pair, `n` a negative of `a` and `d[a, n] > d[a, p]`. The
        semi-hard negative of `(a, p)` is the closest such `n`.

    Example:

    >>> d = np.array([[0, 1, 2], [1, 0, 0.5], [2, 0.5, 0]], "float32")
    >>> m = keras_recipes.losses.miners.semi_hard_negative_mask(
    ...     d, np.array([0, 0, 1]))
    >>> keras.ops.convert_to_numpy(m[0, 1]).astype(int).tolist()
    [0, 0, 1]
    >>> keras.ops.convert_to_numpy(m[1, 0]).astype(int).tolist()
    [0, 0, 0]
    """
    d = ops.convert_to_tensor(dissimilarity)
    pos, neg = pair_masks(labels)
    farther = ops.greater(d[:, None, :], d[:, :, None])
    return ops.logical_and(
        ops.logical_and(pos[:, :, None], neg[:, None, :]), farther
    )


@keras_recipes_export("keras_recipes.losses.miners.multi_similarity_pair_masks")
def multi_similarity_pair_masks(matrix, labels, distance, epsilon=0.1):
    """The pair-mining step of the Multi-Similarity loss.

    A negative pair `(a, n)` is kept when it is closer than the farthest
    positive of `a` plus `epsilon`; a positive pair `(a, p)` is kept when
    it is farther than the closest negative of `a` minus `epsilon`. For a
    similarity: `S[a, n] + epsilon > min_p S[a, p]` and
    `S[a, p] - epsilon < max_n S[a, n]`. Anchors with no positive (or no
    negative) keep no pair.

    Args:
        matrix: `(B, B)` pairwise matrix from `distance`.
        labels: Integer labels of shape `(B,)` or `(B, 1)`.
        distance: The `Distance` object that produced `matrix` (only its
            `is_inverted` flag is read).
        epsilon: Mining margin. Defaults to `0.1`.

    Returns:
        `(positive, negative)` boolean `(B, B)` masks of the kept pairs.

    Example:

    >>> s = np.array([[1, .9, .2], [.9, 1, .95], [.2, .95, 1]], "float32")
    >>> pos, neg = keras_recipes.losses.miners.multi_similarity_pair_masks(
    ...     s, np.array([0, 0, 1]),
    ...     keras_recipes.losses.distances.CosineSimilarity())
    >>> keras.ops.convert_to_numpy(pos).astype(int).tolist()
    [[0, 0, 0], [1, 0, 0], [0, 0, 0]]
    >>> keras.ops.convert_to_numpy(neg).astype(int).tolist()
    [[0, 0, 0], [0, 0, 1], [0, 0, 0]]
    """
    d = distance.dissimilarity(ops.convert_to_tensor(matrix))
    pos, neg = pair_masks(labels)
    big = ops.convert_to_tensor(float("inf"), d.dtype)
    # In dissimilarity terms: farthest positive and closest negative.
    far_pos = ops.max(ops.where(pos, d, -big), axis=1, keepdims=True)
    near_neg = ops.min(ops.where(neg, d, big), axis=1, keepdims=True)
    keep_neg = ops.logical_and(neg, ops.less(d - epsilon, far_pos))
    keep_pos = ops.logical_and(pos, ops.greater(d + epsilon, near_neg))
    return keep_pos, keep_neg
