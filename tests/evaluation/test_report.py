"""EvaluationReport: every number against scikit-learn or a NumPy loop,
plots, and the HTML page rendered by headless Chromium."""

import base64
import json
import os
import re
import shutil
import subprocess

import keras
import numpy as np
import pytest
from sklearn import metrics as skm

import keras_recipes
from keras_recipes.evaluation import EvaluationReport
from keras_recipes.evaluation import evaluate
from keras_recipes.metrics import expected_calibration_error
from keras_recipes.testing import TestCase


def noisy_predictions(n=400, c=5, seed=0, starve_class=True):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, size=n)
    logits = rng.normal(size=(n, c))
    logits[np.arange(n), y] += rng.uniform(0, 3, size=n)
    if starve_class:  # a class never predicted: precision 0/0
        logits[:, c - 1] -= 100.0
    p = np.exp(logits - logits.max(1, keepdims=True))
    return y, p / p.sum(1, keepdims=True)


def ece_reference(y, p, bins=15):
    """Slow, obvious ECE: loop over samples and bins (Guo et al., 2017)."""
    total = 0.0
    conf = p.max(1)
    pred = p.argmax(1)
    for m in range(bins):
        lo, hi = m / bins, (m + 1) / bins
        members = [
            i for i in range(len(y))
            if (lo < conf[i] <= hi) or (m == 0 and conf[i] == 0.0)
        ]
        if not members:
            continue
        acc = np.mean([pred[i] == y[i] for i in members])
        avg = np.mean([conf[i] for i in members])
        total += len(members) / len(y) * abs(acc - avg)
    return total


def fairness_reference(y, pred, groups, c):
    """fairlearn's definitions, one-vs-rest per class, by loops."""
    names = sorted(set(groups.tolist()), key=str)
    positives = [1] if c == 2 else range(c)
    dp, eo = 0.0, 0.0
    for k in positives:
        rates, tprs, fprs = [], [], []
        for g in names:
            idx = [i for i in range(len(y)) if groups[i] == g]
            rates.append(np.mean([pred[i] == k for i in idx]))
            pos = [i for i in idx if y[i] == k]
            neg = [i for i in idx if y[i] != k]
            if pos:
                tprs.append(np.mean([pred[i] == k for i in pos]))
            if neg:
                fprs.append(np.mean([pred[i] == k for i in neg]))
        dp = max(dp, max(rates) - min(rates))
        spread_t = max(tprs) - min(tprs) if tprs else 0.0
        spread_f = max(fprs) - min(fprs) if fprs else 0.0
        eo = max(eo, spread_t, spread_f)
    return dp, eo


