"""`audit` finds every planted fault; its chunked near-duplicate search
equals a brute-force NumPy reference; its label issues agree with
cleanlab's `find_label_issues` (the reference, used only here)."""

import json

import numpy as np
import pytest

from keras_recipes.data.audit import AuditReport
from keras_recipes.data.audit import audit

NOISE_SEED = 0


def _digits():
    datasets = pytest.importorskip("sklearn.datasets")
    d = datasets.load_digits()
    return d.images.astype("float64"), d.target.astype("int64")


@pytest.fixture(scope="module")
def planted():
    """600 train / 200 test digits with one of each fault planted."""
    images, labels = _digits()
    rng = np.random.default_rng(0)
    x, y = images[:600].copy(), labels[:600].copy()
    xt, yt = images[600:800].copy(), labels[600:800].copy()
    x[100], y[100] = x[10], y[10]                 # exact pair
    x[101], x[102] = x[11], x[11]                 # exact triple
    y[101] = y[102] = y[11]
    x[103], y[103] = x[12], (y[12] + 1) % 10      # conflicting labels
    x[104], y[104] = x[13] + rng.normal(0, 0.05, (8, 8)), y[13]  # near
    xt[5], yt[5] = x[20], y[20]                   # exact leak
    xt[6], yt[6] = x[21], (y[21] + 3) % 10        # exact leak, other label
    xt[7], yt[7] = x[22] + rng.normal(0, 0.05, (8, 8)), y[22]  # near leak
    x[150, 3, 3] = np.nan                         # non-finite
    xt[9, 0, 0] = np.inf
    x[151] = 0.0                                  # constant
    return x, y, xt, yt


def _reference_pairs(a, b, threshold, same_bytes, valid_a, valid_b):
    """Every pair from the full similarity matrix, in float64."""
    def norm(f, valid):
        f = np.where(np.isfinite(f), f, 0.0)
        f = f - f.mean(1, keepdims=True)
        n = np.linalg.norm(f, axis=1, keepdims=True)
        f = f / np.where(n > 0, n, 1)
        f[~valid | (n[:, 0] == 0)] = 0
        return f

    fa = norm(a, valid_a)
    fb = fa if b is None else norm(b, valid_b)
    s = fb @ fa.T
    if b is None:
        s = np.triu(s, k=1) - np.tril(np.ones_like(s))
    pairs = set()
    for i, j in zip(*np.nonzero(s >= threshold)):
        if not same_bytes(i, j):
            pairs.add((int(i), int(j)))
    border = np.abs(s - threshold) < 1e-5
    return pairs, {(int(i), int(j)) for i, j in zip(*np.nonzero(border))}


def test_planted_faults_are_found(planted):
    x, y, xt, yt = planted
    r = audit(x, y, xt, yt)
    groups = sorted(g.tolist() for g in r.exact_duplicates)
    assert [10, 100] in groups and [11, 101, 102] in groups
    assert [12, 103] in groups
    assert [g.tolist() for g in r.label_conflicts] == [[12, 103]]
    assert r.counts()["exact_duplicates"] == sum(len(g) - 1 for g in groups)
    assert (13, 104) in {tuple(p) for p in r.near_duplicates.tolist()}
    # Exact duplicates are not repeated as near duplicates.
    near = {tuple(p) for p in r.near_duplicates.tolist()}
    assert not near & {(10, 100), (11, 101), (11, 102), (101, 102)}
    assert [5, 20] in r.exact_leaks.tolist()
    assert [6, 21] in r.exact_leaks.tolist()
    assert r.leak_label_conflicts.tolist() == [[6, 21]]
    assert 7 in r.near_leaks[:, 0]
    assert [7, 22] in r.near_leaks.tolist()
    assert r.nonfinite.tolist() == [150]
    assert r.test_nonfinite.tolist() == [9]
    assert 151 in r.constant.tolist()
    finite = x[np.isfinite(x)]
    assert r.value_range == [finite.min(), finite.max()]
    np.testing.assert_array_equal(r.class_counts, np.bincount(y))
    np.testing.assert_array_equal(r.test_class_counts,
                                  np.bincount(yt, minlength=10))
    counts = np.bincount(y)
    assert r.imbalance_ratio == pytest.approx(counts.max() / counts.min())
    assert r.label_issues is None
    assert "label conflicts:    1 groups" in r.summary()
    assert f"exact_duplicates={r.counts()['exact_duplicates']} " in repr(r)


