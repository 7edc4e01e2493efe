"""`MLflowTracker`: an MLflow run in a local SQLite store by default."""

import os
import time

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.tracking.base import Tracker
from keras_recipes.utils.optional import import_optional

_MAX_PARAM_LENGTH = 6000


def _sqlite_folder(tracking_uri):
    prefix = "sqlite:///"
    if tracking_uri.startswith(prefix):
        return os.path.dirname(os.path.abspath(tracking_uri[len(prefix):]))
    return None


def mlflow_client(tracking_uri):
    """An `mlflow.tracking.MlflowClient` for `tracking_uri`.

    Creates the SQLite file's folder first, since MLflow does not.
    """
    import_optional("mlflow", "tracking")
    import_optional("sqlalchemy", "tracking")
    tracking = import_optional("mlflow.tracking", "tracking")
    folder = _sqlite_folder(tracking_uri)
    if folder:
        os.makedirs(folder, exist_ok=True)
    return tracking.MlflowClient(tracking_uri=tracking_uri)


@keras_recipes_export("keras_recipes.tracking.MLflowTracker")
class MLflowTracker(Tracker):
    """Track a run in MLflow; by default a local SQLite store, no server.

    The default store, `sqlite:///mlruns.db`, is a real database that
    `mlflow ui --backend-store-uri sqlite:///mlruns.db` browses. Artifacts
    go to an `mlartifacts/` folder beside the database. Metrics are written
    synchronously at the end of every epoch, so a run killed mid-training
    keeps every finished epoch; used as `with tracker:` the run is then
    marked `FAILED` (`KILLED` on Ctrl-C). Pass `run_id=` to resume an
    existing run: MLflow reopens it (status `RUNNING` again) and the new
    epochs append to the same metric histories, which is what
    `keras.callbacks.BackupAndRestore` resumption needs.

    A parameter may be logged only once per MLflow run; on resume, values
    that did not change are skipped and changed ones are logged under
    `<name>:resume<k>`.

    Needs the `tracking` extra (`mlflow-skinny`, `sqlalchemy`, `alembic`).

    Args:
        tracking_uri: str, the MLflow tracking URI. Defaults to
            `"sqlite:///mlruns.db"` (relative to the working directory).
        experiment_name: str, created if missing. Defaults to
            `"keras-recipes"`.
        run_name: str or `None`, the run's display name. Defaults to `None`.
        run_id: str or `None`, an existing MLflow run to resume. Defaults to
            `None` (a new run).
        tags: dict or `None`, run tags. Defaults to `None`.
        hyperparameters: dict or `None`, extra parameters logged at the
            start. Defaults to `None`.

    Example:

    >>> tracker = keras_recipes.tracking.MLflowTracker(
    ...     "sqlite:///mlruns.db", run_name="demo")
    >>> with tracker:
    ...     tracker.log_params({"optimizer": {"name": "adam"}})
    ...     tracker.log_metrics({"loss": 0.5}, step=1)
    >>> run = tracker.client.get_run(tracker.run_id)
    >>> run.info.status, run.data.params["optimizer/name"]
    ('FINISHED', 'adam')

    Reference:
        - [MLflow tracking](https://mlflow.org/docs/latest/tracking.html)
    """

    def __init__(self, tracking_uri="sqlite:///mlruns.db",
                 experiment_name="keras-recipes", run_name=None, run_id=None,
                 tags=None, hyperparameters=None):
        for name, value in (
            ("tracking_uri", tracking_uri),
            ("experiment_name", experiment_name),
        ):
            if not isinstance(value, str) or not value:
                raise TypeError(
                    f"Expected `{name}` to be a non-empty string. "
                    f"Received: {name}={value!r}"
                )
        for name, value in (("run_name", run_name), ("run_id", run_id)):
            if value is not None and not isinstance(value, str):
                raise TypeError(
                    f"Expected `{name}` to be a string or None. "
                    f"Received: {name}={value!r}"
                )
        if tags is not None and not isinstance(tags, dict):
            raise TypeError(
                f"Expected `tags` to be a dict or None. Received: tags={tags!r}"
            )
        super().__init__(hyperparameters=hyperparameters)
        self.tracking_uri = tracking_uri
        self.experiment_name = experiment_name
        self.run_name = run_name
        self.run_id = run_id
        self.tags = tags
        self.client = None
        self._logged_params = {}

    def _start(self):
        self.client = mlflow_client(self.tracking_uri)
        if self.run_id is None:
            experiment = self.client.get_experiment_by_name(
                self.experiment_name
            )
            if experiment is None:
                folder = _sqlite_folder(self.tracking_uri)
                location = (
                    "file://" + os.path.join(folder, "mlartifacts")
                    if folder else None
                )
                experiment_id = self.client.create_experiment(
                    self.experiment_name, artifact_location=location
                )
            else:
                experiment_id = experiment.experiment_id
            run = self.client.create_run(
                experiment_id,
                run_name=self.run_name,
                tags={k: str(v) for k, v in (self.tags or {}).items()},
            )
            self.run_id = run.info.run_id
        else:
            run = self.client.get_run(self.run_id)  # raises if unknown
            self._logged_params = dict(run.data.params)
            self.client.update_run(self.run_id, status="RUNNING")
            for key, value in (self.tags or {}).items():
                self.client.set_tag(self.run_id, key, str(value))

    def _log_params(self, params):
        entities = import_optional("mlflow.entities", "tracking")
        batch = []
        for key, value in params.items():
            value = str(value)[:_MAX_PARAM_LENGTH]
            previous = self._logged_params.get(key)
            if previous == value:
                continue
            if previous is not None:
                k = 1
                while f"{key}:resume{k}" in self._logged_params:
                    k += 1
                key = f"{key}:resume{k}"
            self._logged_params[key] = value
            batch.append(entities.Param(key, value))
        for i in range(0, len(batch), 100):
            self.client.log_batch(self.run_id, params=batch[i:i + 100])

    def _log_metrics(self, metrics, step):
        entities = import_optional("mlflow.entities", "tracking")
        now = int(time.time() * 1000)
        batch = [
            entities.Metric(key, value, now, step or 0)
            for key, value in metrics.items()
        ]
        self.client.log_batch(self.run_id, metrics=batch)

    def _log_artifact(self, path):
        self.client.log_artifact(self.run_id, path)

    def _end(self, status):
        self.client.set_terminated(self.run_id, status=status)

    def get_config(self):
        config = super().get_config()
        config.update(
            tracking_uri=self.tracking_uri,
            experiment_name=self.experiment_name,
            run_name=self.run_name,
            run_id=self.run_id,
            tags=self.tags,
        )
        return config
