"""`RecipeHyperModel`: a KerasTuner `HyperModel` that trains with a `Recipe`.

This module imports KerasTuner (the `tuning` extra); `keras_recipes.tuning`
loads it on first use of `RecipeHyperModel`, `make_tuner` or `best_recipe`.
"""

import inspect
import math
import time

import keras
import numpy as np

from keras_recipes.tuning import search_space
from keras_recipes.tuning.cross_validation import cross_validate
from keras_recipes.utils.optional import import_optional
from keras_recipes.utils.seeding import check_seed

kt = import_optional("keras_tuner", "tuning")

TUNERS = ("random", "grid", "bayesian", "hyperband")
# Keys of `History.history` that are not scores.
_NOT_SCORES = ("learning_rate",)


class _ForModel(keras.callbacks.Callback):
    """Runs `callbacks` against `model` whatever model Keras trains.

    `Recipe.fit` may train a wrapper (`AugmentedModel`) around the user's
    model; KerasTuner's checkpoint callback must save the user's model, so
    that `tuner.get_best_models()` and Hyperband's warm starts load into the
    model `build` returns.
    """

    def __init__(self, callbacks, model):
        super().__init__()
        self.callbacks = list(callbacks)
        self.user_model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def set_model(self, model):
        pass  # the inner callbacks keep the user's model

    def set_params(self, params):
        for callback in self.callbacks:
            callback.set_params(params)


def _forward(hook):
    def method(self, *args, **kwargs):
        for callback in self.callbacks:
            getattr(callback, hook)(*args, **kwargs)
    method.__name__ = hook
    return method


for _hook in ("on_train_begin", "on_train_end", "on_epoch_begin",
              "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
              "on_test_begin", "on_test_end", "on_test_batch_begin",
              "on_test_batch_end", "on_predict_begin", "on_predict_end",
              "on_predict_batch_begin", "on_predict_batch_end"):
    setattr(_ForModel, _hook, _forward(_hook))


def _takes_hp(build_model):
    try:
        params = inspect.signature(build_model).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                          p.VAR_POSITIONAL) for p in params)


def _trial_of(callbacks):
    """The KerasTuner trial among the callbacks KerasTuner passed in."""
    for callback in callbacks:
        trial = getattr(callback, "trial", None)
        if trial is not None and hasattr(trial, "trial_id"):
            return trial
    return None


