"""Confident learning (Northcutt et al., 2021) for `data.audit`: the
calibrated confident joint and prune-by-noise-rate label issues."""

import numpy as np

# Ties in a probability row are broken towards the given label by this much
# (cleanlab's FLOATING_POINT_COMPARISON) when unflagging issues.
_TIE = 1e-6


def _round_rows(matrix):
    """Round to integers keeping each row's (rounded) total: largest
    remainders first."""
    floor = np.floor(matrix)
    remainder = matrix - floor
    deficit = np.round(matrix.sum(axis=1)) - floor.sum(axis=1)
    order = np.argsort(-remainder, axis=1, kind="stable")
    ranks = np.empty_like(order)
    k = matrix.shape[1]
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(k), order.shape),
                      axis=1)
    return (floor + (ranks < deficit[:, None])).astype("int64")


def _confident_learning(labels, p):
    """Confident learning (Northcutt et al., 2021), prune by noise rate.

    Returns the issue mask, the per-class thresholds and the calibrated
    confident joint `Q[given, true]` (counts summing to N)."""
    n, k = p.shape
    counts = np.bincount(labels, minlength=k).astype("float64")
    # t_j: mean self-confidence of the samples labelled j (eq. 2); a class
    # without samples is never "confident".
    sums = np.bincount(labels, weights=p[np.arange(n), labels], minlength=k)
    thresholds = np.where(counts > 0, sums / np.maximum(counts, 1), np.inf)
    # y*: the most probable class among those above their threshold (eq. 1).
    confident = p >= thresholds - 1e-6
    has_any = confident.any(axis=1)
    guess = np.where(confident, p, -np.inf).argmax(axis=1)
    joint = np.bincount(labels[has_any] * k + guess[has_any],
                        minlength=k * k).reshape(k, k).astype("float64")
    np.fill_diagonal(joint, np.maximum(np.diagonal(joint), 1))
    # Calibrate: rows to the label counts, then the total to N (eq. 3).
    joint = joint / np.maximum(joint.sum(axis=1, keepdims=True), 1e-12)
    joint = joint * counts[:, None]
    joint = joint / max(joint.sum(), 1e-12) * n
    joint = _round_rows(joint)
    # Prune by noise rate: for each off-diagonal (i, j), the Q[i, j]
    # samples labelled i with the largest margin p_j - p_i.
    issues = np.zeros(n, bool)
    for i in range(k):
        members = np.flatnonzero(labels == i)
        # Keep at least one sample per class.
        budget = max(0, len(members) - 1)
        for j in range(k):
            m = int(min(joint[i, j], budget))
            if i == j or m <= 0:
                continue
            margin = p[members, j] - p[members, i]
            top = np.argpartition(-margin, m - 1)[:m] if m < len(
                members) else np.arange(len(members))
            issues[members[top]] = True
    # Never flag a sample whose given label is (one of) its most probable.
    boosted = p.copy()
    boosted[np.arange(n), labels] += _TIE
    issues &= boosted.argmax(axis=1) != labels
    return issues, thresholds, joint
