"""`keras-recipes pretrain` and `train --init-from --labels-fraction`:
pretrain an encoder, fine-tune it with a stratified share of the labels,
and one-line errors for bad values."""

import json
import os

import keras
import numpy as np
import pytest

from keras_recipes import cli
from keras_recipes.datasets import load_dataset
from keras_recipes.models import small_resnet

TINY = ["--dataset", "digits", "--quiet", "--tracker", "none",
        "--epochs", "1"]


def run_state(output, out):
    run_id = out.split("run ")[1].split(":")[0]
    with open(os.path.join(output, run_id, "run.json")) as fh:
        return run_id, json.load(fh)


@pytest.mark.parametrize("method", ["simclr", "mae"])
def test_pretrain_then_fine_tune_with_one_tenth_of_the_labels(
        method, tmp_path, capsys):
    output = str(tmp_path / "runs")
    code = cli.main(["pretrain", *TINY, "--method", method, "--width", "4",
                     "--batch-size", "128", "--subset", "512",
                     "--probe-size", "300", "--output", output])
    out, err = capsys.readouterr()
    assert code == 0, err
    run_id, state = run_state(output, out)
    assert state["status"] == "FINISHED"
    summary = state["summary"]
    assert 0.0 <= summary["knn_accuracy"] <= 1.0
    assert 0.0 <= summary["linear_probe_accuracy"] <= 1.0
    assert len(state["history"]["knn_accuracy"]) == 1
    encoder_path = os.path.join(output, run_id, "encoder.keras")
    encoder = keras.saving.load_model(encoder_path)
    assert len(encoder.output_shape) == 2
    assert f"--init-from {encoder_path}" in out
    if method != "simclr":
        return  # fine-tuning is the same for every method's encoder

    code = cli.main(["train", *TINY, "--batch-size", "32", "--init-from",
                     encoder_path, "--labels-fraction", "0.1",
                     "--validation-split", "0.1", "--output", output])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"initialised from {encoder_path}" in out
    run_id, state = run_state(output, out)
    assert state["status"] == "FINISHED"
    assert state["args"]["labels_fraction"] == 0.1
    # 10% of each class of the training split, stratified.
    (x, y), _, _ = load_dataset("digits")
    order = np.random.default_rng(0).permutation(len(x))
    y_fit = y[order][: len(x) - int(round(len(x) * 0.1))]
    expected = sum(max(1, int(round(0.1 * n)))
                   for n in np.bincount(y_fit))
    with open(os.path.join(output, run_id, "metrics.json")) as fh:
        metrics = json.load(fh)
    assert metrics["summary"]["epochs"] == 1
    model = keras.saving.load_model(os.path.join(output, run_id,
                                                 "model.keras"))
    assert model.output_shape == (None, 10)
    # The run logged how many labelled images it trained on.
    assert f"({expected} train" in out


@pytest.mark.parametrize("argv,needle", [
    (["pretrain", "--method", "byol"], "--method"),
    (["pretrain", "--learning-rate", "-1"], "--learning-rate"),
    (["pretrain", "--dataset", "digits", "--method", "mae",
      "--patch-size", "3"], "--patch-size"),
    (["train", "--labels-fraction", "0"], "--labels-fraction"),
    (["train", "--labels-fraction", "1.5"], "--labels-fraction"),
    (["train", "--dataset", "digits", "--init-from", "nope.keras"],
     "--init-from"),
])
def test_bad_values_get_one_line(argv, needle, capsys, tmp_path):
    code = cli.main([*argv, "--output", str(tmp_path)])
    _, err = capsys.readouterr()
    assert code == 2
    assert needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_init_from_an_encoder_of_another_shape(tmp_path, capsys):
    path = str(tmp_path / "enc.keras")
    small_resnet((28, 28, 1), None, width=4).save(path)
    code = cli.main(["train", *TINY, "--init-from", path, "--output",
                     str(tmp_path / "runs")])
    _, err = capsys.readouterr()
    assert code == 2
    assert "--init-from" in err and "(None, 8, 8, 1)" in err
