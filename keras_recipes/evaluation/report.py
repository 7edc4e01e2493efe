"""`evaluate(model, x, y)` -> `EvaluationReport`: metrics, plots, HTML.

All numbers are computed with NumPy from the model's predictions; the tests
check every one against scikit-learn on the same predictions. Plots use
matplotlib (the `plots` extra), imported only when a plot is drawn.
"""

import base64
import datetime
import html
import io
import json
import os

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.metrics.calibration import expected_calibration_error
from keras_recipes.metrics.calibration import reliability_bins
from keras_recipes.utils.optional import import_optional
from keras_recipes.utils.validation import check_number

ECE_BINS = 15


def _softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _as_probabilities(y_pred, from_logits):
    y_pred = np.asarray(y_pred, dtype="float64")
    if y_pred.ndim == 1:
        y_pred = y_pred[:, None]
    if y_pred.ndim != 2:
        raise ValueError(
            "Expected the model to output one vector of class scores per "
            f"sample. Received predictions of shape {y_pred.shape}"
        )
    if y_pred.shape[1] == 1:  # one sigmoid output: binary problem
        p = y_pred[:, 0]
        if from_logits or (from_logits is None and (p.min() < 0 or p.max() > 1)):
            p = 1.0 / (1.0 + np.exp(-p))
        return np.stack([1.0 - p, p], axis=1)
    if from_logits is None:
        sums = y_pred.sum(axis=1)
        from_logits = bool(
            y_pred.min() < 0 or np.abs(sums - 1.0).max() > 1e-3
        )
    if from_logits:
        return _softmax(y_pred)
    return y_pred / y_pred.sum(axis=1, keepdims=True)


def _labels(y, num_classes):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == num_classes and num_classes > 1:
        y = y.argmax(axis=1)
    y = y.reshape(-1)
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError(
                "Expected `y` to hold integer class ids or one-hot rows. "
                f"Received: y with dtype {y.dtype} and fractional values"
            )
    y = y.astype("int64")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"Expected class ids in [0, {num_classes - 1}] (the model has "
            f"{num_classes} outputs). Received: y in "
            f"[{y.min()}, {y.max()}]"
        )
    return y


def _image_like(x):
    x = np.asarray(x) if not isinstance(x, np.ndarray) else x
    if x.ndim == 3:
        return x
    if x.ndim == 4 and (x.shape[-1] in (1, 3, 4) or x.shape[1] in (1, 3, 4)):
        return x
    return None


def _divide(a, b):
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    return np.divide(a, b, out=np.zeros_like(a), where=b > 0)


def classification_metrics(y_true, y_pred, num_classes):
    """Accuracy, per-class precision/recall/F1, macro and weighted F1 and
    the confusion matrix, from integer labels and predictions.

    Zero divisions count as 0, like scikit-learn's `zero_division=0`.
    """
    cm = np.zeros((num_classes, num_classes), dtype="int64")
    np.add.at(cm, (y_true, y_pred), 1)
    tp = np.diag(cm).astype("float64")
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    precision = _divide(tp, predicted)
    recall = _divide(tp, support)
    f1 = _divide(2 * precision * recall, precision + recall)
    total = max(int(support.sum()), 1)
    return {
        "accuracy": float(tp.sum() / total),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": support,
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
        "weighted_f1": float(np.sum(f1 * support) / total),
        "confusion_matrix": cm,
    }


