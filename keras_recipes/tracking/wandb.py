"""`WandbTracker`: a Weights & Biases run, offline by default."""

import os

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.tracking.base import Tracker
from keras_recipes.utils.optional import import_optional
from keras_recipes.utils.validation import check_choice


@keras_recipes_export("keras_recipes.tracking.WandbTracker")
class WandbTracker(Tracker):
    """Track a run with Weights & Biases, in offline mode by default.

    Offline runs are written under `dir/wandb/` and need no account or
    network; `wandb sync` uploads them later. Passing `run_id=` resumes that
    run (`resume="allow"`). `wandb` is imported only when the run starts;
    without it the error names the `wandb` extra.

    Args:
        project: str, the W&B project. Defaults to `"keras-recipes"`.
        dir: str, the folder W&B writes to. Defaults to `"."`.
        mode: `"offline"`, `"online"` or `"disabled"`. Defaults to
            `"offline"`.
        run_name: str or `None`. Defaults to `None`.
        run_id: str or `None`, a run to resume. Defaults to `None`.
        hyperparameters: dict or `None`, extra parameters logged at the
            start (as the run's config). Defaults to `None`.

    Example:

    >>> tracker = keras_recipes.tracking.WandbTracker(mode="disabled")
    >>> tracker.mode
    'disabled'

    Reference:
        - [wandb.init](https://docs.wandb.ai/ref/python/init)
    """

    def __init__(self, project="keras-recipes", dir=".", mode="offline",
                 run_name=None, run_id=None, hyperparameters=None):
        if not isinstance(project, str) or not project:
            raise TypeError(
                "Expected `project` to be a non-empty string. "
                f"Received: project={project!r}"
            )
        check_choice("mode", mode, ("offline", "online", "disabled"))
        super().__init__(hyperparameters=hyperparameters)
        self.project = project
        self.dir = os.fspath(dir)
        self.mode = mode
        self.run_name = run_name
        self.run_id = run_id
        self.run = None

    def _start(self):
        wandb = import_optional("wandb", "wandb")
        os.makedirs(self.dir, exist_ok=True)
        self.run = wandb.init(
            project=self.project, dir=self.dir, mode=self.mode,
            name=self.run_name, id=self.run_id, resume="allow",
            reinit=True, settings=wandb.Settings(silent=True),
        )
        self.run_id = self.run.id

    def _log_params(self, params):
        self.run.config.update(params, allow_val_change=True)

    def _log_metrics(self, metrics, step):
        if step is None:
            self.run.log(metrics)
        else:
            self.run.log(metrics, step=int(step))

    def _log_artifact(self, path):
        self.run.save(os.path.abspath(path),
                      base_path=os.path.dirname(os.path.abspath(path)),
                      policy="now")

    def _end(self, status):
        self.run.finish(exit_code=0 if status == "FINISHED" else 1)
        self.run = None

    def get_config(self):
        config = super().get_config()
        config.update(
            project=self.project, dir=self.dir, mode=self.mode,
            run_name=self.run_name, run_id=self.run_id,
        )
        return config
