"""`utils.progress.Progress`: Keras's bar or tqdm's, latest values shown as
they are, silence at verbose=0; and the long functions that use it."""

import keras
import numpy as np
import pytest

from keras_recipes import callbacks
from keras_recipes.utils import progress
from keras_recipes.utils.progress import Progress


def test_keras_bar_shows_description_count_and_latest_values(capsys):
    with Progress(3, description="work", unit="item", kind="keras") as p:
        for value in (1.0, 2.0, 4.0):
            p.update(score=value)
    out = capsys.readouterr().out
    assert out.startswith("work\n")
    assert "3/3" in out and "item" in out
    # Latest value (4.0), not the running mean (2.3333).
    assert "score: 4.0000" in out and "2.3333" not in out
    assert p.done == 3


def test_tqdm_bar_writes_to_stderr(capsys):
    pytest.importorskip("tqdm")
    with Progress(2, description="work", unit="item", kind="tqdm") as p:
        p.update(score=0.5)
        p.update(score=0.25)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "work: 100%" in captured.err and "2/2" in captured.err
    assert "score=0.25" in captured.err


def test_auto_picks_tqdm_only_when_installed(monkeypatch):
    monkeypatch.setattr(progress, "_has_tqdm", lambda: False)
    p = Progress(1, kind="auto")
    assert p.kind == "keras"
    p.close()


def test_verbose_0_is_silent(capsys):
    for kind in ("keras", "tqdm"):
        with Progress(2, verbose=0, description="work", kind=kind) as p:
            p.update(score=1.0)
            p.update()
        assert p.done == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_bad_kind_names_the_argument():
    with pytest.raises(ValueError, match="kind"):
        Progress(3, kind="rich")


def test_lr_finder_bar(capsys, monkeypatch):
    monkeypatch.setattr(progress, "_has_tqdm", lambda: False)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = rng.integers(0, 4, size=(64,))
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    callbacks.find_learning_rate(model, x, y, batch_size=8, num_steps=6,
                                 verbose=1)
    out = capsys.readouterr().out
    assert "LR finder" in out and "lr step" in out and " - lr: " in out
    callbacks.find_learning_rate(model, x, y, batch_size=8, num_steps=6,
                                 verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_shows_predict_progress(capsys):
    from keras_recipes.evaluation import evaluate

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    y = np.arange(40) % 3
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(3, activation="softmax")])
    evaluate(model, x, y, batch_size=16, verbose=1)
    assert "3/3" in capsys.readouterr().out
    evaluate(model, x, y, verbose=0)
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="verbose"):
        evaluate(model, x, y, verbose=5)