class RecipeHyperModel(kt.HyperModel):
    """A KerasTuner `HyperModel` whose trials train with a `Recipe`.

    `build(hp)` samples the recipe's search space, builds the model with
    `build_model(hp)` and compiles it with the trial's recipe. `fit(hp,
    model, x, y, ...)` trains it through `Recipe.fit`, so augmentation
    placement, schedules, warmup, EMA/SWA and trackers all apply; any
    KerasTuner tuner (`RandomSearch`, `GridSearch`, `BayesianOptimization`,
    `Hyperband`) runs it, with any objective on its history
    (`"val_accuracy"`, `"val_loss"`, ...).

    With `cv=K`, a trial's score is a K-fold cross-validation
    (`keras_recipes.tuning.cross_validate` on `x, y`) instead of one
    validation split: each metric of the trial is the mean over the folds
    of its value at the last epoch, under the usual names (`val_accuracy`,
    `val_loss`, ...), so `objective="val_accuracy"` works unchanged. The
    std over the folds is recorded as `<metric>_std` and each fold's value
    as `<metric>_fold<k>` in the trial's metrics. The weights KerasTuner
    keeps for the trial are those of the last fold's model; retrain the
    best recipe on all the data (`best_recipe`) for the final model.

    Args:
        build_model: a function `build_model(hp)` (or of no arguments)
            returning a new, uncompiled `keras.Model` with one probability
            per class.
        recipe: a `keras_recipes.recipes.Recipe` or a preset name. Defaults
            to `"standard"`.
        space: dict mapping recipe fields to `tuning.Choice`, `Uniform`,
            `LogUniform` or `IntRange`; `None` takes
            `tuning.default_space(preset)` for a preset name and `{}` for a
            `Recipe`. Fields: those of `Recipe` (`learning_rate`, `loss`,
            `label_smoothing`, `weight_decay`, `ema_decay`, ...) and the
            augmentation strengths `erasing_prob`, `mixup_prob` and
            `randaugment_magnitude`. Defaults to `None`.
        cv: int `K` >= 2 or a scikit-learn splitter for cross-validated
            trials, or `None` for a validation split. Defaults to `None`.
        fit_kwargs: dict of default keyword arguments of `fit` (`epochs`,
            `validation_split`, ...), overridden by those of
            `tuner.search`. Defaults to `None`.
        tracker: a `keras_recipes.tracking.MLflowTracker` for the search,
            or `None`. Each trial is tracked as a child run of it (tag
            `mlflow.parentRunId`), with its hyperparameters, fold scores
            and final metrics. Defaults to `None`.
        seed: int, the seed of every trial (weights, shuffling and
            augmentations), so trials differ only by their hyperparameters.
            Defaults to `0`.

    Example:

    >>> import keras_tuner
    >>> x = np.random.default_rng(0).uniform(size=(48, 8, 8, 1)) * 255
    >>> y = np.arange(48) % 3
    >>> def build_model(hp):
    ...     return keras.Sequential([keras.Input((8, 8, 1)),
    ...         keras.layers.Flatten(), keras.layers.Dense(3, "softmax")])
    >>> space = {"learning_rate": keras_recipes.tuning.LogUniform(1e-3, 1e-2)}
    >>> hypermodel = keras_recipes.tuning.RecipeHyperModel(
    ...     build_model, recipe="baseline", space=space)
    >>> tuner = keras_recipes.tuning.make_tuner(
    ...     "random", hypermodel, max_trials=2, directory=".")
    >>> tuner.search(x, y, validation_split=0.25, epochs=1, verbose=0)
    >>> recipe = tuner.get_best_recipe()
    >>> 1e-3 <= recipe.learning_rate <= 1e-2
    True
    """

    def __init__(self, build_model, recipe="standard", space=None, cv=None,
                 fit_kwargs=None, tracker=None, seed=0, name=None,
                 tunable=True):
        from keras_recipes.recipes import Recipe
        from keras_recipes.recipes.presets import PRESETS

        super().__init__(name=name, tunable=tunable)
        if not callable(build_model):
            raise TypeError(
                "Expected `build_model` to be a function returning a new "
                f"keras.Model. Received: build_model={build_model!r}"
            )
        self.build_model = build_model
        if isinstance(recipe, str):
            if recipe not in PRESETS:
                raise ValueError(
                    f"Expected `recipe` to be a Recipe or one of "
                    f"{list(PRESETS)}. Received: recipe={recipe!r}"
                )
            if space is None:
                space = search_space.default_space(recipe)
            recipe = Recipe.from_preset(recipe)
        if not isinstance(recipe, Recipe):
            raise TypeError(
                "Expected `recipe` to be a Recipe or a preset name. "
                f"Received: recipe of type {type(recipe).__name__}"
            )
        self.recipe = recipe
        self.space = search_space.check_space({} if space is None else space)
        if cv is not None and not (
            hasattr(cv, "split")
            or (isinstance(cv, (int, np.integer))
                and not isinstance(cv, bool) and cv >= 2)
        ):
            raise ValueError(
                "Expected `cv` to be None, an int >= 2 or a scikit-learn "
                f"splitter. Received: cv={cv!r}"
            )
        self.cv = cv
        if fit_kwargs is not None and not isinstance(fit_kwargs, dict):
            raise TypeError(
                "Expected `fit_kwargs` to be a dict or None. Received: "
                f"fit_kwargs={fit_kwargs!r}"
            )
        self.fit_kwargs = dict(fit_kwargs or {})
        if tracker is not None:
            from keras_recipes.tracking import MLflowTracker

            if not isinstance(tracker, MLflowTracker):
                raise TypeError(
                    "Expected `tracker` to be a keras_recipes.tracking."
                    "MLflowTracker or None. Received: tracker of type "
                    f"{type(tracker).__name__}"
                )
        self.tracker = tracker
        check_seed(seed)
        if seed is None:
            raise TypeError("Expected `seed` to be an int. Received: None")
        self.seed = seed

    # ------------------------------------------------------------- recipes
    def recipe_for(self, hp):
        """The trial's `Recipe`: the base recipe with `hp`'s values (the
        search space is declared on `hp`)."""
        values = search_space.sample(self.space, hp)
        recipe = search_space.apply(self.recipe, values)
        if recipe.seed is None:
            recipe.seed = self.seed
        return recipe

    def _new_model(self, hp):
        model = (self.build_model(hp) if _takes_hp(self.build_model)
                 else self.build_model())
        if not isinstance(model, keras.Model):
            raise TypeError(
                "Expected `build_model` to return a keras.Model. Received: "
                f"{type(model).__name__}"
            )
        return model

    def build(self, hp):
        recipe = self.recipe_for(hp)
        keras.utils.set_random_seed(self.seed)
        model = self._new_model(hp)
        # `Recipe.fit` recompiles with the schedule sized for the data.
        recipe.compile(model, steps_per_epoch=1)
        return model

    # ------------------------------------------------------------ training
    def fit(self, hp, model, x, y=None, validation_data=None,
            validation_split=None, epochs=None, initial_epoch=0,
            callbacks=None, verbose=0, **kwargs):
        """Train one trial; returns the `History` (or, with `cv`, the fold
        means as a dict)."""
        options = {**self.fit_kwargs,
                   **{k: v for k, v in dict(
                       validation_data=validation_data,
                       validation_split=validation_split, epochs=epochs,
                   ).items() if v is not None}, **kwargs}
        unknown = sorted(set(options) - {"validation_data",
                                         "validation_split", "epochs",
                                         "jit_compile", "workers"})
        if unknown:
            raise TypeError(
                "RecipeHyperModel.fit takes x, y, validation_data, "
                "validation_split, epochs, callbacks, verbose, jit_compile "
                f"and workers. Received unknown arguments: {unknown}"
            )
        if y is None:
            raise ValueError(
                "Expected `y`: RecipeHyperModel trains on NumPy arrays "
                "`x, y`. Received: y=None"
            )
        recipe = self.recipe_for(hp)
        epochs = options.get("epochs") or recipe.epochs
        callbacks = list(callbacks or [])
        trial = _trial_of(callbacks)
        if self.cv is not None:
            return self._fit_cv(hp, recipe, x, y, epochs, callbacks, trial,
                                options.get("jit_compile", "auto"))
        x, y = np.asarray(x), np.asarray(y)
        validation = options.get("validation_data")
        split = options.get("validation_split")
        if validation is None:
            if not split:
                raise ValueError(
                    "Expected `validation_data` or `validation_split` (the "
                    "objective is a validation metric), or `cv`. Received "
                    "neither"
                )
            if not 0 < split < 1:
                raise ValueError(
                    "Expected `validation_split` in (0, 1). Received: "
                    f"validation_split={split}"
                )
            cut = len(x) - max(1, int(math.floor(len(x) * split)))
            x, y, validation = x[:cut], y[:cut], (x[cut:], y[cut:])
        # Hyperband continues a model trained for `initial_epoch` epochs.
        epochs = max(1, epochs - int(initial_epoch or 0))
        extra = [_ForModel(callbacks, model)] if callbacks else []
        child = self._child_tracker(hp, trial)
        if child is not None:
            extra.append(child)
        return recipe.fit(
            model, x, y, validation_data=validation, callbacks=extra,
            epochs=epochs, verbose=verbose,
            jit_compile=options.get("jit_compile", "auto"),
            **({"workers": options["workers"]}
               if "workers" in options else {}),
        )

    def _fit_cv(self, hp, recipe, x, y, epochs, callbacks, trial,
                jit_compile):
        models = []

        def build():
            models.append(self._new_model(hp))
            return models[-1]

        result = cross_validate(
            build, x, y, recipe=recipe, cv=self.cv, epochs=epochs,
            seed=self.seed, verbose=0, jit_compile=jit_compile,
        )
        metrics = {}
        names = [k for k in result.histories[0] if k not in _NOT_SCORES]
        for name in names:
            finals = [float(h[name][-1]) for h in result.histories]
            metrics[name] = float(np.mean(finals))
            metrics[f"{name}_std"] = float(np.std(finals))
            for k, value in enumerate(finals):
                metrics[f"{name}_fold{k + 1}"] = value
        # KerasTuner keeps a checkpoint per trial (Hyperband warm-starts
        # from it): the last fold's weights.
        for callback in callbacks:
            path = getattr(callback, "filepath", None)
            if type(callback).__name__ == "SaveBestEpoch" and path:
                models[-1].save_weights(path)
        child = self._child_tracker(hp, trial)
        if child is not None:
            with child:
                child.log_metrics(metrics)
        return metrics

    def _child_tracker(self, hp, trial):
        """A child run of the search's MLflow run for this trial."""
        if self.tracker is None:
            return None
        from keras_recipes.tracking import MLflowTracker

        parent = self.tracker
        if not parent.active:
            parent.start()
        trial_id = getattr(trial, "trial_id", None)
        child = MLflowTracker(
            tracking_uri=parent.tracking_uri,
            experiment_name=parent.experiment_name,
            run_name=f"trial-{trial_id}" if trial_id else None,
            tags={"mlflow.parentRunId": parent.run_id,
                  "keras_tuner.trial_id": trial_id or ""},
            hyperparameters=dict(hp.values),
        )
        return child


