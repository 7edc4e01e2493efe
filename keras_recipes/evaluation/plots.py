"""The plots of an `EvaluationReport` (matplotlib, the `plots` extra):
confusion matrix, reliability diagram, per-class metrics, hardest examples
and fairness per group. Figures are built with `matplotlib.figure.Figure`,
never pyplot, so no display or global state is touched."""

import io
import os

import numpy as np

from keras_recipes.metrics.calibration import ECE_BINS
from keras_recipes.metrics.classification import safe_divide
from keras_recipes.utils.optional import import_optional


def report_figures(self):
    """Yield `(name, matplotlib Figure)` for every plot of `self`, an
    `EvaluationReport`."""
    figure_module = import_optional("matplotlib.figure", "plots")
    Figure = figure_module.Figure
    c = len(self.class_names)

    # Confusion matrix, rows normalized, counts written in the cells.
    size = max(4.5, 0.55 * c + 2)
    fig = Figure(figsize=(size + 1, size), dpi=100)
    ax = fig.add_subplot()
    norm = safe_divide(
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
        yield "hardest_examples", hardest_figure(self, Figure)

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

def hardest_figure(self, Figure):
    """The grid of the hardest examples, true -> predicted."""
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

def png_bytes(self):
    """`{name: PNG bytes}` for every plot."""
    out = {}
    for name, fig in report_figures(self):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        out[name] = buffer.getvalue()
    return out

def save_plots(self, folder):
    """Write every plot as `<folder>/<name>.png`; returns the paths."""
    os.makedirs(folder, exist_ok=True)
    paths = {}
    for name, data in png_bytes(self).items():
        path = os.path.join(folder, f"{name}.png")
        with open(path, "wb") as f:
            f.write(data)
        paths[name] = path
    return paths
