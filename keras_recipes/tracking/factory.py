"""`make_tracker`: a tracker by name, laid out the way `keras-recipes train`
lays out a run folder."""

import os

from keras_recipes.tracking.runs import EXPERIMENT

TRACKERS = ("mlflow", "tensorboard", "jsonl", "wandb", "none")


def make_tracker(kind, output, run_dir, run_name, resume_id=None, tags=None,
                 hyperparameters=None, experiment_name=EXPERIMENT):
    """A `Tracker` of `kind`, or `None` for `"none"`.

    Args:
        kind: one of `"mlflow"` (a SQLite store `output/mlruns.db`),
            `"tensorboard"` (`run_dir/tensorboard`), `"jsonl"`
            (`run_dir/tracking.jsonl`), `"wandb"` (offline, in `run_dir`) or
            `"none"`.
        output: the folder holding the run folders and the MLflow store.
        run_dir: this run's folder.
        run_name: the run's name in the store.
        resume_id: the tracker's own run id to continue (MLflow, W&B), or
            `None` for a new run.
        tags: dict of MLflow tags, or `None`.
        hyperparameters: dict logged when the run starts, or `None`.
        experiment_name: the MLflow experiment.
    """
    from keras_recipes import tracking

    if kind not in TRACKERS:
        raise ValueError(
            f"Expected `kind` to be one of {list(TRACKERS)}. "
            f"Received: kind={kind!r}"
        )
    if kind == "mlflow":
        uri = "sqlite:///" + os.path.join(os.path.abspath(output),
                                          "mlruns.db")
        return tracking.MLflowTracker(
            uri, experiment_name=experiment_name, run_name=run_name,
            run_id=resume_id, tags=tags, hyperparameters=hyperparameters,
        )
    if kind == "tensorboard":
        return tracking.TensorBoardTracker(
            os.path.join(run_dir, "tensorboard"),
            hyperparameters=hyperparameters,
        )
    if kind == "jsonl":
        return tracking.JSONLTracker(
            os.path.join(run_dir, "tracking.jsonl"),
            hyperparameters=hyperparameters,
        )
    if kind == "wandb":
        return tracking.WandbTracker(
            dir=run_dir, mode="offline", run_name=run_name,
            run_id=resume_id, hyperparameters=hyperparameters,
        )
    return None