def format_values(values):
    """`name=value, ...` of a trial's hyperparameters (KerasTuner's own
    `tuner/...` bookkeeping left out)."""
    return ", ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
        for k, v in values.items() if not k.startswith("tuner/"))


def _check_hypermodel(tuner):
    hypermodel = getattr(tuner, "hypermodel", None)
    if not isinstance(hypermodel, RecipeHyperModel):
        raise TypeError(
            "Expected a KerasTuner tuner of a RecipeHyperModel. Received: a "
            f"tuner of {type(hypermodel).__name__}"
        )
    return hypermodel


def best_recipe(tuner, path=None):
    """The best trial's `Recipe` (written as JSON to `path` when given).

    Example: see `RecipeHyperModel`.
    """
    hypermodel = _check_hypermodel(tuner)
    best = tuner.get_best_hyperparameters(1)
    if not best:
        raise ValueError(
            "Expected a tuner with at least one finished trial. Received: a "
            "tuner with none"
        )
    recipe = hypermodel.recipe_for(best[0])
    recipe.name = f"{hypermodel.recipe.name}-tuned"
    if path is not None:
        recipe.to_json(path)
    return recipe


class _RecipeTuner:
    """Mixed into KerasTuner's tuners by `make_tuner`.

    KerasTuner imports `tensorboard` in every trial on the TensorFlow
    backend, even without a `TensorBoard` callback, so every trial fails
    when `tensorboard` is absent (`tensorflow-cpu` does not install it).
    The import is only needed to configure `TensorBoard` callbacks: it is
    skipped when there are none.
    """

    def _configure_tensorboard_dir(self, callbacks, trial, execution=0):
        if any(type(c).__name__ == "TensorBoard" for c in callbacks):
            super()._configure_tensorboard_dir(callbacks, trial, execution)

    progress = False

    def on_trial_begin(self, trial):
        super().on_trial_begin(trial)
        self._trial_started = time.time()

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        if not self.progress:
            return
        trial = self.oracle.get_trial(trial.trial_id)
        objective = self.oracle.objective.name
        score = "failed" if trial.score is None else (
            f"{objective} {trial.score:.4f}")
        if trial.score is not None and trial.metrics.exists(
                f"{objective}_std"):
            score += (" ± "
                      f"{trial.metrics.get_last_value(objective + '_std'):.4f}")
        values = format_values(trial.hyperparameters.values)
        seconds = time.time() - getattr(self, "_trial_started", time.time())
        total = getattr(self.oracle, "max_trials", None)
        number = (str(int(trial.trial_id) + 1) if trial.trial_id.isdigit()
                  else trial.trial_id)
        count = f"{number}/{total}" if total else number
        print(f"trial {count}: {score} ({values}; {seconds:.1f} s, "
              f"{self.tuner_id})", flush=True)

    def get_best_recipe(self, path=None):
        """The best trial's `Recipe`; see `keras_recipes.tuning.best_recipe`.
        """
        return best_recipe(self, path)


