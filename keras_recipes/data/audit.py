"""`audit`: what is wrong with a labelled dataset before training on it.

Exact and near duplicates, train/test leakage, conflicting labels, bad
values, class imbalance and likely label errors (confident learning). NumPy
only; memory stays bounded by working in chunks (never an N x N matrix).
"""

import math
import sys
import time

import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.data._audit_report import AuditReport
from keras_recipes.data._confident_learning import _confident_learning
from keras_recipes.utils.progress import Progress
from keras_recipes.utils.validation import check_data_format
from keras_recipes.utils.validation import check_number

# Images are average-pooled to at most this many pixels per side before the
# pixel cosine similarity (see the method card for the measured trade-off).
POOLED_SIDE = 16


# --------------------------------------------------------------------------
# Input checks.


def _samples(name, x, n=None):
    if x is None:
        raise TypeError(f"Expected `{name}` to be an array. Received: "
                        f"{name}=None")
    x = np.asarray(x)
    if x.dtype == object or not (np.issubdtype(x.dtype, np.number)
                                 or x.dtype == bool):
        raise TypeError(
            f"Expected `{name}` to be a numeric array. Received: {name} of "
            f"dtype {x.dtype}"
        )
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(
            f"Expected `{name}` of shape (N, ...) with N >= 1 and at least "
            f"one feature per sample. Received: {name}.shape={x.shape}"
        )
    if n is not None and x.shape[0] != n:
        raise ValueError(
            f"Expected `{name}` to hold {n} samples. Received: "
            f"{name}.shape={x.shape}"
        )
    return x


def _labels(name, y, n):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = np.argmax(y, axis=1)
    elif y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(
            f"Expected `{name}` of shape ({n},), ({n}, 1) or ({n}, C). "
            f"Received: {name}.shape={y.shape}"
        )
    if not (np.issubdtype(y.dtype, np.integer)
            or (np.issubdtype(y.dtype, np.floating)
                and np.all(np.isfinite(y)) and np.all(y == np.round(y)))):
        raise TypeError(
            f"Expected `{name}` to hold integer class ids. Received: "
            f"{name} of dtype {y.dtype} with values such as "
            f"{y[:5].tolist()}"
        )
    if y.min() < 0:
        raise ValueError(
            f"Expected `{name}` to hold class ids >= 0. Received: a "
            f"minimum of {y.min()}"
        )
    return y.astype("int64")


def _probabilities(probabilities, n, num_classes):
    p = np.asarray(probabilities, dtype="float64")
    if p.ndim != 2 or p.shape[0] != n or p.shape[1] < 2:
        raise ValueError(
            f"Expected `probabilities` of shape ({n}, C) with C >= 2, one "
            "row of out-of-fold class probabilities per sample. Received: "
            f"probabilities.shape={p.shape}"
        )
    if p.shape[1] < num_classes:
        raise ValueError(
            f"Expected `probabilities` to have a column for each of the "
            f"{num_classes} classes in `y`. Received: "
            f"probabilities.shape={p.shape}"
        )
    if not np.all(np.isfinite(p)):
        raise ValueError(
            "Expected `probabilities` to hold finite values in [0, 1]. "
            f"Received: {int(np.sum(~np.isfinite(p)))} NaN or inf values"
        )
    if p.min() < 0 or p.max() > 1:
        raise ValueError(
            "Expected `probabilities` to hold finite values in [0, 1]. "
            f"Received: values in [{p.min()}, {p.max()}]"
        )
    sums = p.sum(axis=1)
    if np.max(np.abs(sums - 1.0)) > 1e-3:
        raise ValueError(
            "Expected each row of `probabilities` to sum to 1 (softmax "
            "outputs, not logits). Received: row sums in "
            f"[{sums.min():.4f}, {sums.max():.4f}]"
        )
    return p


def _embeddings(name, e, n):
    e = np.asarray(e, dtype="float32")
    if e.ndim != 2 or e.shape[0] != n:
        raise ValueError(
            f"Expected `{name}` of shape ({n}, D). Received: "
            f"{name}.shape={e.shape}"
        )
    return e


# --------------------------------------------------------------------------
# Progress lines (`verbose=True`).


