"""`audit`: what is wrong with a labelled dataset before training on it.

Exact and near duplicates, train/test leakage, conflicting labels, bad
values, class imbalance and likely label errors (confident learning). NumPy
only; memory stays bounded by working in chunks (never an N x N matrix).
"""

import json
import math
import sys
import time

import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.data._audit_html import render_html
from keras_recipes.utils.html import write_text
from keras_recipes.utils.progress import Progress
from keras_recipes.utils.validation import check_data_format
from keras_recipes.utils.validation import check_number

# Images are average-pooled to at most this many pixels per side before the
# pixel cosine similarity (see the method card for the measured trade-off).
POOLED_SIDE = 16
# Ties in a probability row are broken towards the given label by this much
# (cleanlab's FLOATING_POINT_COMPARISON) when unflagging issues.
_TIE = 1e-6


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


# --------------------------------------------------------------------------
# The report.


def _to_list(value):
    if isinstance(value, np.ndarray):
        if np.issubdtype(value.dtype, np.inexact) and not np.all(
                np.isfinite(value)):
            value = np.where(np.isfinite(value), value, None)
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_to_list(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_list(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class AuditReport:
    """The findings of `keras_recipes.data.audit`, with text, JSON and HTML
    views.

    Index arrays refer to the training set unless named `test_*`; pairs are
    `(i, j)` rows of an `(P, 2)` int64 array.

    Attributes:
        num_samples, num_test_samples: sizes of the two sets (`0` without a
            test set).
        sample_shape, dtype: shape of one sample and the array's dtype.
        num_classes: number of classes (columns of `probabilities`, or the
            largest label + 1).
        class_counts, test_class_counts: samples per class, `(C,)`.
        imbalance_ratio: largest over smallest non-zero class count.
        empty_classes: classes with no training sample.
        value_range, test_value_range: `[min, max]` over the finite values.
        nonfinite, test_nonfinite: samples holding NaN or inf.
        constant, test_constant: samples whose values are all equal.
        exact_duplicates: list of index arrays, each a group of identical
            training samples (same bytes).
        near_duplicates, near_duplicate_similarity: training pairs `(i, j)`,
            `i < j`, with cosine similarity `>= near_threshold`, exact
            duplicates excluded, and their similarities.
        label_conflicts: the groups of `exact_duplicates` whose labels
            differ.
        exact_leaks: `(test_index, train_index)` pairs of identical samples
            (one train index per leaked test sample).
        leak_label_conflicts: the rows of `exact_leaks` whose labels differ.
        near_leaks, near_leak_similarity: `(test_index, train_index)` pairs
            with similarity `>= near_threshold`, exact leaks excluded.
        label_issues: likely label errors (confident learning), most
            suspicious first (lowest self-confidence), or `None` without
            `probabilities`.
        label_issue_self_confidence, suggested_labels: for each of
            `label_issues`, the probability of its given label and the most
            probable class.
        confident_joint: calibrated `(C, C)` counts of (given, true) labels.
        confident_thresholds: per-class thresholds `t_j`.
        estimated_noise_rate: off-diagonal share of `confident_joint`.
        near_threshold, features: the similarity threshold and what it was
            computed on.
        timings: seconds per step.
    """

    _FIELDS = (
        "num_samples", "num_test_samples", "sample_shape", "dtype",
        "num_classes", "class_counts", "test_class_counts",
        "imbalance_ratio", "empty_classes", "value_range",
        "test_value_range", "nonfinite", "test_nonfinite", "constant",
        "test_constant", "exact_duplicates", "near_duplicates",
        "near_duplicate_similarity", "label_conflicts", "exact_leaks",
        "leak_label_conflicts", "near_leaks", "near_leak_similarity",
        "label_issues", "label_issue_self_confidence", "suggested_labels",
        "confident_joint", "confident_thresholds", "estimated_noise_rate",
        "near_threshold", "features", "timings", "labels", "test_labels",
    )

    def __init__(self, **findings):
        unknown = sorted(set(findings) - set(self._FIELDS))
        if unknown:
            raise TypeError(
                f"Expected findings among {list(self._FIELDS)}. Received: "
                f"unknown {unknown}"
            )
        for name in self._FIELDS:
            setattr(self, name, findings.get(name))

    # Counts used by every view.
    @property
    def num_exact_duplicates(self):
        """Redundant training samples: each group's size minus one."""
        return int(sum(len(g) - 1 for g in self.exact_duplicates))

    def counts(self):
        """The number of findings of each kind, as a dict."""
        li = self.label_issues
        return {
            "exact_duplicate_groups": len(self.exact_duplicates),
            "exact_duplicates": self.num_exact_duplicates,
            "near_duplicate_pairs": int(len(self.near_duplicates)),
            "label_conflicts": len(self.label_conflicts),
            "exact_leaks": int(len(self.exact_leaks)),
            "leak_label_conflicts": int(len(self.leak_label_conflicts)),
            "near_leaks": int(len(np.unique(self.near_leaks[:, 0]))),
            "near_leak_pairs": int(len(self.near_leaks)),
            "nonfinite": int(len(self.nonfinite)),
            "test_nonfinite": int(len(self.test_nonfinite)),
            "constant": int(len(self.constant)),
            "test_constant": int(len(self.test_constant)),
            "label_issues": None if li is None else int(len(li)),
        }

    def summary(self):
        """A few lines of text: one per kind of finding."""
        c = self.counts()
        shape = "x".join(str(s) for s in self.sample_shape)
        lines = [
            f"Dataset audit: {self.num_samples} training samples "
            f"({shape}, {self.dtype}), {self.num_classes} classes"
            + (f"; {self.num_test_samples} test samples."
               if self.num_test_samples else "; no test set."),
            f"  exact duplicates:   {c['exact_duplicates']} redundant "
            f"samples in {c['exact_duplicate_groups']} groups",
            f"  near duplicates:    {c['near_duplicate_pairs']} pairs "
            f"(cosine >= {self.near_threshold} over {self.features})",
            f"  label conflicts:    {c['label_conflicts']} groups of exact "
            "duplicates with different labels",
        ]
        if self.num_test_samples:
            lines.append(
                f"  train/test leakage: {c['exact_leaks']} exact "
                f"({c['leak_label_conflicts']} with another label), "
                f"{c['near_leaks']} near test samples"
            )
        lines.append(
            f"  bad values:         {c['nonfinite']} non-finite and "
            f"{c['constant']} constant training samples"
            + (f", {c['test_nonfinite']} and {c['test_constant']} in test"
               if self.num_test_samples else "")
        )
        lines.append(f"  value range:        {self.value_range}"
                     + (f" train, {self.test_value_range} test"
                        if self.num_test_samples else ""))
        counts = np.asarray(self.class_counts)
        lines.append(
            f"  classes:            {counts.min()} to {counts.max()} "
            f"samples per class, imbalance ratio "
            f"{self.imbalance_ratio:.2f}"
            + (f", empty: {list(self.empty_classes)}"
               if len(self.empty_classes) else "")
        )
        if self.label_issues is None:
            lines.append("  label issues:       not checked (no "
                         "`probabilities`)")
        else:
            lines.append(
                f"  label issues:       {c['label_issues']} "
                f"({c['label_issues'] / self.num_samples:.1%}) by confident "
                f"learning; estimated noise rate "
                f"{self.estimated_noise_rate:.1%}"
            )
        return "\n".join(lines)

    def __repr__(self):
        c = self.counts()
        return (
            f"<AuditReport num_samples={self.num_samples} "
            f"exact_duplicates={c['exact_duplicates']} "
            f"near_duplicate_pairs={c['near_duplicate_pairs']} "
            f"label_conflicts={c['label_conflicts']} "
            f"exact_leaks={c['exact_leaks']} near_leaks={c['near_leaks']} "
            f"nonfinite={c['nonfinite']} constant={c['constant']} "
            f"label_issues={c['label_issues']}>"
        )

    def to_dict(self):
        """Every finding as plain lists and numbers (JSON-serializable),
        with the `counts()` under `"counts"`."""
        d = {name: _to_list(getattr(self, name)) for name in self._FIELDS}
        d["counts"] = self.counts()
        return d

    @classmethod
    def from_dict(cls, data):
        """The report back from `to_dict()` (arrays as NumPy arrays)."""
        data = dict(data)
        data.pop("counts", None)
        out = {}
        for name, value in data.items():
            if name in ("exact_duplicates", "label_conflicts"):
                value = [np.asarray(g, "int64") for g in value]
            elif name in ("near_duplicates", "exact_leaks", "near_leaks",
                          "leak_label_conflicts"):
                value = np.asarray(value, "int64").reshape(-1, 2)
            elif name in ("sample_shape",):
                value = tuple(value)
            elif isinstance(value, list) and name not in (
                    "value_range", "test_value_range"):
                value = np.asarray(value)
            elif name == "imbalance_ratio" and value is None:
                value = float("inf")
            out[name] = value
        return cls(**out)

    def to_json(self, path=None):
        """`to_dict()` as JSON text; written to `path` when given."""
        text = json.dumps(self.to_dict(), indent=1)
        if path is not None:
            write_text(path, text)
        return text

    def to_html(self, path=None, x=None, x_test=None, class_names=None,
                max_examples=24, data_format=None):
        """One self-contained HTML page of the findings.

        With `x` (and `x_test`) given as images, duplicates, leaks and
        suspected label errors are shown as PNG thumbnails (embedded as data
        URIs, no extra dependency).

        Args:
            path: file to write, or `None`. Defaults to `None`.
            x: the training samples given to `audit`, for thumbnails.
                Defaults to `None`.
            x_test: the test samples, for thumbnails of leaks. Defaults to
                `None`.
            class_names: one name per class, or `None`. Defaults to `None`.
            max_examples: examples shown per finding. Defaults to `24`.
            data_format: `"channels_last"` or `"channels_first"`. Defaults
                to `keras.config.image_data_format()`.

        Returns:
            The HTML string.
        """
        check_number("max_examples", max_examples, min_value=1,
                     integer=True)
        data_format = check_data_format(data_format)
        return render_html(self, path, x, x_test, class_names,
                            max_examples, data_format)


# --------------------------------------------------------------------------
# The audit.


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