def fairness_metrics(y_true, y_pred, groups, num_classes):
    """Per-group accuracy and recall, demographic-parity and equalized-odds
    differences (fairlearn's definitions).

    For two classes the positive class is 1, as in fairlearn. For more
    classes each class is taken one-vs-rest and the largest difference over
    classes is reported (the per-class values are kept too).
    """
    groups = np.asarray(groups).reshape(-1)
    names = sorted(np.unique(groups).tolist(), key=str)
    per_group = {}
    selection = []  # (groups, classes): P(pred = c | g)
    tpr = []  # P(pred = c | y = c, g)
    fpr = []  # P(pred = c | y != c, g)
    classes = np.arange(num_classes)
    for g in names:
        m = groups == g
        yt, yp = y_true[m], y_pred[m]
        metrics = classification_metrics(yt, yp, num_classes)
        present = np.unique(yt)
        per_group[str(g)] = {
            "count": int(m.sum()),
            "accuracy": metrics["accuracy"],
            # Mean recall over the classes present in the group
            # (= scikit-learn's balanced_accuracy_score).
            "recall": float(metrics["recall"][present].mean()),
            "per_class_recall": metrics["recall"].tolist(),
        }
        pred_is = yp[:, None] == classes[None, :]
        true_is = yt[:, None] == classes[None, :]
        selection.append(pred_is.mean(axis=0))
        pos = true_is.sum(axis=0)
        neg = (~true_is).sum(axis=0)
        tpr.append(np.where(pos > 0, (pred_is & true_is).sum(0) / np.maximum(
            pos, 1), np.nan))
        fpr.append(np.where(neg > 0, (pred_is & ~true_is).sum(0) / np.maximum(
            neg, 1), np.nan))
    selection, tpr, fpr = map(np.array, (selection, tpr, fpr))

    def spread(values):
        out = []
        for column in values.T:
            column = column[~np.isnan(column)]
            out.append(float(column.max() - column.min()) if column.size
                       else 0.0)
        return np.array(out)

    dp = spread(selection)
    eo = np.maximum(spread(tpr), spread(fpr))
    considered = [1] if num_classes == 2 else list(range(num_classes))
    return {
        "groups": per_group,
        "demographic_parity_difference": float(dp[considered].max()),
        "equalized_odds_difference": float(eo[considered].max()),
        "per_class_demographic_parity_difference": dp.tolist(),
        "per_class_equalized_odds_difference": eo.tolist(),
    }