class _Progress:
    """A line per short step, and a progress bar (`utils.progress`) over
    the chunks of each chunked similarity search."""

    def __init__(self, verbose, stream=None):
        self.verbose = verbose
        self.stream = stream
        self.bar = None

    def start(self, what):
        if self.verbose:
            print(f"audit: {what}", file=self.stream or sys.stdout,
                  flush=True)

    def step(self, what, done, total):
        """Called with `done` = 0 when a chunked step starts, then after
        each chunk; the bar closes when `done == total`."""
        if not self.verbose or total <= 0:
            return
        if done == 0 or self.bar is None:
            self.bar = Progress(total, description=f"audit: {what}",
                                unit="chunk", stream=self.stream)
        if done:
            self.bar.update(done - self.bar.done)
        if done >= total:
            self.bar.close()
            self.bar = None


# --------------------------------------------------------------------------
# Building blocks (vectorized; the loops are over chunks or classes).


def _row_keys(rows):
    """One opaque `np.void` key per row: equal keys mean equal bytes."""
    rows = np.ascontiguousarray(rows)
    width = rows.dtype.itemsize * rows.shape[1]
    return rows.view(np.dtype((np.void, width))).reshape(-1)


def _groups(ids, members):
    """Split `members` (sorted by `ids`) into arrays of equal id."""
    if members.size == 0:
        return []
    order = np.argsort(ids[members], kind="stable")
    sorted_members = members[order]
    cuts = np.flatnonzero(np.diff(ids[sorted_members])) + 1
    return np.split(sorted_members, cuts)


def _value_stats(rows, chunk_size):
    """Per-sample finiteness, min and max over the finite values."""
    n = rows.shape[0]
    finite = np.ones(n, bool)
    low = np.empty(n, "float64")
    high = np.empty(n, "float64")
    inexact = np.issubdtype(rows.dtype, np.inexact)
    for start in range(0, n, chunk_size):
        block = rows[start:start + chunk_size]
        if inexact:
            ok = np.isfinite(block)
            finite[start:start + len(block)] = ok.all(axis=1)
            low[start:start + len(block)] = np.where(ok, block, np.inf).min(1)
            high[start:start + len(block)] = np.where(
                ok, block, -np.inf).max(1)
        else:
            low[start:start + len(block)] = block.min(axis=1)
            high[start:start + len(block)] = block.max(axis=1)
    constant = finite & (low == high)
    has_finite = np.isfinite(low)
    value_range = (
        [float(low[has_finite].min()), float(high[has_finite].max())]
        if has_finite.any() else [None, None]
    )
    return finite, constant, value_range