def test_chunked_near_duplicates_equal_brute_force(planted):
    x, y, xt, yt = planted
    r = audit(x, y, xt, yt, near_threshold=0.97, chunk_size=7)
    for chunk_size in (64, 5000):  # the chunking changes nothing
        other = audit(x, y, xt, yt, near_threshold=0.97,
                      chunk_size=chunk_size)
        np.testing.assert_array_equal(other.near_duplicates,
                                      r.near_duplicates)
        np.testing.assert_array_equal(other.near_leaks, r.near_leaks)
    rows = x.reshape(len(x), -1)
    rows_t = xt.reshape(len(xt), -1)
    valid = np.isfinite(rows).all(1)
    valid_t = np.isfinite(rows_t).all(1)
    ref, border = _reference_pairs(
        rows, None, 0.97, lambda i, j: np.array_equal(rows[i], rows[j]),
        valid, valid)
    got = {tuple(p) for p in r.near_duplicates.tolist()}
    assert len(ref) > 10  # a real test: natural pairs besides the planted
    assert got - border == ref - border
    ref_t, border_t = _reference_pairs(
        rows, rows_t, 0.97,
        lambda i, j: np.array_equal(rows_t[i], rows[j]), valid, valid_t)
    got_t = {tuple(p) for p in r.near_leaks.tolist()}
    assert got_t - border_t == ref_t - border_t
    sims = dict(zip(map(tuple, r.near_duplicates.tolist()),
                    r.near_duplicate_similarity))
    assert all(s >= 0.97 for s in sims.values())


def test_pooled_pixels_and_channels_first_match_a_reference():
    rng = np.random.default_rng(1)
    x = rng.random((40, 20, 20, 3)).astype("float32")
    x[30] = x[3] + rng.normal(0, 0.01, x[3].shape)
    y = np.arange(40) % 4
    r = audit(x, y, near_threshold=0.9, data_format="channels_last")
    assert r.features == "pixels pooled to 10x10"
    pooled = x.reshape(40, 10, 2, 10, 2, 3).mean((2, 4)).reshape(40, -1)
    ref, border = _reference_pairs(pooled, None, 0.9, lambda i, j: False,
                                   np.ones(40, bool), None)
    got = {tuple(p) for p in r.near_duplicates.tolist()}
    assert (3, 30) in got and got - border == ref - border
    first = audit(np.moveaxis(x, -1, 1), y, near_threshold=0.9,
                  data_format="channels_first")
    np.testing.assert_array_equal(first.near_duplicates, r.near_duplicates)


def test_embeddings_replace_pixels():
    rng = np.random.default_rng(2)
    x = rng.random((30, 5))
    y = np.arange(30) % 3
    e = rng.normal(size=(30, 16))
    e[7] = e[2] * 3.0                 # same direction: cosine 1
    et = rng.normal(size=(10, 16))
    et[4] = e[9]
    r = audit(x, y, x[:10] + 5, y[:10], embeddings=e, test_embeddings=et)
    assert r.features == "embeddings (16-d)"
    assert r.near_duplicates.tolist() == [[2, 7]]
    assert r.near_leaks.tolist() == [[4, 9]]


