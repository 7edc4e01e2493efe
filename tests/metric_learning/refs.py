"""Slow NumPy references for the metric-learning tests (no TF/PML needed).

`tfa_*` port TensorFlow Addons' published algorithm
(tensorflow_addons/losses/triplet.py and metric_learning.pairwise_distance,
v0.23) line by line: tile/reshape/masked-min/max. The `loop_*` functions
are the definitions written as explicit loops over pairs and triplets.
"""

import math

import keras
import numpy as np


# --------------------------------------------------------------------------
# TensorFlow Addons, vectorized exactly as published.
def tfa_pairwise_distance(feature, squared):
    f = feature.astype("float64")
    sq = (
        np.sum(f ** 2, axis=1, keepdims=True)
        + np.sum(f.T ** 2, axis=0, keepdims=True)
        - 2.0 * f @ f.T
    )
    sq = np.maximum(sq, 0.0)
    error_mask = sq <= 0.0
    if squared:
        d = sq
    else:
        d = np.sqrt(sq + error_mask * 1e-16)
    d = d * np.logical_not(error_mask)
    return d * (np.ones_like(d) - np.eye(len(f)))


def _masked_maximum(data, mask, dim=1):
    axis_minimums = np.min(data, dim, keepdims=True)
    return np.max((data - axis_minimums) * mask, dim, keepdims=True) + (
        axis_minimums
    )


def _masked_minimum(data, mask, dim=1):
    axis_maximums = np.max(data, dim, keepdims=True)
    return np.min((data - axis_maximums) * mask, dim, keepdims=True) + (
        axis_maximums
    )


def _tfa_pdist(embeddings, distance_metric):
    if distance_metric == "L_1":
        return tfa_pairwise_distance(embeddings, squared=False)
    if distance_metric == "L_2":
        return tfa_pairwise_distance(embeddings, squared=True)
    raise ValueError(distance_metric)


def tfa_triplet_semihard_loss(y_true, y_pred, margin=1.0,
                              distance_metric="L_2"):
    labels = np.reshape(y_true, (-1, 1))
    pdist_matrix = _tfa_pdist(y_pred, distance_metric)
    adjacency = labels == labels.T
    adjacency_not = np.logical_not(adjacency)
    batch_size = labels.size
    pdist_matrix_tile = np.tile(pdist_matrix, [batch_size, 1])
    mask = np.logical_and(
        np.tile(adjacency_not, [batch_size, 1]),
        pdist_matrix_tile > np.reshape(pdist_matrix.T, [-1, 1]),
    )
    mask_final = np.reshape(
        np.sum(mask.astype("float32"), 1, keepdims=True) > 0.0,
        [batch_size, batch_size],
    ).T
    adjacency_not = adjacency_not.astype("float64")
    mask = mask.astype("float64")
    negatives_outside = np.reshape(
        _masked_minimum(pdist_matrix_tile, mask), [batch_size, batch_size]
    ).T
    negatives_inside = np.tile(
        _masked_maximum(pdist_matrix, adjacency_not), [1, batch_size]
    )
    semi_hard_negatives = np.where(
        mask_final, negatives_outside, negatives_inside
    )
    loss_mat = margin + pdist_matrix - semi_hard_negatives
    mask_positives = adjacency.astype("float64") - np.eye(batch_size)
    num_positives = np.sum(mask_positives)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sum(np.maximum(loss_mat * mask_positives, 0.0)) / (
            num_positives
        )


def tfa_triplet_hard_loss(y_true, y_pred, margin=1.0, soft=False,
                          distance_metric="L_2"):
    labels = np.reshape(y_true, (-1, 1))
    pdist_matrix = _tfa_pdist(y_pred, distance_metric)
    adjacency = labels == labels.T
    adjacency_not = np.logical_not(adjacency).astype("float64")
    hard_negatives = _masked_minimum(pdist_matrix, adjacency_not)
    batch_size = labels.size
    mask_positives = adjacency.astype("float64") - np.eye(batch_size)
    hard_positives = _masked_maximum(pdist_matrix, mask_positives)
    if soft:
        loss = np.log1p(np.exp(hard_positives - hard_negatives))
    else:
        loss = np.maximum(hard_positives - hard_negatives + margin, 0.0)
    return np.mean(loss)


# --------------------------------------------------------------------------
# Explicit loops.
def loop_matrix(x, distance):
    """(matrix, is_inverted) computed pair by pair in float64."""
    x = np.asarray(x, "float64")
    n = len(x)
    m = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if distance == "euclidean":
                m[i, j] = math.sqrt(sum((x[i] - x[j]) ** 2))
            elif distance == "squared_euclidean":
                m[i, j] = sum((x[i] - x[j]) ** 2)
            elif distance == "cosine":
                ni = math.sqrt(sum(x[i] ** 2))
                nj = math.sqrt(sum(x[j] ** 2))
                m[i, j] = (
                    sum(x[i] * x[j]) / (ni * nj) if ni and nj else 0.0
                )
            elif distance == "dot_product":
                m[i, j] = sum(x[i] * x[j])
    return m, distance in ("cosine", "dot_product")


