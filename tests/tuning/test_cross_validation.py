"""`tuning.cross_validate` equals a loop written by hand over the same
splits and seeds, keeps groups apart, and checks its arguments."""

import keras
import numpy as np
import pytest
from sklearn.model_selection import GroupKFold
from sklearn.model_selection import StratifiedKFold

from keras_recipes import tuning
from keras_recipes.datasets import digits
from keras_recipes.recipes import Recipe


def small_digits(n=240):
    (x, y), _ = digits.load_data()
    x = (np.asarray(x, "float32").reshape(len(x), -1) / 16.0)[:n]
    return x, np.asarray(y, "int64")[:n]


def build_model():
    return keras.Sequential([
        keras.Input((64,)), keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


def hand_written_loop(x, y, recipe, splits, seed):
    oof = np.full((len(x), 10), np.nan)
    accuracies = []
    for k, (train, val) in enumerate(splits):
        s = tuning.fold_seed(seed, k)
        keras.backend.clear_session()
        keras.utils.set_random_seed(s)
        model = build_model()
        Recipe.from_config({**recipe.get_config(), "seed": s}).fit(
            model, x[train], y[train], validation_data=(x[val], y[val]),
            verbose=0)
        p = np.asarray(model.predict(x[val], verbose=0), "float64")
        p = p / p.sum(axis=1, keepdims=True)
        oof[val] = p
        accuracies.append(float(np.mean(p.argmax(1) == y[val])))
    return oof, accuracies


@pytest.mark.parametrize("jit_compile", ["auto", False])
def test_equals_the_hand_written_loop(jit_compile):
    x, y = small_digits()
    recipe = Recipe.from_preset("baseline", epochs=3, batch_size=32,
                                learning_rate=0.01)
    result = tuning.cross_validate(
        build_model, x, y, recipe=recipe, cv=3,
        scoring=("accuracy", "log_loss"), seed=7, verbose=0,
        jit_compile=jit_compile,
    )
    splits = list(StratifiedKFold(3, shuffle=True, random_state=7).split(
        x, y))
    for (a_tr, a_va), (b_tr, b_va) in zip(result.splits, splits):
        np.testing.assert_array_equal(a_va, b_va)
    oof, accuracies = hand_written_loop(x, y, recipe, splits, seed=7)
    np.testing.assert_allclose(result.oof, oof, atol=1e-5)
    got = [f["accuracy"] for f in result.fold_scores]
    np.testing.assert_allclose(got, accuracies, atol=1e-9)
    assert result.mean["accuracy"] == pytest.approx(np.mean(accuracies))
    assert result.std["accuracy"] == pytest.approx(np.std(accuracies))
    # Log loss from the out-of-fold probabilities, by NumPy.
    for f, (_, val) in zip(result.fold_scores, splits):
        expected = -np.mean(np.log(oof[val, y[val]]))
        assert f["log_loss"] == pytest.approx(expected, rel=1e-5)
    # Every row is predicted once; the histories validate on the fold.
    assert not np.isnan(result.oof).any()
    assert all(len(h["val_loss"]) == 3 for h in result.histories)
    assert result.mean["accuracy"] > 0.2  # 10 classes: twice chance


def test_group_splitter_keeps_groups_apart(capsys):
    x, y = small_digits(120)
    groups = np.arange(len(y)) // 10
    result = tuning.cross_validate(
        build_model, x, y, recipe=Recipe.from_preset("baseline", epochs=1),
        cv=GroupKFold(2), groups=groups, scoring="macro_f1", verbose=2,
    )
    out = capsys.readouterr().out
    assert out.count("fold ") == 2 and "macro_f1" in out
    for train, val in result.splits:
        assert not set(groups[train]) & set(groups[val])
    assert list(result.mean) == ["macro_f1"]
    assert "2 folds" in repr(result)


def test_verbose_1_draws_a_bar_over_the_folds(capsys, monkeypatch):
    from keras_recipes.utils import progress

    monkeypatch.setattr(progress, "_has_tqdm", lambda: False)  # Keras bar
    x, y = small_digits(60)
    result = tuning.cross_validate(
        build_model, x, y, recipe=Recipe.from_preset("baseline", epochs=1),
        cv=2, verbose=1)
    out = capsys.readouterr().out
    assert "cross-validation" in out and "2/2" in out
    # The bar shows the last fold's score as it is (not averaged).
    assert f"accuracy: {result.fold_scores[-1]['accuracy']:.4f}" in out
    tuning.cross_validate(
        build_model, x, y, recipe=Recipe.from_preset("baseline", epochs=1),
        cv=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_bad_arguments_name_the_argument():
    x, y = small_digits(60)
    with pytest.raises(ValueError, match="verbose"):
        tuning.cross_validate(build_model, x, y, verbose=3)
    with pytest.raises(ValueError, match="cv"):
        tuning.cross_validate(build_model, x, y, cv=1)
    with pytest.raises(TypeError, match="cv"):
        tuning.cross_validate(build_model, x, y, cv="five")
    with pytest.raises(ValueError, match="scoring"):
        tuning.cross_validate(build_model, x, y, scoring=("auc",))
    with pytest.raises(ValueError, match="`x` and `y`"):
        tuning.cross_validate(build_model, x[:10], y)
    with pytest.raises(TypeError, match="build_model"):
        tuning.cross_validate(None, x, y)
    with pytest.raises(TypeError, match="recipe"):
        tuning.cross_validate(build_model, x, y, recipe=3)
    with pytest.raises(ValueError, match="at least cv=5"):
        tuning.cross_validate(build_model, x[:12], y[:12], cv=5)
    with pytest.raises(ValueError, match=r"class ids in \[0, 10\)"):
        tuning.cross_validate(build_model, x, y + 5, cv=2, epochs=1,
                              verbose=0)