@pytest.fixture(scope="module")
def noisy_digits():
    """Digits with 10% of the labels flipped and 3-fold out-of-fold
    probabilities of a logistic regression."""
    images, labels = _digits()
    model_selection = pytest.importorskip("sklearn.model_selection")
    linear_model = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(NOISE_SEED)
    noisy = labels.copy()
    flipped = rng.choice(len(labels), len(labels) // 10, replace=False)
    noisy[flipped] = (noisy[flipped] + rng.integers(1, 10, len(flipped))
                      ) % 10
    threadpoolctl = pytest.importorskip("threadpoolctl")
    # One BLAS thread: on a busy 2-core runner, threaded BLAS makes this
    # 0.1 s fit take 10 s.
    with threadpoolctl.threadpool_limits(1):
        probs = model_selection.cross_val_predict(
            linear_model.LogisticRegression(C=0.05, max_iter=300),
            images.reshape(len(images), -1) / 16, noisy, cv=3,
            method="predict_proba")
    return images, noisy, probs, np.sort(flipped)


def test_flipped_labels_are_found(noisy_digits):
    x, y, probs, flipped = noisy_digits
    r = audit(x, y, probabilities=probs)
    found = np.isin(r.label_issues, flipped)
    assert found.mean() >= 0.7                      # precision
    assert found.sum() / len(flipped) >= 0.75       # recall
    # Ranked by self-confidence, most suspicious first.
    conf = probs[r.label_issues, y[r.label_issues]]
    np.testing.assert_allclose(r.label_issue_self_confidence, conf)
    assert np.all(np.diff(conf) >= 0)
    np.testing.assert_array_equal(r.suggested_labels,
                                  probs[r.label_issues].argmax(1))
    assert np.all(r.suggested_labels != y[r.label_issues])
    assert r.confident_joint.sum() == len(y)
    np.testing.assert_array_equal(r.confident_joint.sum(1), np.bincount(y))
    assert 0.05 < r.estimated_noise_rate < 0.2
    assert "label issues:" in r.summary()


def test_label_issues_agree_with_cleanlab(noisy_digits):
    cleanlab_filter = pytest.importorskip("cleanlab.filter")
    x, y, probs, _ = noisy_digits
    ours = set(audit(x, y, probabilities=probs).label_issues.tolist())
    ref = set(np.flatnonzero(
        cleanlab_filter.find_label_issues(y, probs, n_jobs=1)).tolist())
    jaccard = len(ours & ref) / len(ours | ref)
    assert jaccard >= 0.95, (jaccard, len(ours), len(ref))


def test_to_dict_is_json_and_round_trips(planted, noisy_digits):
    x, y, xt, yt = planted
    r = audit(x, y, xt, yt)
    d = r.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert AuditReport.from_dict(json.loads(json.dumps(d))).to_dict() == d
    assert d["counts"]["label_conflicts"] == 1
    xd, yd, probs, _ = noisy_digits
    d = audit(xd, yd, probabilities=probs).to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert AuditReport.from_dict(d).to_dict() == d


def test_to_html_has_thumbnails(planted, noisy_digits, tmp_path):
    x, y, xt, yt = planted
    r = audit(x, y, xt, yt)
    path = tmp_path / "sub" / "audit.html"
    page = r.to_html(path, x=x, x_test=xt, class_names=list("abcdefghij"))
    assert path.read_text(encoding="utf-8") == page
    assert page.count("<img") >= 2 * 4 + 3   # dups, near, leaks, bad values
    assert "data:image/png;base64," in page and "conflicting labels" in page
    assert "<img" not in r.to_html()          # no images, tables only
    xd, yd, probs, _ = noisy_digits
    page = audit(xd, yd, probabilities=probs).to_html(x=xd, max_examples=5)
    assert "Likely label errors" in page and page.count("<img") >= 5


def test_png_thumbnail_is_a_valid_png():
    import zlib

    from keras_recipes.utils.html import png as _png

    img = (np.arange(12, dtype="uint8").reshape(3, 4) * 20)
    data = _png(img)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    idat = data.index(b"IDAT")
    length = int.from_bytes(data[idat - 4:idat], "big")
    raw = zlib.decompress(data[idat + 4:idat + 4 + length])
    rows = np.frombuffer(raw, "uint8").reshape(3, 5)
    np.testing.assert_array_equal(rows[:, 1:], img)


BAD_INPUTS = {
    "x_none": (dict(x=None), TypeError, "`x`"),
    "x_strings": (dict(x=np.array([["a"], ["b"]])), TypeError, "numeric"),
    "x_1d": (dict(x=np.zeros(4)), ValueError, "x.shape=(4,)"),
    "y_length": (dict(y=np.zeros(3, "int64")), ValueError, "`y`"),
    "y_negative": (dict(y=-np.ones(4, "int64")), ValueError, ">= 0"),
    "y_fractional": (dict(y=np.full(4, 0.5)), TypeError, "integer"),
    "probabilities_shape": (dict(probabilities=np.ones((4, 1))),
                            ValueError, "probabilities.shape=(4, 1)"),
    "probabilities_logits": (dict(probabilities=np.full((4, 2), 0.9)),
                             ValueError, "sum to 1"),
    "probabilities_nan": (dict(probabilities=np.full((4, 2), np.nan)),
                          ValueError, "finite"),
    "probabilities_too_few_classes": (
        dict(y=np.array([0, 1, 2, 2]), probabilities=np.full((4, 2), 0.5)),
        ValueError, "3 classes"),
    "threshold_zero": (dict(near_threshold=0.0), ValueError,
                       "near_threshold"),
    "threshold_text": (dict(near_threshold="high"), TypeError,
                       "near_threshold"),
    "chunk_size_zero": (dict(chunk_size=0), ValueError, "chunk_size"),
    "x_test_shape": (dict(x_test=np.zeros((2, 3, 3)),
                          y_test=np.zeros(2, "int64")), ValueError,
                     "x_test.shape=(2, 3, 3)"),
    "y_test_alone": (dict(y_test=np.zeros(2, "int64")), ValueError,
                     "x_test"),
    "test_embeddings_missing": (
        dict(x_test=np.zeros((2, 2, 2)), y_test=np.zeros(2, "int64"),
             embeddings=np.ones((4, 3))), ValueError, "test_embeddings"),
    "embeddings_rows": (dict(embeddings=np.ones((3, 3))), ValueError,
                        "embeddings.shape=(3, 3)"),
    "data_format": (dict(data_format="nhwc"), ValueError, "data_format"),
}


def test_bad_inputs_raise_naming_the_argument():
    # One test, many cases: each test pays for the session reset in
    # conftest.py.
    for case, (kwargs, error, message) in sorted(BAD_INPUTS.items()):
        args = dict(x=np.zeros((4, 2, 2)), y=np.array([0, 1, 0, 1]))
        args.update(kwargs)
        with pytest.raises(error) as info:
            audit(**args)
        assert message in str(info.value), (case, str(info.value))


def test_to_html_rejects_bad_max_examples(planted):
    x, y, _, _ = planted
    with pytest.raises(ValueError, match="max_examples"):
        audit(x[:20], y[:20]).to_html(max_examples=0)


@pytest.mark.parametrize("kind", ["keras", "tqdm"])
def test_verbose_shows_progress(planted, capsys, monkeypatch, kind):
    from keras_recipes.utils import progress

    if kind == "tqdm":
        pytest.importorskip("tqdm")
    monkeypatch.setattr(progress, "_has_tqdm", lambda: kind == "tqdm")
    x, y, xt, yt = planted
    audit(x, y, xt, yt, chunk_size=50, verbose=True)
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "audit: exact duplicates" in out
    # 600 train rows in chunks of 50; 200 test rows: 4 chunks.
    if kind == "tqdm":
        assert "audit: near duplicates in train: 100%" in out
        assert "12/12" in out and "4/4" in out
    else:
        assert "audit: near duplicates in train\n" in out
        assert "12/12" in out and "4/4" in out
    assert "audit: near train/test leaks" in out
    audit(x, y, xt, yt, chunk_size=50, verbose=False)
    captured = capsys.readouterr()
    assert captured.out + captured.err == ""


def _fashion_mnist_slice():
    from keras_recipes.datasets import fashion_mnist

    if fashion_mnist.find_local_copy() is None:
        pytest.skip("dataset-fashion-mnist is not installed "
                    "(scripts/test.sh does)")
    (x, y), (xt, yt) = fashion_mnist.load_data()
    return (x[:1200].copy(), y[:1200].astype("int64"),
            xt[:300].copy(), yt[:300].astype("int64"))


def test_planted_faults_are_found_in_real_fashion_mnist():
    """The same faults planted into 1,200 real uint8 Fashion-MNIST images
    (their natural pairs may be found too; the planted ones must be)."""
    x, y, xt, yt = _fashion_mnist_slice()
    rng = np.random.default_rng(1)

    def jitter(img):                      # +-1 grey level on 30% of pixels
        step = rng.integers(-1, 2, img.shape) * (rng.random(img.shape) < .3)
        return np.clip(img.astype("int64") + step, 0, 255).astype("uint8")

    x[900], y[900] = x[10], y[10]                 # exact pair
    x[901], x[902], y[901], y[902] = x[11], x[11], y[11], y[11]  # triple
    x[903], y[903] = x[12], (y[12] + 1) % 10      # conflicting labels
    x[904], y[904] = jitter(x[13]), y[13]         # near duplicate
    xt[5], yt[5] = x[20], y[20]                   # exact leak
    xt[6], yt[6] = x[21], (y[21] + 3) % 10        # leak, other label
    xt[7], yt[7] = jitter(x[22]), y[22]           # near leak
    x[950] = 0                                    # constant (blank)
    r = audit(x, y, xt, yt)
    groups = [g.tolist() for g in r.exact_duplicates]
    assert [10, 900] in groups and [11, 901, 902] in groups
    assert [12, 903] in groups and [12, 903] in [
        g.tolist() for g in r.label_conflicts]
    assert [13, 904] in r.near_duplicates.tolist()
    assert [5, 20] in r.exact_leaks.tolist()
    assert [6, 21] in r.leak_label_conflicts.tolist()
    assert [7, 22] in r.near_leaks.tolist()
    assert 950 in r.constant.tolist()
    assert r.value_range == [0.0, 255.0]
    np.testing.assert_array_equal(r.class_counts, np.bincount(y))

    # Non-finite values in a float copy.
    xf = x.astype("float32") / 255.0
    xf[960, 4, 4] = np.nan
    assert audit(xf, y).nonfinite.tolist() == [960]


def test_flipped_labels_are_found_in_real_fashion_mnist():
    """10% of 1,200 Fashion-MNIST labels flipped; out-of-fold
    probabilities of a logistic regression on the pixels."""
    x, y, _, _ = _fashion_mnist_slice()
    model_selection = pytest.importorskip("sklearn.model_selection")
    linear_model = pytest.importorskip("sklearn.linear_model")
    threadpoolctl = pytest.importorskip("threadpoolctl")
    rng = np.random.default_rng(NOISE_SEED)
    noisy = y.copy()
    flipped = rng.choice(len(y), len(y) // 10, replace=False)
    noisy[flipped] = (noisy[flipped] + rng.integers(1, 10, len(flipped))
                      ) % 10
    with threadpoolctl.threadpool_limits(1):
        probs = model_selection.cross_val_predict(
            linear_model.LogisticRegression(C=0.01, max_iter=200),
            x.reshape(len(x), -1) / 255.0, noisy, cv=3,
            method="predict_proba")
    r = audit(x, noisy, probabilities=probs)
    found = np.isin(r.label_issues, flipped)
    top = found[:len(flipped) // 2]
    cleanlab_filter = pytest.importorskip("cleanlab.filter")
    ref = set(np.flatnonzero(
        cleanlab_filter.find_label_issues(noisy, probs, n_jobs=1)).tolist())
    ours = set(r.label_issues.tolist())
    # Measured 2026-12-07: 242 flagged, precision 0.45, recall 0.92, the
    # 60 most suspicious 0.95 precise, Jaccard with cleanlab 0.98. The
    # weak classifier mixes up shirts, T-shirts and pullovers, so the
    # estimated noise rate (0.24) is above the planted 0.10 and the whole
    # flagged set is less precise than its top.
    assert found.sum() / len(flipped) >= 0.85       # recall
    assert found.mean() >= 0.4                      # precision
    assert top.mean() >= 0.85                       # ranked: top half
    assert len(ours & ref) / len(ours | ref) >= 0.95
