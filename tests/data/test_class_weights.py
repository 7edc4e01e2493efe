import numpy as np
import pytest

from keras_recipes.data import class_weights


def test_balanced_matches_sklearn():
    from sklearn.utils.class_weight import compute_class_weight

    y = np.array([0] * 50 + [1] * 30 + [2] * 5 + [3] * 15)
    ref = compute_class_weight("balanced", classes=np.arange(4), y=y)
    got = class_weights(y)
    assert list(got) == [0, 1, 2, 3]
    np.testing.assert_allclose([got[c] for c in range(4)], ref, rtol=1e-12)
    # (N, 1) and one-hot give the same weights.
    assert class_weights(y[:, None]) == got
    assert class_weights(np.eye(4)[y]) == got


def test_inverse_sqrt_and_effective_number_references():
    y = [0] * 100 + [1] * 10 + [2] * 1
    counts = {0: 100, 1: 10, 2: 1}
    inv = {c: 1 / n ** 0.5 for c, n in counts.items()}
    s = sum(inv.values())
    got = class_weights(y, method="inverse_sqrt")
    for c in counts:
        assert got[c] == pytest.approx(inv[c] * 3 / s, rel=1e-12)
    beta = 0.99
    eff = {}
    for c, n in counts.items():
        effective = sum(beta ** k for k in range(n))  # (1 - b^n) / (1 - b)
        eff[c] = 1 / effective
    s = sum(eff.values())
    got = class_weights(y, method="effective_number", beta=beta)
    for c in counts:
        assert got[c] == pytest.approx(eff[c] * 3 / s, rel=1e-9)
    # Rarer classes get larger weights under every method.
    for method in ("balanced", "inverse_sqrt", "effective_number"):
        w = class_weights(y, method=method)
        assert w[2] > w[1] > w[0]


def test_works_as_fit_class_weight_and_focal_alpha():
    """The dict is accepted by both `fit(class_weight=)` and `FocalLoss(alpha=)`
    and each applies it: one full-batch step with a zero learning rate reports
    `sum_i cw[y_i] * alpha[y_i] * (1 - p_i)^2 * -log p_i / N`, computed here in
    NumPy from the model's own predictions."""
    import keras

    from keras_recipes.losses import FocalLoss

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = np.array([0] * 30 + [1] * 10)
    w = class_weights(y)
    assert w[1] > w[0]
    model = keras.Sequential([keras.Input((3,)),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss=FocalLoss(alpha=w))
    history = model.fit(x, y, class_weight=w, epochs=1, batch_size=40,
                        shuffle=False, verbose=0)
    p = model.predict(x, verbose=0).astype("float64")[np.arange(40), y]
    cw = np.array([w[c] for c in y])
    per_sample = cw * cw * (1 - p) ** 2 * -np.log(p)
    assert history.history["loss"][0] == pytest.approx(per_sample.mean(),
                                                       rel=1e-4)
    # Without either weighting the figure differs, so the test can fail.
    plain = ((1 - p) ** 2 * -np.log(p)).mean()
    assert abs(per_sample.mean() - plain) > 1e-3


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(y=[0, 1], method="sqrt"), "method"),
        (dict(y=[0, 1], beta=1.0), "beta"),
        (dict(y=[0, 2]), "classes \\[1\\]"),
        (dict(y=[0, 1], num_classes=3), "classes \\[2\\]"),
        (dict(y=[0.5, 1]), "integer class ids"),
        (dict(y=[[0, 1], [1, 1]]), "one-hot"),
    ],
)
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        class_weights(**kwargs)
