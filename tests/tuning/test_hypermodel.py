"""`RecipeHyperModel` under the four KerasTuner tuners: every trial trains
through `Recipe.fit` (the score equals a `Recipe.fit` run by hand), the
cross-validated score is the fold mean (equal to `cross_validate` by hand),
trials are tracked as MLflow child runs, and the best trial gives back a
`Recipe`."""

import doctest

import keras
import numpy as np
import pytest

from keras_recipes import tuning
from keras_recipes.datasets import digits
from keras_recipes.recipes import Recipe


def digit_images(n=240):
    (x, y), _ = digits.load_data()
    x = np.asarray(x, "float32").reshape(len(x), 8, 8, 1) * (255 / 16)
    return x[:n], np.asarray(y, "int64")[:n]


def build_model(hp):
    units = hp.Choice("units", [16, 32])
    return keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.Rescaling(1 / 255),
        keras.layers.Flatten(), keras.layers.Dense(units, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


def tuner_args(name):
    if name == "hyperband":
        return {"max_epochs": 2, "factor": 2}
    return {"max_trials": 3}


def completed(tuner):
    return [t for t in tuner.oracle.trials.values()
            if t.status == "COMPLETED"]


# Cross-validation lives in the hypermodel, the same for every tuner, so one
# tuner covers cv=2 (the whole matrix cost two CI minutes).
@pytest.mark.parametrize("name,cv", [
    ("random", None), ("grid", None), ("bayesian", None),
    ("hyperband", None), ("random", 2),
])
def test_every_tuner_searches_a_recipe(name, cv, tmp_path):
    x, y = digit_images()
    space = {"learning_rate": tuning.Choice([0.003, 0.01]),
             "erasing_prob": tuning.Choice([0.0, 0.25])}
    hypermodel = tuning.RecipeHyperModel(
        build_model, recipe="standard", space=space, cv=cv,
        fit_kwargs={"epochs": 2})
    tuner = tuning.make_tuner(name, hypermodel, directory=str(tmp_path),
                              **tuner_args(name))
    tuner.search(x, y, validation_split=0.25, verbose=0)
    trials = completed(tuner)
    assert len(trials) >= 3
    assert len(trials) == len(tuner.oracle.trials)  # none failed
    best = tuner.oracle.get_best_trials(1)[0]
    recipe = tuner.get_best_recipe(str(tmp_path / "best_recipe.json"))
    assert recipe.learning_rate == best.hyperparameters["learning_rate"]
    erasing = [layer for layer in recipe.augment
               if type(layer).__name__ == "RandomErasing"]
    assert erasing[0].probability == best.hyperparameters["erasing_prob"]
    again = Recipe.from_json(str(tmp_path / "best_recipe.json"))
    assert again.get_config() == recipe.get_config()
    assert tuning.best_recipe(tuner).get_config() == recipe.get_config()
    if cv is None:
        # The checkpoint holds the user's model (not the augmenting
        # wrapper `Recipe.fit` trains), so it loads into `build`'s model.
        model = tuner.get_best_models(1)[0]
        assert model.predict(x[:4], verbose=0).shape == (4, 10)
    else:
        folds = [best.metrics.get_last_value(f"val_accuracy_fold{k}")
                 for k in (1, 2)]
        assert best.score == pytest.approx(np.mean(folds), abs=1e-6)
        assert best.metrics.get_last_value("val_accuracy_std") == \
            pytest.approx(np.std(folds), abs=1e-6)


@pytest.mark.parametrize("jit_compile", ["auto", False])
def test_trial_score_equals_recipe_fit_by_hand(jit_compile, tmp_path):
    x, y = digit_images()
    hypermodel = tuning.RecipeHyperModel(
        build_model, recipe="baseline",
        space={"learning_rate": tuning.Choice([0.01])},
        fit_kwargs={"epochs": 3, "jit_compile": jit_compile}, seed=3)
    tuner = tuning.make_tuner("random", hypermodel, max_trials=1,
                              directory=str(tmp_path))
    tuner.search(x, y, validation_split=0.25, verbose=0)
    trial = completed(tuner)[0]

    keras.backend.clear_session()
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.Rescaling(1 / 255),
        keras.layers.Flatten(), keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    recipe = Recipe.from_preset("baseline", learning_rate=0.01, seed=3)
    history = recipe.fit(model, x[:180], y[:180],
                         validation_data=(x[180:], y[180:]), epochs=3,
                         verbose=0, jit_compile=jit_compile)
    assert trial.hyperparameters["units"] == 16
    assert trial.score == pytest.approx(
        max(history.history["val_accuracy"]), abs=1e-6)


def test_cross_validated_score_equals_cross_validate(tmp_path):
    x, y = digit_images()
    hypermodel = tuning.RecipeHyperModel(
        build_model, recipe="baseline",
        space={"learning_rate": tuning.Choice([0.01])}, cv=3,
        fit_kwargs={"epochs": 2}, seed=5)
    tuner = tuning.make_tuner("random", hypermodel, max_trials=1,
                              directory=str(tmp_path))
    tuner.search(x, y, verbose=0)
    trial = completed(tuner)[0]

    def build():
        return keras.Sequential([
            keras.Input((8, 8, 1)), keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(), keras.layers.Dense(16, "relu"),
            keras.layers.Dense(10, activation="softmax"),
        ])

    result = tuning.cross_validate(
        build, x, y, recipe=Recipe.from_preset("baseline",
                                               learning_rate=0.01),
        cv=3, epochs=2, seed=5, verbose=0)
    finals = [h["val_accuracy"][-1] for h in result.histories]
    assert trial.score == pytest.approx(np.mean(finals), abs=1e-6)
    for k, value in enumerate(finals, start=1):
        assert trial.metrics.get_last_value(f"val_accuracy_fold{k}") == \
            pytest.approx(value, abs=1e-6)
    assert trial.metrics.get_last_value("val_loss") == pytest.approx(
        np.mean([h["val_loss"][-1] for h in result.histories]), rel=1e-5)


@pytest.mark.parametrize("cv", [None, 2])
def test_trials_are_mlflow_child_runs(cv, tmp_path):
    from keras_recipes.tracking import MLflowTracker

    x, y = digit_images(120)
    parent = MLflowTracker(tracking_uri=f"sqlite:///{tmp_path}/mlruns.db",
                           experiment_name="search", run_name="search")
    hypermodel = tuning.RecipeHyperModel(
        build_model, recipe="baseline",
        space={"learning_rate": tuning.Choice([0.003, 0.01])}, cv=cv,
        fit_kwargs={"epochs": 1}, tracker=parent)
    tuner = tuning.make_tuner("grid", hypermodel, max_trials=2,
                              directory=str(tmp_path / "search"))
    with parent:
        tuner.search(x, y, validation_split=0.25, verbose=0)
    runs = parent.client.search_runs(
        [parent.client.get_experiment_by_name("search").experiment_id])
    children = [r for r in runs
                if r.data.tags.get("mlflow.parentRunId") == parent.run_id]
    assert len(children) == 2
    assert all(r.info.status == "FINISHED" for r in runs)
    by_trial = {r.data.tags["keras_tuner.trial_id"]: r for r in children}
    for trial in completed(tuner):
        run = by_trial[trial.trial_id]
        assert float(run.data.params["learning_rate"]) == \
            trial.hyperparameters["learning_rate"]
        assert run.data.metrics["val_accuracy"] == pytest.approx(
            trial.metrics.get_last_value("val_accuracy"), abs=1e-6) \
            if cv else "val_accuracy" in run.data.metrics
        if cv:
            assert "val_accuracy_fold2" in run.data.metrics


def test_bad_arguments_raise():
    with pytest.raises(TypeError, match="`build_model`"):
        tuning.RecipeHyperModel(3)
    with pytest.raises(ValueError, match="recipe='weak'"):
        tuning.RecipeHyperModel(build_model, recipe="weak")
    with pytest.raises(ValueError, match="cv=1"):
        tuning.RecipeHyperModel(build_model, cv=1)
    with pytest.raises(TypeError, match="`tracker`"):
        tuning.RecipeHyperModel(build_model, tracker="mlflow")
    with pytest.raises(ValueError, match="tuner='annealing'"):
        tuning.make_tuner("annealing", tuning.RecipeHyperModel(build_model))
    with pytest.raises(TypeError, match="RecipeHyperModel"):
        tuning.make_tuner("random", object())
    import keras_tuner

    hypermodel = tuning.RecipeHyperModel(build_model, recipe="baseline")
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    x, y = digit_images(40)
    with pytest.raises(ValueError, match="`validation_data` or "
                       "`validation_split`"):
        hypermodel.fit(hp, model, x, y, epochs=1)
    with pytest.raises(TypeError, match=r"unknown arguments: \['shuffle'\]"):
        hypermodel.fit(hp, model, x, y, validation_split=0.2, shuffle=True)


def test_docstring_example(tmp_path, monkeypatch):
    import keras_recipes
    from keras_recipes.tuning import hypermodel

    monkeypatch.chdir(tmp_path)
    finder = doctest.DocTestFinder(recurse=False)
    globs = {"keras": keras, "keras_recipes": keras_recipes, "np": np}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(hypermodel.RecipeHyperModel, globs=globs):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


# A search on TensorFlow with `tensorboard` not importable (as after
# `pip install tensorflow-cpu keras-tuner`): KerasTuner's own tuner fails
# every trial; the tuners of `make_tuner` do not need it.
WITHOUT_TENSORBOARD = """
import sys
sys.modules["tensorboard"] = None
import keras, keras_tuner, numpy as np
from keras_recipes import tuning
x = np.random.default_rng(0).uniform(size=(40, 8, 8, 1)) * 255
y = np.arange(40) % 2
def build_model(hp):
    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(2, activation="softmax")])
for kind in ("keras_tuner", "make_tuner"):
    hypermodel = tuning.RecipeHyperModel(build_model, recipe="baseline")
    if kind == "keras_tuner":
        tuner = keras_tuner.RandomSearch(
            hypermodel, objective="val_accuracy", max_trials=1,
            directory=kind, max_consecutive_failed_trials=1)
    else:
        tuner = tuning.make_tuner("random", hypermodel, max_trials=1,
                                  directory=kind)
    try:
        tuner.search(x, y, validation_split=0.25, epochs=1, verbose=0)
    except Exception:
        pass
    print(kind, [t.status for t in tuner.oracle.trials.values()])
"""


def test_tensorflow_search_without_tensorboard(tmp_path):
    import subprocess
    import sys

    if keras.backend.backend() != "tensorflow":
        pytest.skip("KerasTuner imports tensorboard on TensorFlow only")
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_TENSORBOARD], cwd=tmp_path,
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "keras_tuner ['FAILED']" in result.stdout, result.stdout
    assert "make_tuner ['COMPLETED']" in result.stdout, result.stdout


def test_bayesian_starts_from_a_quarter_of_the_trials(tmp_path):
    hypermodel = tuning.RecipeHyperModel(
        build_model, recipe="standard",
        space={"learning_rate": tuning.LogUniform(1e-3, 1e-1),
               "erasing_prob": tuning.Uniform(0.0, 0.5)})
    tuner = tuning.make_tuner("bayesian", hypermodel, max_trials=20,
                              directory=str(tmp_path))
    assert tuner.oracle.num_initial_points == 5
    tuner = tuning.make_tuner("bayesian", hypermodel, max_trials=6,
                              directory=str(tmp_path), overwrite=True)
    assert tuner.oracle.num_initial_points == 3
    tuner = tuning.make_tuner("bayesian", hypermodel, max_trials=6,
                              directory=str(tmp_path), overwrite=True,
                              num_initial_points=1)
    assert tuner.oracle.num_initial_points == 1