def _pixel_features(x, data_format, chunk_size):
    """Average-pooled (at most `POOLED_SIDE` per side), flattened pixels."""
    if x.ndim == 2:
        return x.astype("float32"), f"{x.shape[1]} values"
    if x.ndim == 3:
        x = x[..., None]
    elif x.ndim == 4 and data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)
    elif x.ndim > 4:
        x = x.reshape(x.shape[:3] + (-1,))
    n, h, w, c = x.shape
    f = max(1, math.ceil(max(h, w) / POOLED_SIDE))
    hp, wp = max(1, h // f), max(1, w // f)
    fh, fw = min(f, h), min(f, w)
    out = np.empty((n, hp * wp * c), "float32")
    for start in range(0, n, chunk_size):
        block = x[start:start + chunk_size, :hp * fh, :wp * fw]
        block = block.astype("float32").reshape(-1, hp, fh, wp, fw, c)
        out[start:start + len(block)] = block.mean(axis=(2, 4)).reshape(
            len(block), -1)
    return out, f"pixels pooled to {hp}x{wp}"


def _normalize(features, valid, center):
    """Rows scaled to unit norm, centred first for pixels (the cosine is
    then the Pearson correlation of the thumbnails); invalid or constant
    rows become zero (they match nothing)."""
    f = np.where(np.isfinite(features), features, 0.0).astype("float32")
    if center:
        f -= f.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(f, axis=1, keepdims=True)
    ok = valid & (norm[:, 0] > 1e-6 * max(1.0, float(norm.max(initial=0))))
    f /= np.where(norm > 0, norm, 1.0)
    f[~ok] = 0.0
    return f, ok


def _similar_pairs(a, b, threshold, chunk_size, progress, what):
    """Pairs with cosine >= `threshold` between rows of `b` and `a` (or
    within `a` when `b` is None, `i < j`), chunk x N blocks at a time."""
    rows, cols, sims = [], [], []
    self_mode = b is None
    query = a if self_mode else b
    total = math.ceil(len(query) / chunk_size)
    for k, start in enumerate(range(0, len(query), chunk_size)):
        progress.step(what, k, total)
        block = query[start:start + chunk_size]
        other = a[start:] if self_mode else a
        s = block @ other.T
        i, j = np.nonzero(s >= threshold)
        if self_mode:
            # Keep j > i only (the block starts on the diagonal).
            upper = j > i
            i, j = i[upper], j[upper]
        rows.append(i + start)
        cols.append(j + start if self_mode else j)
        sims.append(s[i, j])
    progress.step(what, total, total)
    if not rows:
        return np.zeros((0, 2), "int64"), np.zeros(0, "float32")
    pairs = np.stack([np.concatenate(rows), np.concatenate(cols)], axis=1)
    return pairs.astype("int64"), np.concatenate(sims).astype("float32")


@keras_recipes_export("keras_recipes.data.audit")
def audit(x, y, x_test=None, y_test=None, probabilities=None,
          embeddings=None, test_embeddings=None, near_threshold=0.998,
          chunk_size=512, data_format=None, verbose=False):
    """Audit a labelled dataset: duplicates, leakage, bad values, label
    errors.

    Finds, without training anything:

    - exact duplicates in the training set (identical bytes) and the groups
      of them whose labels disagree (conflicting labels);
    - near duplicates: pairs with cosine similarity `>= near_threshold`
      over `embeddings` when given, otherwise over the pixels average-pooled
      to at most 16x16 and centred (so the similarity is the correlation of
      the thumbnails). Computed `chunk_size` rows at a time, never as an
      N x N matrix;
    - train/test leakage, exact and near, when `x_test` is given;
    - samples holding NaN or inf, constant samples, the value range;
    - class counts and the imbalance ratio;
    - with out-of-fold `probabilities`, likely label errors by confident
      learning (Northcutt et al., 2021): per-class thresholds, the
      calibrated confident joint, then "prune by noise rate", ranked by
      self-confidence. This is the default of
      `cleanlab.filter.find_label_issues`.

    `probabilities` must be out-of-fold (each row from a model that did not
    train on that sample, e.g. `sklearn.model_selection.cross_val_predict`
    with `method="predict_proba"`); in-sample probabilities memorize the
    noise and hide the errors.

    Args:
        x: training samples `(N, ...)`: images `(N, H, W)`, `(N, H, W, C)`
            (see `data_format`) or feature vectors `(N, D)`.
        y: integer labels `(N,)` or `(N, 1)`, or one-hot `(N, C)`.
        x_test: test samples with the shape of a training sample, or
            `None`. Defaults to `None`.
        y_test: test labels, or `None`. Defaults to `None`.
        probabilities: out-of-fold class probabilities `(N, C)`, or `None`
            to skip the label-error search. Defaults to `None`.
        embeddings: `(N, D)` features for the near-duplicate search (e.g.
            a pretrained network's), or `None` for pooled pixels. Defaults
            to `None`.
        test_embeddings: `(N_test, D)` features of `x_test`; required with
            `embeddings` and `x_test`. Defaults to `None`.
        near_threshold: cosine similarity in `(0, 1]` from which two
            samples are near duplicates. Defaults to `0.998` (on
            Fashion-MNIST's pooled pixels, 0.99 also pairs look-alike
            trousers; see the method card).
        chunk_size: rows compared at a time; memory is about
            `chunk_size * N * 5` bytes. Defaults to `512`.
        data_format: `"channels_last"` or `"channels_first"` for 4-D `x`.
            Defaults to `keras.config.image_data_format()`.
        verbose: print a line per step and a progress bar over the chunks
            of the similarity searches (tqdm when installed, else Keras's).
            Defaults to `False`.

    Returns:
        An `AuditReport` (`summary()`, `to_dict()`, `to_html(path, x=x)`).

    Example:

    >>> x = np.random.default_rng(0).random((6, 4, 4))
    >>> x[5] = x[0]                      # an exact duplicate...
    >>> y = np.array([0, 1, 0, 1, 0, 1])  # ...with another label
    >>> report = keras_recipes.data.audit(x, y)
    >>> [g.tolist() for g in report.label_conflicts]
    [[0, 5]]
    >>> report.counts()["exact_duplicates"]
    1

    Reference:
        - [Northcutt et al., 2021](https://arxiv.org/abs/1911.00068),
          "Confident Learning: Estimating Uncertainty in Dataset Labels".
    """
    timings = {}
    progress = _Progress(verbose)
    check_number("near_threshold", near_threshold, min_value=0.0,
                 max_value=1.0, min_inclusive=False)
    check_number("chunk_size", chunk_size, min_value=1, integer=True)
    if not isinstance(verbose, (bool, int, np.integer)):
        raise TypeError(f"Expected `verbose` to be a bool. Received: "
                        f"verbose={verbose!r}")
    data_format = check_data_format(data_format)
    x = _samples("x", x)
    n = x.shape[0]
    y = _labels("y", y, n)
    if y_test is not None and x_test is None:
        raise ValueError("Expected `x_test` together with `y_test`. "
                         "Received: x_test=None and an array for y_test")
    if x_test is not None:
        x_test = _samples("x_test", x_test)
        if x_test.shape[1:] != x.shape[1:]:
            raise ValueError(
                "Expected `x_test` samples of the shape of `x`'s, "
                f"{x.shape[1:]}. Received: x_test.shape={x_test.shape}"
            )
        y_test = (None if y_test is None
                  else _labels("y_test", y_test, x_test.shape[0]))
    if embeddings is not None:
        embeddings = _embeddings("embeddings", embeddings, n)
        if x_test is not None and test_embeddings is None:
            raise ValueError(
                "Expected `test_embeddings` with `embeddings` and `x_test` "
                "(the near-leak search compares them). Received: "
                "test_embeddings=None"
            )
    if test_embeddings is not None:
        if x_test is None or embeddings is None:
            raise ValueError(
                "Expected `test_embeddings` only together with `x_test` and "
                "`embeddings`. Received: test_embeddings of shape "
                f"{np.shape(test_embeddings)}"
            )
        test_embeddings = _embeddings("test_embeddings", test_embeddings,
                                      x_test.shape[0])
        if test_embeddings.shape[1] != embeddings.shape[1]:
            raise ValueError(
                f"Expected `test_embeddings` with {embeddings.shape[1]} "
                "columns, like `embeddings`. Received: "
                f"test_embeddings.shape={test_embeddings.shape}"
            )
    num_classes = int(max(y.max(), -1 if y_test is None else y_test.max())
                      ) + 1
    if probabilities is not None:
        probabilities = _probabilities(probabilities, n, num_classes)
        num_classes = probabilities.shape[1]

    # Exact duplicates and leaks: equal bytes (test cast to train's dtype
    # when they differ).
    start = time.perf_counter()
    progress.start("exact duplicates")
    rows = x.reshape(n, -1)
    if x_test is not None:
        rows_test = x_test.reshape(x_test.shape[0], -1)
        dtype = np.result_type(rows.dtype, rows_test.dtype)
        keys = _row_keys(np.concatenate(
            [rows.astype(dtype, copy=False),
             rows_test.astype(dtype, copy=False)]))
    else:
        keys = _row_keys(rows)
    _, ids, counts = np.unique(keys, return_inverse=True, return_counts=True)
    ids = ids.reshape(-1)
    train_ids = ids[:n]
    train_counts = np.bincount(train_ids, minlength=len(counts))
    exact = _groups(train_ids, np.flatnonzero(train_counts[train_ids] > 1))
    conflicts = [g for g in exact if y[g].min() != y[g].max()]
    if x_test is not None:
        test_ids = ids[n:]
        first_train = np.full(len(counts), -1, "int64")
        present, first = np.unique(train_ids, return_index=True)
        first_train[present] = first
        leaked = np.flatnonzero(first_train[test_ids] >= 0)
        exact_leaks = np.stack([leaked, first_train[test_ids[leaked]]],
                               axis=1).astype("int64")
        if y_test is not None:
            differ = y_test[exact_leaks[:, 0]] != y[exact_leaks[:, 1]]
            leak_conflicts = exact_leaks[differ]
        else:
            leak_conflicts = np.zeros((0, 2), "int64")
    else:
        exact_leaks = np.zeros((0, 2), "int64")
        leak_conflicts = np.zeros((0, 2), "int64")
    del keys
    timings["exact"] = time.perf_counter() - start

    # Values.
    start = time.perf_counter()
    finite, constant, value_range = _value_stats(rows, chunk_size)
    if x_test is not None:
        finite_t, constant_t, test_range = _value_stats(rows_test,
                                                        chunk_size)
    else:
        finite_t = constant_t = np.ones(0, bool)
        test_range = None
    timings["values"] = time.perf_counter() - start

    # Near duplicates and near leaks.
    start = time.perf_counter()
    progress.start("values and features")
    if embeddings is not None:
        feats, what = embeddings, f"embeddings ({embeddings.shape[1]}-d)"
        feats_t = test_embeddings
        valid, valid_t = np.all(np.isfinite(feats), 1), None
    else:
        feats, what = _pixel_features(x, data_format, chunk_size)
        valid_t = None
        feats_t = (None if x_test is None
                   else _pixel_features(x_test, data_format, chunk_size)[0])
        valid = finite
    feats, _ = _normalize(feats, valid, embeddings is None)
    pairs, sims = _similar_pairs(feats, None, near_threshold, chunk_size,
                                 progress, "near duplicates in train")
    keep = train_ids[pairs[:, 0]] != train_ids[pairs[:, 1]]
    pairs, sims = pairs[keep], sims[keep]
    if x_test is not None:
        if valid_t is None:
            valid_t = (finite_t if embeddings is None
                       else np.all(np.isfinite(feats_t), 1))
        feats_t, _ = _normalize(feats_t, valid_t, embeddings is None)
        leaks, leak_sims = _similar_pairs(
            feats, feats_t, near_threshold, chunk_size, progress,
            "near train/test leaks")
        keep = test_ids[leaks[:, 0]] != train_ids[leaks[:, 1]]
        leaks, leak_sims = leaks[keep], leak_sims[keep]
    else:
        leaks = np.zeros((0, 2), "int64")
        leak_sims = np.zeros(0, "float32")
    timings["near"] = time.perf_counter() - start

    # Classes.
    class_counts = np.bincount(y, minlength=num_classes)
    nonzero = class_counts[class_counts > 0]
    imbalance = float(nonzero.max() / nonzero.min())
    test_class_counts = (None if y_test is None
                         else np.bincount(y_test, minlength=num_classes))

    # Label errors.
    start = time.perf_counter()
    issues = self_conf = suggested = joint = thresholds = noise = None
    if probabilities is not None:
        progress.start("label issues")
        mask, thresholds, joint = _confident_learning(y, probabilities)
        flagged = np.flatnonzero(mask)
        conf = probabilities[flagged, y[flagged]]
        order = np.argsort(conf, kind="stable")
        issues = flagged[order]
        self_conf = conf[order]
        suggested = probabilities[issues].argmax(axis=1)
        noise = float((joint.sum() - np.trace(joint)) / max(joint.sum(), 1))
        timings["label_issues"] = time.perf_counter() - start

    return AuditReport(
        num_samples=int(n),
        num_test_samples=0 if x_test is None else int(x_test.shape[0]),
        sample_shape=tuple(int(s) for s in x.shape[1:]),
        dtype=str(x.dtype),
        num_classes=int(num_classes),
        class_counts=class_counts,
        test_class_counts=test_class_counts,
        imbalance_ratio=imbalance,
        empty_classes=np.flatnonzero(class_counts == 0),
        value_range=value_range,
        test_value_range=test_range,
        nonfinite=np.flatnonzero(~finite),
        test_nonfinite=np.flatnonzero(~finite_t),
        constant=np.flatnonzero(constant),
        test_constant=np.flatnonzero(constant_t),
        exact_duplicates=exact,
        near_duplicates=pairs,
        near_duplicate_similarity=sims,
        label_conflicts=conflicts,
        exact_leaks=exact_leaks,
        leak_label_conflicts=leak_conflicts,
        near_leaks=leaks,
        near_leak_similarity=leak_sims,
        label_issues=issues,
        label_issue_self_confidence=self_conf,
        suggested_labels=suggested,
        confident_joint=joint,
        confident_thresholds=thresholds,
        estimated_noise_rate=noise,
        near_threshold=float(near_threshold),
        features=what,
        timings=timings,
        labels=y,
        test_labels=y_test,
    )