def loop_triplet(y, x, margin, mining, distance, soft=False):
    mat, inv = loop_matrix(x, distance)
    d = -mat if inv else mat
    n = len(y)

    def hinge(v):
        return math.log1p(math.exp(v)) if soft else max(v + margin, 0.0)

    if mining == "hard":
        total = 0.0
        for a in range(n):
            pos = [d[a, p] for p in range(n) if p != a and y[p] == y[a]]
            neg = [d[a, k] for k in range(n) if y[k] != y[a]]
            hp = max(pos) if pos else min(d[a])
            hn = min(neg) if neg else max(d[a])
            total += hinge(hp - hn)
        return total / n
    if mining == "semi_hard":
        total, count = 0.0, 0
        for a in range(n):
            negs = [k for k in range(n) if y[k] != y[a]]
            for p in range(n):
                if p == a or y[p] != y[a]:
                    continue
                outside = [d[a, k] for k in negs if d[a, k] > d[a, p]]
                if outside:
                    neg = min(outside)
                elif negs:
                    neg = max(d[a, k] for k in negs)
                else:
                    neg = min(d[a])
                total += hinge(d[a, p] - neg)
                count += 1
        return total / count if count else 0.0
    total, count = 0.0, 0
    for a in range(n):
        for p in range(n):
            if p == a or y[p] != y[a]:
                continue
            for k in range(n):
                if y[k] == y[a]:
                    continue
                v = hinge(d[a, p] - d[a, k])
                total += v
                count += 1 if (soft or v > 0) else 0
    return total / count if count else 0.0


def loop_contrastive(y, x, pos_margin, neg_margin, distance):
    mat, inv = loop_matrix(x, distance)
    pos, neg = [], []
    for i in range(len(y)):
        for j in range(len(y)):
            if i == j:
                continue
            if y[i] == y[j]:
                v = pos_margin - mat[i, j] if inv else mat[i, j] - pos_margin
                pos.append(max(v, 0.0))
            else:
                v = mat[i, j] - neg_margin if inv else neg_margin - mat[i, j]
                neg.append(max(v, 0.0))
    pos_nz = [v for v in pos if v > 0]
    neg_nz = [v for v in neg if v > 0]
    return (sum(pos_nz) / len(pos_nz) if pos_nz else 0.0) + (
        sum(neg_nz) / len(neg_nz) if neg_nz else 0.0
    )


def loop_supcon(y, x, temperature, distance):
    mat, inv = loop_matrix(x, distance)
    s = mat if inv else -mat
    losses = []
    for a in range(len(y)):
        pos = [p for p in range(len(y)) if p != a and y[p] == y[a]]
        if not pos:
            continue
        denom = sum(
            math.exp(s[a, j] / temperature)
            for j in range(len(y)) if j != a
        )
        losses.append(
            -sum(math.log(math.exp(s[a, p] / temperature) / denom)
                 for p in pos) / len(pos)
        )
    return sum(losses) / len(losses) if losses else 0.0


def loop_ntxent(x, temperature, distance="cosine"):
    """PML's NTXentLoss: one term per positive pair, averaged."""
    y = [i // 2 for i in range(len(x))]
    mat, inv = loop_matrix(x, distance)
    s = mat if inv else -mat
    terms = []
    for a in range(len(y)):
        for p in range(len(y)):
            if p == a or y[p] != y[a]:
                continue
            num = math.exp(s[a, p] / temperature)
            den = num + sum(
                math.exp(s[a, k] / temperature)
                for k in range(len(y)) if y[k] != y[a]
            )
            terms.append(-math.log(num / den))
    return sum(terms) / len(terms)


def loop_multi_similarity(y, x, alpha, beta, base, epsilon, distance):
    mat, inv = loop_matrix(x, distance)
    n = len(y)
    total = 0.0
    for a in range(n):
        pos = [p for p in range(n) if p != a and y[p] == y[a]]
        neg = [k for k in range(n) if y[k] != y[a]]
        if epsilon is not None:
            if not pos or not neg:
                pos, neg = [], []
            elif inv:
                min_pos = min(mat[a, p] for p in pos)
                max_neg = max(mat[a, k] for k in neg)
                neg_kept = [k for k in neg if mat[a, k] + epsilon > min_pos]
                pos = [p for p in pos if mat[a, p] - epsilon < max_neg]
                neg = neg_kept
            else:
                max_pos = max(mat[a, p] for p in pos)
                min_neg = min(mat[a, k] for k in neg)
                neg_kept = [k for k in neg if mat[a, k] - epsilon < max_pos]
                pos = [p for p in pos if mat[a, p] + epsilon > min_neg]
                neg = neg_kept

        def margin(u, v):
            return v - u if inv else u - v

        pos_sum = sum(math.exp(alpha * margin(mat[a, p], base)) for p in pos)
        neg_sum = sum(math.exp(beta * margin(base, mat[a, k])) for k in neg)
        total += math.log1p(pos_sum) / alpha + math.log1p(neg_sum) / beta
    return total / n


# --------------------------------------------------------------------------
def value_and_grad(fn, x):
    """Value and gradient of scalar `fn(tensor)` at NumPy `x` on the
    current backend."""
    backend = keras.backend.backend()
    x = np.asarray(x, "float32")
    if backend == "tensorflow":
        import tensorflow as tf

        t = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(t)
            v = fn(t)
        return float(v), tape.gradient(v, t).numpy()
    if backend == "jax":
        import jax

        v, g = jax.value_and_grad(fn)(jax.numpy.asarray(x))
        return float(v), np.asarray(g)
    import torch

    t = torch.tensor(x, requires_grad=True)
    v = fn(t)
    v.backward()
    return float(v.detach()), t.grad.numpy()
