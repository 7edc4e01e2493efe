"""`keras-recipes train --teacher MODEL.keras`: distillation from the
command line, cached without augmentation, live with it, and clear errors
for a teacher that does not fit the dataset."""

import json
import os

import keras
import pytest

from keras_recipes import cli
from keras_recipes.augment import MixUp
from keras_recipes.models import small_resnet
from keras_recipes.recipes import Recipe

TINY = ["--dataset", "digits", "--width", "4", "--batch-size", "64",
        "--quiet", "--tracker", "none", "--epochs", "1", "--subset", "150"]


def train(argv, capsys):
    code = cli.main(["train", *TINY, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_state(output, out):
    run_id = out.split("run ")[1].split(":")[0]
    with open(os.path.join(output, run_id, "run.json")) as fh:
        return run_id, json.load(fh)


def test_train_with_teacher(tmp_path, capsys):
    output = str(tmp_path / "runs")
    # An (untrained) teacher of the dataset's shape: any saved model fits.
    teacher_path = str(tmp_path / "teacher.keras")
    small_resnet((8, 8, 1), 10, width=4).save(teacher_path)

    # No augmentation in the recipe: the teacher's outputs are cached.
    code, out, err = train(["--recipe", "baseline", "--output", output,
                            "--teacher", teacher_path, "--seed", "1"],
                           capsys)
    assert code == 0, err
    assert f"distilled from {teacher_path}" in out
    run_id, state = run_state(output, out)
    assert state["status"] == "FINISHED"
    assert state["distillation"] == "cached"
    assert state["args"]["teacher"] == teacher_path
    # The run's model is the plain student.
    student = keras.saving.load_model(
        os.path.join(output, run_id, "model.keras"))
    assert student.name == "small_resnet"
    with open(os.path.join(output, run_id, "history.csv")) as fh:
        header = fh.readline()
    assert "distillation_loss" in header and "val_loss" in header

    # With the recipe's augmentation (in the train step): the live teacher.
    recipe_path = str(tmp_path / "mixup.json")
    Recipe(augment=[MixUp(num_classes=10)]).to_json(recipe_path)
    code, out, err = train(["--recipe", recipe_path, "--output", output,
                            "--teacher", teacher_path], capsys)
    assert code == 0, err
    _, state = run_state(output, out)
    assert state["distillation"] == "live"


@pytest.mark.parametrize("case", ["classes", "shape", "missing", "junk"])
def test_bad_teacher_is_a_usage_error(case, tmp_path, capsys):
    path = str(tmp_path / "teacher.keras")
    if case == "classes":
        model = keras.Sequential([keras.Input((8, 8, 1)),
                                  keras.layers.Flatten(),
                                  keras.layers.Dense(3)])
        model.save(path)
        expected = "outputs 3 classes, the dataset has 10"
    elif case == "shape":
        model = keras.Sequential([keras.Input((28, 28, 1)),
                                  keras.layers.Flatten(),
                                  keras.layers.Dense(10)])
        model.save(path)
        expected = "takes inputs of shape (None, 28, 28, 1)"
    elif case == "missing":
        expected = "no such file"
    else:
        with open(path, "w") as fh:
            fh.write("not a zip")
        expected = "cannot load"
    code, out, err = train(["--output", str(tmp_path / "runs"),
                            "--teacher", path], capsys)
    assert code == 2
    assert "--teacher" in err and expected in err, err
    assert "Traceback" not in err