class ReportNumbersTest(TestCase):
    def test_numbers_equal_scikit_learn(self):
        y, p = noisy_predictions()
        c = p.shape[1]
        rng = np.random.default_rng(1)
        groups = rng.choice(["a", "b", "c"], size=len(y))
        report = EvaluationReport(y, p, groups=groups)
        pred = p.argmax(1)
        d = report.to_dict()
        self.assertAlmostEqual(d["accuracy"], skm.accuracy_score(y, pred))
        prec, rec, f1, sup = skm.precision_recall_fscore_support(
            y, pred, labels=range(c), zero_division=0
        )
        self.assertEqual(prec[c - 1], 0.0)  # the starved class
        self.assertAllClose(np.array([r["precision"] for r in d["per_class"]]), prec)
        self.assertAllClose(np.array([r["recall"] for r in d["per_class"]]), rec)
        self.assertAllClose(np.array([r["f1"] for r in d["per_class"]]), f1)
        self.assertEqual([r["support"] for r in d["per_class"]], sup.tolist())
        for average in ("macro", "weighted"):
            self.assertAlmostEqual(
                d[f"{average}_f1"],
                skm.f1_score(y, pred, labels=range(c), average=average,
                             zero_division=0),
            )
        self.assertAlmostEqual(
            d["macro_precision"],
            skm.precision_score(y, pred, labels=range(c), average="macro",
                                zero_division=0),
        )
        self.assertAlmostEqual(
            d["macro_recall"],
            skm.recall_score(y, pred, labels=range(c), average="macro",
                             zero_division=0),
        )
        self.assertEqual(
            d["confusion_matrix"],
            skm.confusion_matrix(y, pred, labels=range(c)).tolist(),
        )
        self.assertAlmostEqual(
            d["log_loss"], skm.log_loss(y, p, labels=range(c)), places=9
        )
        self.assertAlmostEqual(
            d["expected_calibration_error"], ece_reference(y, p), places=12
        )
        # Most-confused pairs: the largest off-diagonal counts, in order.
        cm = skm.confusion_matrix(y, pred, labels=range(c))
        off = sorted(
            ((cm[i, j], i, j) for i in range(c) for j in range(c) if i != j),
            key=lambda t: -t[0],
        )
        self.assertEqual(
            [q["count"] for q in d["most_confused"]],
            [t[0] for t in off[:5]],
        )
        # Hardest examples: the highest per-example cross-entropy.
        losses = -np.log(p[np.arange(len(y)), y])
        self.assertEqual(
            [h["index"] for h in d["hardest"]],
            np.argsort(-losses, kind="stable")[:16].tolist(),
        )
        # Fairness: per-group accuracy / recall against scikit-learn, the
        # parity differences against fairlearn's definitions by loops.
        fair = d["fairness"]
        for g in ("a", "b", "c"):
            m = groups == g
            self.assertAlmostEqual(
                fair["groups"][g]["accuracy"],
                skm.accuracy_score(y[m], pred[m]),
            )
            self.assertAlmostEqual(
                fair["groups"][g]["recall"],
                skm.balanced_accuracy_score(y[m], pred[m]),
            )
            self.assertAllClose(
                np.array(fair["groups"][g]["per_class_recall"]),
                skm.recall_score(y[m], pred[m], labels=range(c),
                                 average=None, zero_division=0),
            )
        dp, eo = fairness_reference(y, pred, groups, c)
        self.assertAlmostEqual(fair["demographic_parity_difference"], dp)
        self.assertAlmostEqual(fair["equalized_odds_difference"], eo)
        json.dumps(d)  # JSON-serializable

    def test_binary_fairness_uses_positive_class(self):
        rng = np.random.default_rng(3)
        y = rng.integers(0, 2, size=300)
        p1 = np.clip(0.35 * y + rng.uniform(0, 0.65, size=300), 0, 1)
        groups = rng.integers(0, 2, size=300)
        report = EvaluationReport(y, np.stack([1 - p1, p1], 1),
                                  groups=groups)
        pred = (p1 > 0.5).astype(int)
        dp, eo = fairness_reference(y, pred, groups, 2)
        self.assertAlmostEqual(
            report.fairness["demographic_parity_difference"], dp
        )
        self.assertAlmostEqual(
            report.fairness["equalized_odds_difference"], eo
        )

    def test_ece_function_matches_loop(self):
        y, p = noisy_predictions(n=250, c=4, seed=5, starve_class=False)
        for bins in (1, 10, 15):
            self.assertAlmostEqual(
                expected_calibration_error(y, p, bins),
                ece_reference(y, p, bins), places=12,
            )
        one_hot = np.eye(4)[y]
        self.assertAlmostEqual(
            expected_calibration_error(one_hot, p), ece_reference(y, p)
        )

    def test_evaluate_uses_model_predictions(self):
        rng = np.random.default_rng(0)
        x = rng.uniform(0, 255, size=(40, 8, 8, 1)).astype("float32")
        y = rng.integers(0, 3, size=40)
        model = keras.Sequential([
            keras.Input((8, 8, 1)), keras.layers.Rescaling(1 / 255.0),
            keras.layers.Flatten(), keras.layers.Dense(3),
        ])  # logits: evaluate applies the softmax
        report = evaluate(model, x, y, class_names=["a", "b", "c"],
                          batch_size=16)
        logits = model.predict(x, verbose=0)
        probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        self.assertAllClose(report.y_prob, probs, atol=1e-5)
        self.assertAlmostEqual(
            report.accuracy, skm.accuracy_score(y, probs.argmax(1))
        )
        self.assertIsNotNone(report.images)

    def test_bad_arguments(self):
        y, p = noisy_predictions(n=20, c=3)
        with self.assertRaisesRegex(ValueError, "class_names"):
            EvaluationReport(y, p, class_names=["a"])
        with self.assertRaisesRegex(ValueError, "one group per sample"):
            EvaluationReport(y, p, groups=[0, 1])
        with self.assertRaisesRegex(ValueError, r"class ids in \[0, 3\)"):
            EvaluationReport(y + 3, p)
        with self.assertRaisesRegex(ValueError, "y_prob"):
            EvaluationReport(y, p[:, 0])
        with self.assertRaisesRegex(TypeError, "batch_size"):
            evaluate(keras.Sequential(), p, y, batch_size=1.5)

    def test_config_round_trip(self):
        y, p = noisy_predictions(n=30, c=3)
        report = EvaluationReport(y, p, groups=np.arange(30) % 2)
        revived = self.run_serialization_test(report)
        self.assertEqual(revived.to_dict(), report.to_dict())


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