@keras_recipes_export("keras_recipes.evaluation.EvaluationReport")
class EvaluationReport:
    """What a classifier gets right and wrong, with plots and an HTML page.

    Built by `keras_recipes.evaluation.evaluate` (or directly from labels
    and predicted probabilities). Holds accuracy and log loss; per-class
    precision, recall and F1 with macro and weighted F1; the confusion
    matrix and the most-confused class pairs; the expected calibration
    error (15 bins) with its reliability diagram; the hardest examples
    (highest cross-entropy); and, when `groups` is given, per-group accuracy
    and recall with the demographic-parity and equalized-odds differences.

    Every number equals scikit-learn's on the same predictions
    (`accuracy_score`, `precision_recall_fscore_support` with
    `zero_division=0`, `f1_score`, `confusion_matrix`, `log_loss`,
    `balanced_accuracy_score` per group).

    Args:
        y_true: integer labels `(N,)` (or one-hot `(N, C)`).
        y_prob: predicted class probabilities `(N, C)`.
        class_names: list of `C` names or `None` for `"0"`, `"1"`, ...
            Defaults to `None`.
        groups: array `(N,)` of group ids (a sensitive attribute) or `None`.
            Defaults to `None`.
        images: array of the `N` inputs, used for the hardest-examples grid
            when they look like images; not part of the config. Defaults to
            `None`.
        num_hardest: int, number of hardest examples kept. Defaults to `16`.
        title: str, the report's title. Defaults to `"Evaluation report"`.

    Example:

    >>> report = keras_recipes.evaluation.EvaluationReport(
    ...     [0, 1, 1], [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    >>> round(report.accuracy, 4), round(report.macro_f1, 4)
    (0.6667, 0.6667)
    >>> report.to_dict()["confusion_matrix"]
    [[1, 0], [1, 1]]
    """

    def __init__(self, y_true, y_prob, class_names=None, groups=None,
                 images=None, num_hardest=16, title="Evaluation report"):
        check_number("num_hardest", num_hardest, min_value=0, integer=True)
        y_prob = np.asarray(y_prob, dtype="float64")
        if y_prob.ndim != 2 or y_prob.shape[1] < 2:
            raise ValueError(
                "Expected `y_prob` of shape (num_samples, num_classes) with "
                f"at least 2 classes. Received: y_prob.shape={y_prob.shape}"
            )
        num_classes = y_prob.shape[1]
        y_true = _labels(y_true, num_classes)
        if y_true.shape[0] != y_prob.shape[0]:
            raise ValueError(
                "Expected as many labels as predictions. Received: "
                f"{y_true.shape[0]} labels and {y_prob.shape[0]} predictions"
            )
        if class_names is None:
            class_names = [str(i) for i in range(num_classes)]
        class_names = [str(c) for c in class_names]
        if len(class_names) != num_classes:
            raise ValueError(
                f"Expected {num_classes} class names. Received: "
                f"class_names={class_names!r}"
            )
        if groups is not None:
            groups = np.asarray(groups).reshape(-1)
            if groups.shape[0] != y_true.shape[0]:
                raise ValueError(
                    "Expected one group per sample. Received: "
                    f"groups with {groups.shape[0]} entries for "
                    f"{y_true.shape[0]} samples"
                )
        self.y_true = y_true
        self.y_prob = y_prob
        self.class_names = class_names
        self.groups = groups
        self.images = None if images is None else _image_like(images)
        self.num_hardest = num_hardest
        self.title = title
        self.created = datetime.datetime.now().isoformat(timespec="seconds")
        self._compute()

    # ------------------------------------------------------------- numbers
    def _compute(self):
        c = self.y_prob.shape[1]
        self.y_pred = self.y_prob.argmax(axis=1)
        m = classification_metrics(self.y_true, self.y_pred, c)
        self.accuracy = m["accuracy"]
        self.precision = m["precision"]
        self.recall = m["recall"]
        self.f1 = m["f1"]
        self.support = m["support"]
        self.macro_precision = m["macro_precision"]
        self.macro_recall = m["macro_recall"]
        self.macro_f1 = m["macro_f1"]
        self.weighted_f1 = m["weighted_f1"]
        self.confusion_matrix = m["confusion_matrix"]
        eps = np.finfo("float64").eps
        p_true = self.y_prob[np.arange(len(self.y_true)), self.y_true]
        self.losses = -np.log(np.clip(p_true, eps, 1.0))
        self.log_loss = float(self.losses.mean()) if len(self.losses) else 0.0
        self.ece = expected_calibration_error(
            self.y_true, self.y_prob, ECE_BINS
        )
        self.reliability = reliability_bins(
            self.y_true, self.y_prob, ECE_BINS
        )
        off = self.confusion_matrix.copy()
        np.fill_diagonal(off, 0)
        order = np.argsort(-off, axis=None, kind="stable")
        pairs = []
        for flat in order[:5]:
            t, p = divmod(int(flat), c)
            if off[t, p] == 0:
                break
            pairs.append({
                "true": self.class_names[t], "predicted": self.class_names[p],
                "count": int(off[t, p]),
                "fraction_of_true": float(off[t, p] / max(self.support[t], 1)),
            })
        self.most_confused = pairs
        # Lowest probability of the true class first (= highest loss,
        # without the ties that clipping the loss would create).
        hardest = np.argsort(p_true, kind="stable")[: self.num_hardest]
        self.hardest = [
            {
                "index": int(i),
                "true": self.class_names[self.y_true[i]],
                "predicted": self.class_names[self.y_pred[i]],
                "confidence": float(self.y_prob[i, self.y_pred[i]]),
                "loss": float(self.losses[i]),
            }
            for i in hardest
        ]
        self.fairness = (
            None if self.groups is None
            else fairness_metrics(self.y_true, self.y_pred, self.groups, c)
        )

    def to_dict(self):
        """All numbers as a JSON-serializable dict."""
        out = {
            "num_samples": int(len(self.y_true)),
            "num_classes": int(self.y_prob.shape[1]),
            "class_names": list(self.class_names),
            "accuracy": self.accuracy,
            "log_loss": self.log_loss,
            "macro_precision": self.macro_precision,
            "macro_recall": self.macro_recall,
            "macro_f1": self.macro_f1,
            "weighted_f1": self.weighted_f1,
            "expected_calibration_error": self.ece,
            "ece_bins": ECE_BINS,
            "reliability": {k: v.tolist() for k, v in self.reliability.items()},
            "per_class": [
                {
                    "class": name,
                    "precision": float(self.precision[i]),
                    "recall": float(self.recall[i]),
                    "f1": float(self.f1[i]),
                    "support": int(self.support[i]),
                }
                for i, name in enumerate(self.class_names)
            ],
            "confusion_matrix": self.confusion_matrix.tolist(),
            "most_confused": self.most_confused,
            "hardest": self.hardest,
        }
        if self.fairness is not None:
            out["fairness"] = self.fairness
        return out

    def summary(self):
        """The headline numbers: accuracy, macro F1 and ECE."""
        return {
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "ece": self.ece,
        }

    # --------------------------------------------------------------- plots
    def _figures(self):
        """Yield `(name, matplotlib Figure)` for every plot."""
        figure_module = import_optional("matplotlib.figure", "plots")
        Figure = figure_module.Figure
        c = len(self.class_names)

        # Confusion matrix, rows normalized, counts written in the cells.
        size = max(4.5, 0.55 * c + 2)
        fig = Figure(figsize=(size + 1, size), dpi=100)
        ax = fig.add_subplot()
        norm = _divide(
            self.confusion_matrix, self.confusion_matrix.sum(1, keepdims=True)
        )
        im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04,
                     label="fraction of the true class")
        ax.set_xticks(range(c), self.class_names, rotation=45, ha="right")
        ax.set_yticks(range(c), self.class_names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"Confusion matrix (accuracy {self.accuracy:.2%})")
        if c <= 20:
            for i in range(c):
                for j in range(c):
                    ax.text(j, i, str(self.confusion_matrix[i, j]),
                            ha="center", va="center", fontsize=7,
                            color="white" if norm[i, j] > 0.5 else "black")
        fig.tight_layout()
        yield "confusion_matrix", fig

        # Reliability diagram with the confidence histogram below.
        fig = Figure(figsize=(5, 6), dpi=100)
        ax, hist = fig.subplots(
            2, 1, gridspec_kw={"height_ratios": [3, 1]}, sharex=True
        )
        edges = self.reliability["edges"]
        centers = (edges[:-1] + edges[1:]) / 2
        width = edges[1] - edges[0]
        count = self.reliability["count"]
        acc = np.where(count > 0, self.reliability["accuracy"], np.nan)
        conf = np.where(count > 0, self.reliability["confidence"], np.nan)
        ax.bar(centers, np.nan_to_num(acc), width=width * 0.95,
               color="#3b75af", edgecolor="black", label="accuracy")
        ax.bar(centers, np.nan_to_num(conf - acc), bottom=np.nan_to_num(acc),
               width=width * 0.95, fill=False, hatch="///",
               edgecolor="#c03030", linewidth=1.0,
               label="gap to mean confidence")
        ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
        ax.set_ylim(0, 1)
        ax.set_ylabel("accuracy")
        ax.set_title(
            f"Reliability diagram (ECE {self.ece:.4f}, {ECE_BINS} bins)"
        )
        ax.legend(loc="upper left", fontsize=8)
        hist.bar(centers, count, width=width * 0.95, color="#777777")
        hist.set_xlabel("confidence")
        hist.set_ylabel("count")
        hist.set_xlim(0, 1)
        fig.tight_layout()
        yield "reliability_diagram", fig

        # Per-class precision / recall / F1.
        fig = Figure(figsize=(max(6, 0.6 * c + 2), 3.8), dpi=100)
        ax = fig.add_subplot()
        x = np.arange(c)
        for k, (label, values) in enumerate(
            (("precision", self.precision), ("recall", self.recall),
             ("F1", self.f1))
        ):
            ax.bar(x + (k - 1) * 0.27, values, width=0.27, label=label)
        ax.set_xticks(x, self.class_names, rotation=45, ha="right")
        ax.set_ylim(0, 1.05)
        ax.set_title(f"Per-class metrics (macro F1 {self.macro_f1:.4f})",
                     loc="left")
        ax.legend(fontsize=8, ncol=3, loc="lower right",
                  bbox_to_anchor=(1.0, 1.0), frameon=False)
        fig.tight_layout()
        yield "per_class_metrics", fig

        if self.images is not None and self.hardest:
            yield "hardest_examples", self._hardest_figure(Figure)

        if self.fairness is not None:
            groups = self.fairness["groups"]
            names = list(groups)
            fig = Figure(figsize=(max(5, 0.8 * len(names) + 2), 3.8), dpi=100)
            ax = fig.add_subplot()
            x = np.arange(len(names))
            ax.bar(x - 0.2, [groups[g]["accuracy"] for g in names], 0.4,
                   label="accuracy")
            ax.bar(x + 0.2, [groups[g]["recall"] for g in names], 0.4,
                   label="recall (macro)")
            ax.set_xticks(x, names)
            ax.set_ylim(0, 1.05)
            ax.set_title(
                "Per group: DP diff "
                f"{self.fairness['demographic_parity_difference']:.3f}, "
                "EO diff "
                f"{self.fairness['equalized_odds_difference']:.3f}"
            )
            ax.legend(fontsize=8, loc="lower right")
            fig.tight_layout()
            yield "fairness", fig

    def _hardest_figure(self, Figure):
        images = self.images
        if images.ndim == 4 and images.shape[-1] not in (1, 3, 4):
            images = np.moveaxis(images, 1, -1)  # channels_first
        n = len(self.hardest)
        cols = min(n, 8)
        rows = int(np.ceil(n / cols))
        fig = Figure(figsize=(1.6 * cols, 1.9 * rows + 0.4), dpi=100)
        fig.suptitle("Hardest examples (highest loss): true -> predicted",
                     fontsize=10)
        for k, item in enumerate(self.hardest):
            ax = fig.add_subplot(rows, cols, k + 1)
            img = np.asarray(images[item["index"]], dtype="float64")
            if img.ndim == 3 and img.shape[-1] == 1:
                img = img[..., 0]
            lo, hi = float(img.min()), float(img.max())
            img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
            ax.imshow(img, cmap="gray" if img.ndim == 2 else None,
                      vmin=0, vmax=1)
            ax.set_title(
                f"{item['true'][:10]}\n-> {item['predicted'][:10]} "
                f"({item['confidence']:.2f})",
                fontsize=7,
                color="#1a7f1a" if item["true"] == item["predicted"]
                else "#b00000",
            )
            ax.axis("off")
        fig.tight_layout()
        return fig

    def _png_bytes(self):
        out = {}
        for name, fig in self._figures():
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png")
            out[name] = buffer.getvalue()
        return out

    def save_plots(self, folder):
        """Write every plot as `<folder>/<name>.png`; returns the paths."""
        os.makedirs(folder, exist_ok=True)
        paths = {}
        for name, data in self._png_bytes().items():
            path = os.path.join(folder, f"{name}.png")
            with open(path, "wb") as f:
                f.write(data)
            paths[name] = path
        return paths

    # ---------------------------------------------------------------- HTML
    def to_html(self, path=None):
        """Render one self-contained HTML page (PNG plots embedded as data
        URIs). Writes it to `path` when given; returns the HTML string."""
        esc = html.escape
        pngs = self._png_bytes()
        d = self.to_dict()

        def table(headers, rows):
            head = "".join(f"<th>{esc(str(h))}</th>" for h in headers)
            body = "".join(
                "<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row)
                + "</tr>" for row in rows
            )
            return f"<table><tr>{head}</tr>{body}</table>"

        def img(name, alt):
            if name not in pngs:
                return ""
            data = base64.b64encode(pngs[name]).decode("ascii")
            return (f'<figure><img id="{name}" alt="{esc(alt)}" '
                    f'src="data:image/png;base64,{data}"></figure>')

        parts = [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{esc(self.title)}</title><style>",
            "body{font-family:system-ui,sans-serif;margin:2em auto;"
            "max-width:1100px;color:#222}table{border-collapse:collapse;"
            "margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;"
            "text-align:right}th{background:#f0f0f0}figure{margin:1em 0}"
            "img{max-width:100%}.cards{display:flex;gap:1em;flex-wrap:wrap}"
            ".card{border:1px solid #ccc;border-radius:6px;padding:.6em 1em}"
            ".card b{display:block;font-size:1.5em}",
            "</style></head><body>",
            f"<h1>{esc(self.title)}</h1>",
            f"<p>{d['num_samples']} samples, {d['num_classes']} classes; "
            f"created {esc(self.created)}.</p><div class='cards'>",
        ]
        for label, value in (
            ("accuracy", f"{self.accuracy:.4f}"),
            ("macro F1", f"{self.macro_f1:.4f}"),
            ("weighted F1", f"{self.weighted_f1:.4f}"),
            (f"ECE ({ECE_BINS} bins)", f"{self.ece:.4f}"),
            ("log loss", f"{self.log_loss:.4f}"),
        ):
            parts.append(f"<div class='card'>{esc(label)}<b>{value}</b></div>")
        parts.append("</div><h2>Per-class metrics</h2>")
        parts.append(table(
            ["class", "precision", "recall", "F1", "support"],
            [[r["class"], f"{r['precision']:.4f}", f"{r['recall']:.4f}",
              f"{r['f1']:.4f}", r["support"]] for r in d["per_class"]]
            + [["macro", f"{self.macro_precision:.4f}",
                f"{self.macro_recall:.4f}", f"{self.macro_f1:.4f}",
                d["num_samples"]],
               ["weighted", "", "", f"{self.weighted_f1:.4f}",
                d["num_samples"]]],
        ))
        parts.append(img("per_class_metrics", "per-class metrics"))
        parts.append("<h2>Confusion matrix</h2>")
        parts.append(img("confusion_matrix", "confusion matrix"))
        parts.append("<h3>Most confused pairs</h3>")
        parts.append(table(
            ["true", "predicted", "count", "fraction of true class"],
            [[p["true"], p["predicted"], p["count"],
              f"{p['fraction_of_true']:.3f}"] for p in self.most_confused],
        ))
        parts.append("<h2>Calibration</h2>")
        parts.append(img("reliability_diagram", "reliability diagram"))
        parts.append("<h2>Hardest examples</h2>")
        parts.append(img("hardest_examples", "hardest examples"))
        parts.append(table(
            ["index", "true", "predicted", "confidence", "loss"],
            [[h["index"], h["true"], h["predicted"],
              f"{h['confidence']:.3f}", f"{h['loss']:.3f}"]
             for h in self.hardest],
        ))
        if self.fairness is not None:
            f = self.fairness
            parts.append("<h2>Fairness across groups</h2>")
            parts.append(
                "<p>Demographic-parity difference "
                f"<b>{f['demographic_parity_difference']:.4f}</b>, "
                "equalized-odds difference "
                f"<b>{f['equalized_odds_difference']:.4f}</b>.</p>"
            )
            parts.append(table(
                ["group", "count", "accuracy", "recall (macro)"],
                [[g, v["count"], f"{v['accuracy']:.4f}", f"{v['recall']:.4f}"]
                 for g, v in f["groups"].items()],
            ))
            parts.append(img("fairness", "fairness per group"))
        parts.append("<details><summary>All numbers (JSON)</summary><pre>")
        parts.append(esc(json.dumps(d, indent=1)))
        parts.append("</pre></details></body></html>")
        page = "\n".join(p for p in parts if p)
        if path is not None:
            folder = os.path.dirname(os.fspath(path))
            if folder:
                os.makedirs(folder, exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(page)
        return page

    # --------------------------------------------------------------- config
    def get_config(self):
        return {
            "y_true": self.y_true.tolist(),
            "y_prob": self.y_prob.tolist(),
            "class_names": list(self.class_names),
            "groups": None if self.groups is None else self.groups.tolist(),
            "num_hardest": self.num_hardest,
            "title": self.title,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras_recipes_export("keras_recipes.evaluation.evaluate")
def evaluate(model, x, y, class_names=None, groups=None, batch_size=256,
             from_logits=None, num_hardest=16, title="Evaluation report"):
    """Evaluate a classifier and return an `EvaluationReport`.

    Runs `model.predict(x)` once and computes every number from those
    predictions with NumPy (they equal scikit-learn's): accuracy, per-class
    precision/recall/F1, macro and weighted F1, the confusion matrix and
    most-confused pairs, the expected calibration error over 15 bins, the
    hardest examples and, with `groups`, fairness metrics. The report
    renders plots (`save_plots`) and a self-contained HTML page
    (`to_html`).

    Args:
        model: a Keras model (or any object with `predict(x, batch_size=,
            verbose=)`) returning class probabilities or logits.
        x: the inputs, a NumPy array (images give the hardest-examples grid).
        y: integer labels `(N,)`/`(N, 1)` or one-hot `(N, C)`.
        class_names: list of class names or `None`. Defaults to `None`.
        groups: array `(N,)` of group ids or `None`. Defaults to `None`.
        batch_size: int, prediction batch size. Defaults to `256`.
        from_logits: bool or `None`; `None` applies a softmax when the
            outputs are not probabilities. Defaults to `None`.
        num_hardest: int, number of hardest examples. Defaults to `16`.
        title: str, the report's title. Defaults to `"Evaluation report"`.

    Returns:
        An `EvaluationReport`.

    Example:

    >>> model = keras.Sequential([keras.Input((4,)),
    ...                           keras.layers.Dense(3, activation="softmax")])
    >>> x = np.random.default_rng(0).normal(size=(30, 4)).astype("float32")
    >>> y = np.arange(30) % 3
    >>> report = keras_recipes.evaluation.evaluate(model, x, y)
    >>> sorted(report.summary())
    ['accuracy', 'ece', 'macro_f1']
    """
    check_number("batch_size", batch_size, min_value=1, integer=True)
    if not hasattr(model, "predict"):
        raise TypeError(
            "Expected `model` to be a Keras model with `predict`. "
            f"Received: model of type {type(model).__name__}"
        )
    y_pred = model.predict(x, batch_size=batch_size, verbose=0)
    if isinstance(y_pred, (list, tuple, dict)):
        raise ValueError(
            "Expected a model with one output. Received a model with "
            f"{len(y_pred)} outputs"
        )
    y_prob = _as_probabilities(keras.ops.convert_to_numpy(y_pred), from_logits)
    return EvaluationReport(
        y, y_prob, class_names=class_names, groups=groups,
        images=x if isinstance(x, np.ndarray) else None,
        num_hardest=num_hardest, title=title,
    )
