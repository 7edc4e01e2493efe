"""`AuditReport`: the findings of `data.audit`, with text, JSON and HTML
views."""

import json
import math

import numpy as np

from keras_recipes.data._audit_html import render_html
from keras_recipes.utils.html import write_text
from keras_recipes.utils.validation import check_data_format
from keras_recipes.utils.validation import check_number


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
