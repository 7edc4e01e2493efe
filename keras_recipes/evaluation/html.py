"""The HTML page of an `EvaluationReport`: one self-contained file."""

import html
import json

from keras_recipes.evaluation.plots import png_bytes
from keras_recipes.metrics.calibration import ECE_BINS
from keras_recipes.utils.html import cards
from keras_recipes.utils.html import page_head
from keras_recipes.utils.html import png_data_uri
from keras_recipes.utils.html import table
from keras_recipes.utils.html import write_text


def render_html(self, path=None):
    """One self-contained HTML page for `self`, an `EvaluationReport` (PNG
    plots embedded as data URIs). Writes it to `path` when given; returns
    the HTML string."""
    esc = html.escape
    pngs = png_bytes(self)
    d = self.to_dict()

    def img(name, alt):
        if name not in pngs:
            return ""
        return (f'<figure><img id="{name}" alt="{esc(alt)}" '
                f'src="{png_data_uri(pngs[name])}"></figure>')

    parts = [
        page_head(self.title, "figure{margin:1em 0}img{max-width:100%}"),
        f"<h1>{esc(self.title)}</h1>",
        f"<p>{d['num_samples']} samples, {d['num_classes']} classes; "
        f"created {esc(self.created)}.</p>",
        cards([
            ("accuracy", f"{self.accuracy:.4f}"),
            ("macro F1", f"{self.macro_f1:.4f}"),
            ("weighted F1", f"{self.weighted_f1:.4f}"),
            (f"ECE ({ECE_BINS} bins)", f"{self.ece:.4f}"),
            ("log loss", f"{self.log_loss:.4f}"),
        ]),
        "<h2>Per-class metrics</h2>",
    ]
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
        write_text(path, page)
    return page
