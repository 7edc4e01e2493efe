"""Linear and k-NN probes, and the ProbeMonitor callback."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from keras_recipes import callbacks
from keras_recipes import ssl

JIT = False if keras.backend.backend() == "torch" else True


def _digits():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32").reshape(-1, 8, 8, 1)
    return x[:1200], y[:1200], x[1200:], y[1200:]


def _flatten_encoder():
    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten()])


def _random_conv_encoder(pool=False):
    layers = [keras.Input((8, 8, 1)),
              keras.layers.Conv2D(6, 3, activation="relu",
                                  kernel_initializer=keras.initializers
                                  .GlorotUniform(seed=1))]
    if pool:
        layers.append(keras.layers.GlobalAveragePooling2D())
    return keras.Sequential(layers)


def knn_numpy(train, train_y, query, k, temperature):
    """The DINO weighted k-NN vote, one query at a time."""
    train = train / np.linalg.norm(train, axis=1, keepdims=True)
    out = []
    for q in query:
        q = q / np.linalg.norm(q)
        sims = train @ q
        top = np.argsort(-sims, kind="stable")[:k]
        votes = np.zeros(train_y.max() + 1)
        for i in top:
            votes[train_y[i]] += np.exp(sims[i] / temperature)
        out.append(np.argmax(votes))
    return np.array(out)


@pytest.mark.parametrize("k,temperature", [(1, 0.07), (5, 0.07), (20, 0.5)])
def test_knn_matches_numpy_reference(k, temperature):
    xtr, ytr, xte, yte = _digits()
    xtr, ytr, xte, yte = xtr[:400], ytr[:400], xte[:150], yte[:150]
    enc = _random_conv_encoder()
    features_tr = ssl.embed(enc, xtr)
    features_te = ssl.embed(enc, xte)
    expected = np.mean(
        knn_numpy(features_tr, ytr, features_te, k, temperature) == yte)
    got = ssl.knn_accuracy(enc, xtr, ytr, xte, yte, k=k,
                           temperature=temperature)
    assert got == pytest.approx(expected, abs=1.5 / len(yte))
    assert got > 0.25  # well above chance (0.1) even with random features


def test_embed_pools_feature_maps_and_tokens():
    x = np.random.default_rng(0).normal(size=(5, 8, 8, 1)).astype("float32")
    enc = _random_conv_encoder()
    expected = np.asarray(enc.predict(x, verbose=0)).mean(axis=(1, 2))
    np.testing.assert_allclose(ssl.embed(enc, x), expected, rtol=1e-5,
                               atol=1e-6)
    pooled = _random_conv_encoder(pool=True)
    assert ssl.embed(pooled, x).shape == (5, 6)


def test_linear_probe_matches_logistic_regression_and_freezes_encoder():
    xtr, ytr, xte, yte = _digits()
    enc = _flatten_encoder()
    acc = ssl.linear_probe(enc, xtr, ytr, xte, yte, epochs=60)
    f_tr = xtr.reshape(len(xtr), -1)
    f_te = xte.reshape(len(xte), -1)
    mean, std = f_tr.mean(0), f_tr.std(0) + 1e-6
    ref = LogisticRegression(C=1.0, max_iter=2000).fit(
        (f_tr - mean) / std, ytr).score((f_te - mean) / std, yte)
    assert abs(acc - ref) < 0.04, (acc, ref)
    conv = _random_conv_encoder()
    before = [w.copy() for w in conv.get_weights()]
    acc2, classifier = ssl.linear_probe(
        conv, xtr, keras.utils.to_categorical(ytr, 10), xte, yte, epochs=5,
        return_model=True)
    assert 0 <= acc2 <= 1 and classifier.output_shape == (None, 10)
    for a, b in zip(before, conv.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("run_eagerly", [True, False])
def test_probe_monitor_logs_the_accuracy_of_the_encoder(run_eagerly):
    xtr, ytr, xte, yte = _digits()
    xtr, ytr = xtr[:256], ytr[:256]
    inputs = keras.Input((8, 8, 1))
    feats = keras.layers.Dense(8)(keras.layers.Flatten()(inputs))
    encoder = keras.Model(inputs, feats)
    model = keras.Sequential([encoder, keras.layers.Dense(10)])
    model.compile(optimizer="adam", run_eagerly=run_eagerly,
                  jit_compile=False if run_eagerly else JIT,
                  loss=keras.losses.SparseCategoricalCrossentropy(
                      from_logits=True))
    monitor = callbacks.ProbeMonitor(xtr, ytr, xte, yte, every=2, k=5,
                                     encoder=encoder)
    history = model.fit(xtr, ytr, epochs=3, verbose=0, callbacks=[monitor])
    values = history.history["knn_accuracy"]
    assert len(values) == 2  # epoch 2 and the last epoch
    assert values[-1] == ssl.knn_accuracy(encoder, xtr, ytr, xte, yte, k=5)


def test_bad_arguments_name_themselves():
    xtr, ytr, xte, yte = _digits()
    enc = _flatten_encoder()
    with pytest.raises(ValueError, match="k"):
        ssl.knn_accuracy(enc, xtr, ytr, xte, yte, k=0)
    with pytest.raises(ValueError, match="temperature"):
        ssl.knn_accuracy(enc, xtr, ytr, xte, yte, temperature=0)
    with pytest.raises(ValueError, match="y_train"):
        ssl.knn_accuracy(enc, xtr, ytr[:-1], xte, yte)
    with pytest.raises(TypeError, match="encoder"):
        ssl.linear_probe("model", xtr, ytr, xte, yte)
    with pytest.raises(ValueError, match="epochs"):
        ssl.linear_probe(enc, xtr, ytr, xte, yte, epochs=0)
    with pytest.raises(ValueError, match="every"):
        callbacks.ProbeMonitor(xtr, ytr, xte, yte, every=0)
