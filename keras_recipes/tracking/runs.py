"""Read back tracked runs: the MLflow store and the run folders of
`keras-recipes train`, merged into one list for `keras-recipes runs`."""

import csv
import json
import os
import time

from keras_recipes.tracking.base import flatten_params

EXPERIMENT = "keras-recipes"


def read_history(path):
    """The rows of a `keras.callbacks.CSVLogger` file (`[]` if absent)."""
    if not os.path.isfile(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def best_value(rows, key):
    """The largest float value of `key` in `rows`, or `None`."""
    values = []
    for row in rows:
        try:
            values.append(float(row[key]))
        except (KeyError, TypeError, ValueError):
            continue
    return max(values) if values else None


def _read_json(path):
    with open(path) as f:
        return json.load(f)


def mlflow_runs(output, experiment_name=EXPERIMENT):
    """Runs of `output/mlruns.db`, as dicts keyed by our run id."""
    db = os.path.join(output, "mlruns.db")
    if not os.path.isfile(db):
        return {}
    from keras_recipes.tracking.mlflow import mlflow_client

    client = mlflow_client("sqlite:///" + os.path.abspath(db))
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None:
        return {}
    found = {}
    for run in client.search_runs([experiment.experiment_id]):
        rid = run.data.tags.get("keras_recipes.run_id", run.info.run_id)
        val = [m.value for m in client.get_metric_history(
            run.info.run_id, "val_accuracy")]
        end = run.info.end_time or run.info.start_time
        found[rid] = {
            "id": rid,
            "status": run.info.status,
            "dataset": run.data.params.get("dataset"),
            "recipe": run.data.params.get("recipe_name"),
            "best_val_accuracy": max(val) if val else None,
            "test_accuracy": run.data.metrics.get("test/accuracy"),
            "started": run.info.start_time / 1000.0,
            "duration": (end - run.info.start_time) / 1000.0,
            "params": dict(run.data.params),
            "metrics": dict(run.data.metrics),
            "source": "mlflow",
        }
    return found


def folder_runs(output):
    """Runs of the run folders in `output` (each with a `run.json`)."""
    found = {}
    if not os.path.isdir(output):
        return found
    for name in sorted(os.listdir(output)):
        path = os.path.join(output, name, "run.json")
        if not os.path.isfile(path):
            continue
        try:
            state = _read_json(path)
        except (OSError, ValueError):
            continue
        summary = state.get("summary", {})
        rows = read_history(os.path.join(output, name, "history.csv"))
        params = dict(state.get("args", {}))
        recipe_path = os.path.join(output, name, "recipe.json")
        if os.path.isfile(recipe_path):
            try:
                params.update(flatten_params(
                    _read_json(recipe_path).get("config", {}), "recipe"))
            except (OSError, ValueError):
                pass
        started = state.get("started")
        found[name] = {
            "id": name,
            "status": state.get("status"),
            "dataset": state.get("args", {}).get("dataset"),
            "recipe": state.get("recipe_name"),
            "best_val_accuracy": best_value(rows, "val_accuracy"),
            "test_accuracy": summary.get("test_accuracy"),
            "started": started,
            "duration": (state.get("finished") or time.time()) - started
            if started else None,
            "params": params,
            "metrics": summary,
            "source": state.get("args", {}).get("tracker"),
        }
    return found


def collect_runs(output, experiment_name=EXPERIMENT):
    """Every run of the MLflow store and of the run folders in `output`,
    oldest first.

    For a run in both, the store gives the status (it is what `mlflow ui`
    shows) and the run folder the parameters and summary metrics, so runs
    tracked with different trackers compare field by field.
    """
    runs = folder_runs(output)
    for rid, tracked in mlflow_runs(output, experiment_name).items():
        if rid in runs:
            runs[rid]["status"] = tracked["status"]
            for key in ("best_val_accuracy", "test_accuracy"):
                if runs[rid][key] is None:
                    runs[rid][key] = tracked[key]
        else:
            runs[rid] = tracked
    return sorted(runs.values(), key=lambda r: r.get("started") or 0)