_CLASSES = {}


def tuner_class(name):
    """KerasTuner's tuner class `name` (`"random"`, `"grid"`,
    `"bayesian"`, `"hyperband"`) with `get_best_recipe`."""
    if name not in TUNERS:
        raise ValueError(
            f"Expected `tuner` to be one of {list(TUNERS)}. Received: "
            f"tuner={name!r}"
        )
    if name not in _CLASSES:
        base = {"random": kt.RandomSearch, "grid": kt.GridSearch,
                "bayesian": kt.BayesianOptimization,
                "hyperband": kt.Hyperband}[name]
        _CLASSES[name] = type(base.__name__, (_RecipeTuner, base),
                              {"__module__": __name__})
    return _CLASSES[name]


def make_tuner(tuner, hypermodel, objective="val_accuracy", max_trials=10,
               directory=None, project_name="search", overwrite=False,
               max_epochs=None, seed=0, progress=False, **kwargs):
    """A KerasTuner tuner of `hypermodel`: `"random"` (`RandomSearch`),
    `"grid"` (`GridSearch`), `"bayesian"` (`BayesianOptimization`) or
    `"hyperband"` (`Hyperband`).

    The tuner has `get_best_recipe()`, and runs on TensorFlow without
    `tensorboard` installed. A search started again with the same
    `directory` and `project_name` (and `overwrite=False`) keeps its
    finished trials and goes on.

    Args:
        tuner: the tuner's name.
        hypermodel: a `RecipeHyperModel`.
        objective: passed to the tuner. Defaults to `"val_accuracy"`.
        max_trials: int, for the random, grid and Bayesian tuners.
            Defaults to `10`.
        directory: folder of the search's trials. Defaults to `None`
            (KerasTuner's default, the current folder).
        project_name: sub-folder name. Defaults to `"search"`.
        overwrite: bool, start afresh instead of resuming. Defaults to
            `False`.
        max_epochs: int, Hyperband's largest budget; defaults to the
            recipe's epochs.
        seed: int, the oracle's seed. Defaults to `0`.
        progress: bool, print one line per finished trial (score, values,
            time). Defaults to `False`.
        **kwargs: other arguments of the tuner class. For `"bayesian"`,
            `num_initial_points` defaults to `max(3, max_trials // 4)`:
            KerasTuner's own default, 3 per hyperparameter, would spend
            the first 15 trials of the 5-parameter default space at
            random, which is all of a typical search.

    Example: see `RecipeHyperModel`.
    """
    cls = tuner_class(tuner)
    if not isinstance(hypermodel, RecipeHyperModel):
        raise TypeError(
            "Expected `hypermodel` to be a RecipeHyperModel. Received: "
            f"{type(hypermodel).__name__}"
        )
    args = dict(hypermodel=hypermodel, objective=objective,
                directory=directory, project_name=project_name,
                overwrite=overwrite, seed=seed, **kwargs)
    if tuner == "hyperband":
        args["max_epochs"] = (max_epochs or
                              hypermodel.fit_kwargs.get("epochs") or
                              hypermodel.recipe.epochs)
    else:
        args["max_trials"] = max_trials
    if tuner == "bayesian" and "num_initial_points" not in kwargs:
        args["num_initial_points"] = max(3, int(max_trials) // 4)
    instance = cls(**args)
    instance.progress = bool(progress)
    return instance
