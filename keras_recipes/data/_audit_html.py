"""The HTML page of an `AuditReport`: one self-contained file, with the
flagged samples shown as PNG thumbnails (data URIs, no imaging library)."""

import html
import json

import numpy as np

from keras_recipes.utils.html import cards
from keras_recipes.utils.html import page_head
from keras_recipes.utils.html import png
from keras_recipes.utils.html import png_data_uri
from keras_recipes.utils.html import table
from keras_recipes.utils.html import write_text

_CSS = (
    ".row{display:flex;gap:.4em;flex-wrap:wrap;align-items:flex-start;"
    "border-bottom:1px solid #eee;padding:.3em 0}"
    "figure{margin:0;text-align:center;font-size:.75em}"
    "img{image-rendering:pixelated;border:1px solid #ccc}"
)


class Thumbnails:
    """`<img>` tags of single samples of an image array."""

    def __init__(self, x, data_format):
        self.x = None
        if x is None:
            return
        x = np.asarray(x)
        if x.ndim == 4 and data_format == "channels_first":
            x = np.moveaxis(x, 1, -1)
        if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] not in (
                1, 3, 4)):
            return  # not images: no thumbnails
        self.x = x
        finite = x[np.isfinite(x)] if np.issubdtype(
            x.dtype, np.inexact) else x
        self.low = float(finite.min()) if finite.size else 0.0
        self.high = float(finite.max()) if finite.size else 1.0
        self.scale = max(1, 64 // max(x.shape[1], x.shape[2]))

    def __call__(self, index, caption):
        if self.x is None or index is None:
            return f"<figure><figcaption>{html.escape(caption)}" \
                   "</figcaption></figure>"
        img = np.asarray(self.x[int(index)], "float64")
        if img.ndim == 3:
            img = img[..., 0] if img.shape[-1] == 1 else img[..., :3]
        span = self.high - self.low
        img = (np.nan_to_num(img, nan=self.low, posinf=self.high,
                             neginf=self.low) - self.low)
        img = np.clip(img / (span if span > 0 else 1.0) * 255, 0, 255)
        img = img.round().astype("uint8")
        img = np.repeat(np.repeat(img, self.scale, 0), self.scale, 1)
        uri = png_data_uri(png(img))
        cap = html.escape(caption)
        return (f'<figure><img alt="{cap}" src="{uri}">'
                f'<figcaption>{cap}</figcaption></figure>')


def render_html(report, path, x, x_test, class_names, limit, data_format):
    esc = html.escape
    train = Thumbnails(x, data_format)
    test = Thumbnails(x_test, data_format)
    labels = report.labels
    test_labels = report.test_labels

    def name(c):
        if c is None:
            return "?"
        c = int(c)
        if class_names is not None and 0 <= c < len(class_names):
            return str(class_names[c])
        return str(c)

    def label_of(i, test_set=False):
        ys = test_labels if test_set else labels
        return None if ys is None else ys[int(i)]

    def more(total):
        return (f"<p>Showing {limit} of {total}.</p>" if total > limit
                else "")

    c = report.counts()
    parts = [
        page_head("Dataset audit", _CSS),
        "<h1>Dataset audit</h1>",
        f"<pre>{esc(report.summary())}</pre>",
        cards([
            ("exact duplicates", c["exact_duplicates"]),
            ("near-duplicate pairs", c["near_duplicate_pairs"]),
            ("label conflicts", c["label_conflicts"]),
            ("exact leaks", c["exact_leaks"]),
            ("near leaks", c["near_leaks"]),
            ("non-finite", c["nonfinite"]),
            ("constant", c["constant"]),
            ("label issues", "-" if c["label_issues"] is None
             else c["label_issues"]),
        ]),
        "<h2>Classes</h2>",
    ]
    test_counts = report.test_class_counts
    parts.append(table(
        ["class", "train", "test"],
        [[name(k), int(n), "" if test_counts is None else int(test_counts[k])]
         for k, n in enumerate(report.class_counts)]))

    parts.append(f"<h2>Exact duplicates ({c['exact_duplicates']} redundant "
                 f"samples in {c['exact_duplicate_groups']} groups)</h2>")
    conflict_sets = {tuple(g.tolist()) for g in report.label_conflicts}
    for g in report.exact_duplicates[:limit]:
        flag = (" (conflicting labels)" if tuple(g.tolist()) in conflict_sets
                else "")
        figs = [train(i, f"#{i} {name(label_of(i))}") for i in g[:8]]
        parts.append(f"<div class='row'>{''.join(figs)}<span>{len(g)} "
                     f"copies{esc(flag)}</span></div>")
    parts.append(more(len(report.exact_duplicates)))

    def pairs_section(title, pairs, sims, left, right, left_test):
        parts.append(f"<h2>{esc(title)} ({len(pairs)})</h2>")
        for (i, j), s in zip(pairs[:limit], sims[:limit]):
            parts.append(
                "<div class='row'>"
                + left(i, f"{'test ' if left_test else ''}#{i} "
                       f"{name(label_of(i, left_test))}")
                + right(j, f"#{j} {name(label_of(j))}")
                + f"<span>cosine {s:.4f}</span></div>")
        parts.append(more(len(pairs)))

    order = np.argsort(-report.near_duplicate_similarity, kind="stable")
    pairs_section("Near duplicates", report.near_duplicates[order],
                  report.near_duplicate_similarity[order], train, train,
                  False)
    if report.num_test_samples:
        leaks = report.exact_leaks
        pairs_section("Exact train/test leaks", leaks,
                      np.ones(len(leaks)), test, train, True)
        order = np.argsort(-report.near_leak_similarity, kind="stable")
        pairs_section("Near train/test leaks", report.near_leaks[order],
                      report.near_leak_similarity[order], test, train, True)

    parts.append("<h2>Bad values</h2>")
    parts.append(table(
        ["set", "value range", "non-finite", "constant"],
        [["train", report.value_range, c["nonfinite"], c["constant"]]]
        + ([["test", report.test_value_range, c["test_nonfinite"],
             c["test_constant"]]] if report.num_test_samples else [])))
    bad = [train(i, f"#{i} non-finite") for i in report.nonfinite[:limit]]
    bad += [train(i, f"#{i} constant") for i in report.constant[:limit]]
    if bad:
        parts.append(f"<div class='row'>{''.join(bad)}</div>")

    if report.label_issues is not None:
        parts.append(
            f"<h2>Likely label errors ({c['label_issues']}, confident "
            f"learning; estimated noise rate "
            f"{report.estimated_noise_rate:.1%})</h2><div class='row'>")
        for i, sc, s in zip(report.label_issues[:limit],
                            report.label_issue_self_confidence[:limit],
                            report.suggested_labels[:limit]):
            parts.append(train(
                i, f"#{i} given {name(label_of(i))}, likely {name(s)} "
                f"(p={sc:.2f})"))
        parts.append("</div>" + more(len(report.label_issues)))
    parts.append("<details><summary>Counts (JSON)</summary><pre>")
    parts.append(esc(json.dumps(c, indent=1)))
    parts.append("</pre></details></body></html>")
    page = "\n".join(p for p in parts if p)
    if path is not None:
        write_text(path, page)
    return page