CHECK_SCRIPT = """
<script>
window.addEventListener("load", function () {
  var out = [];
  document.querySelectorAll("img").forEach(function (img) {
    out.push(img.id + ":" + img.complete + ":" + img.naturalWidth + "x" +
             img.naturalHeight + ":" + img.getBoundingClientRect().width);
  });
  var div = document.createElement("div");
  div.id = "image-check";
  div.textContent = out.join(";");
  document.body.appendChild(div);
});
</script>
"""


class ReportRenderingTest(TestCase):
    def test_plots_and_html_render_in_headless_chromium(self):
        (x, y), _ = keras_recipes.datasets.digits.load_data()
        x, y = x[:120], y[:120]
        rng = np.random.default_rng(0)
        logits = rng.normal(size=(120, 10))
        logits[np.arange(120), y] += 2.0
        p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        report = EvaluationReport(
            y, p, class_names=[f"digit {i}" for i in range(10)],
            groups=rng.integers(0, 2, size=120), images=x,
        )
        folder = self.get_temp_dir()
        paths = report.save_plots(folder)
        expected = {"confusion_matrix", "reliability_diagram",
                    "per_class_metrics", "hardest_examples", "fairness"}
        self.assertEqual(set(paths), expected)
        for path in paths.values():
            with open(path, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

        html_path = os.path.join(folder, "report.html")
        page = report.to_html(html_path)
        # Self-contained: every image is an embedded PNG, nothing fetched.
        sources = re.findall(r'src="([^"]+)"', page)
        self.assertEqual(len(sources), len(expected))
        for src in sources:
            self.assertTrue(src.startswith("data:image/png;base64,"))
            data = base64.b64decode(src.split(",", 1)[1])
            self.assertEqual(data[:4], b"\x89PNG")
        self.assertNotRegex(page, r"(href|src)=\"https?:")

        chromium = find_chromium()
        self.assertIsNotNone(
            chromium,
            "This test needs headless Chromium: apt-get install chromium",
        )
        probe = os.path.join(folder, "probe.html")
        with open(probe, "w", encoding="utf-8") as f:
            f.write(page.replace("</body>", CHECK_SCRIPT + "</body>"))
        result = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--window-size=1200,2000",
             "--virtual-time-budget=10000", "--dump-dom",
             "file://" + probe],
            capture_output=True, text=True, timeout=120,
        )
        match = re.search(r'<div id="image-check">([^<]*)</div>',
                          result.stdout)
        self.assertIsNotNone(match, result.stderr[-2000:])
        rendered = {}
        for item in match.group(1).split(";"):
            name, complete, size, shown = item.split(":")
            w, h = (int(v) for v in size.split("x"))
            rendered[name] = (complete, w, h, float(shown))
        self.assertEqual(set(rendered), expected)
        for name, (complete, w, h, shown) in rendered.items():
            # Decoded by the browser at the PNG's size, and laid out.
            self.assertEqual(complete, "true", name)
            self.assertGreater(w, 200, name)
            self.assertGreater(h, 200, name)
            self.assertGreater(shown, 100, name)


@pytest.mark.parametrize("bins", [0, -1, 1.5, True])
def test_ece_rejects_bad_num_bins(bins):
    with pytest.raises(ValueError, match="num_bins"):
        expected_calibration_error([0], [[1.0, 0.0]], bins)
