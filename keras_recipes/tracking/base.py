"""`Tracker`: the callback every experiment-tracking destination extends."""

import json
import numbers
import os
import platform
import sys

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export

STATUSES = ("FINISHED", "FAILED", "KILLED")


def end_status(error=None):
    """The status a run ends with: `"FINISHED"` without an error,
    `"KILLED"` for a `KeyboardInterrupt` (Ctrl-C), `"FAILED"` otherwise.

    `error` is an exception instance or class, or `None`. The one mapping
    used by `Tracker.__exit__`, `Recipe.fit` and `keras-recipes train`.
    """
    if error is None:
        return "FINISHED"
    kind = error if isinstance(error, type) else type(error)
    return "KILLED" if issubclass(kind, KeyboardInterrupt) else "FAILED"


def flatten_params(params, prefix=""):
    """Flatten nested dicts/lists into `{"a/b": value}` with scalar values.

    Keras configs (optimizers, schedules, losses) nest dictionaries; tracking
    stores want flat string keys and short values.
    """
    flat = {}
    if isinstance(params, dict):
        items = params.items()
    elif isinstance(params, (list, tuple)):
        items = ((str(i), v) for i, v in enumerate(params))
    else:
        return {prefix or "value": params}
    for key, value in items:
        name = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, (dict, list, tuple)) and value:
            flat.update(flatten_params(value, name))
        else:
            flat[name] = value
    return flat


def _to_float(value):
    try:
        value = np.asarray(keras.ops.convert_to_numpy(value))
    except Exception:  # noqa: BLE001 - non-tensor values are skipped
        return None
    if value.size != 1 or not np.issubdtype(value.dtype, np.number):
        return None
    return float(value.reshape(()))


def system_info():
    """Backend, library versions and devices, as flat `system/*` params."""
    backend = keras.backend.backend()
    info = {
        "system/backend": backend,
        "system/keras_version": keras.__version__,
        "system/python_version": platform.python_version(),
        "system/platform": platform.platform(),
        "system/numpy_version": np.__version__,
        "system/cpu_count": os.cpu_count(),
    }
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(
        backend
    )
    if module and module in sys.modules:
        info[f"system/{module}_version"] = getattr(
            sys.modules[module], "__version__", "unknown"
        )
    try:
        devices = keras.distribution.list_devices()
    except Exception:  # noqa: BLE001 - torch's list_devices fails on CPU
        devices = ["cpu"]
    info["system/devices"] = ",".join(str(d) for d in devices)
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info["system/cpu"] = cpu or "unknown"
    return info


@keras_recipes_export("keras_recipes.tracking.Tracker")
class Tracker(keras.callbacks.Callback):
    """Base class of the experiment trackers: a Keras callback with a run.

    A tracker owns one *run* in its destination (an MLflow run, a JSON-lines
    file, a TensorBoard log folder, a W&B run). As a callback it starts the
    run when training begins, logs the optimizer configuration and the system
    (backend, versions, devices) as parameters, and writes every epoch's
    `logs` as metrics at step `epoch + 1`, so a run killed mid-training keeps
    everything up to its last finished epoch. The learning rate is logged
    when something puts it in `logs`, e.g.
    `keras_recipes.callbacks.LearningRateLogger`.

    Use it as a context manager (`with tracker:`) around training and
    evaluation: the run is then marked `"FAILED"` if the block raises, and
    `"FINISHED"` otherwise. Used as a plain callback, the run it started in
    `on_train_begin` ends in `on_train_end`.

    Subclasses implement `_start`, `_log_params`, `_log_metrics`,
    `_log_artifact` and `_end`; the public methods validate and flatten.
    This base class itself records to memory (`self.records`), which is
    handy in tests.

    Args:
        hyperparameters: dict or `None`, extra parameters logged when the run
            starts (e.g. the recipe). Nested dicts are flattened with `/`.
            Defaults to `None`.

    Example:

    >>> tracker = keras_recipes.tracking.Tracker()
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> model.compile("sgd", "mse")
    >>> x, y = np.ones((8, 4)), np.zeros((8, 2))
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[tracker])
    >>> [step for step, _ in tracker.records["metrics"]]
    [1, 2]
    >>> tracker.records["status"]
    'FINISHED'
    """

    def __init__(self, hyperparameters=None):
        super().__init__()
        if hyperparameters is not None and not isinstance(
            hyperparameters, dict
        ):
            raise TypeError(
                "Expected `hyperparameters` to be a dict or None. "
                f"Received: hyperparameters={hyperparameters!r}"
            )
        self.hyperparameters = hyperparameters
        self.active = False
        self._started_by_fit = False
        self.records = {"params": {}, "metrics": [], "artifacts": []}

    # ----------------------------------------------------------- lifecycle
    def start(self):
        """Start (or resume) the run. Calling it again does nothing."""
        if self.active:
            return self
        self._start()
        self.active = True
        self.records["status"] = "RUNNING"
        if self.hyperparameters:
            self.log_params(self.hyperparameters)
        return self

    def end(self, status="FINISHED"):
        """End the run with `status` ("FINISHED", "FAILED" or "KILLED")."""
        if status not in STATUSES:
            raise ValueError(
                f"Expected `status` to be one of {list(STATUSES)}. "
                f"Received: status={status!r}"
            )
        if not self.active:
            return
        self.active = False
        self.records["status"] = status
        self._end(status)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        self.end(end_status(exc_type))
        return False

    # -------------------------------------------------------------- logging
    def log_params(self, params):
        """Log a dict of parameters (nested dicts are flattened)."""
        if not isinstance(params, dict):
            raise TypeError(
                f"Expected `params` to be a dict. Received: params={params!r}"
            )
        flat = {}
        for key, value in flatten_params(params).items():
            if value is None or isinstance(value, (str, bool, numbers.Number)):
                flat[key] = value
            else:
                flat[key] = json.dumps(value, default=str)
        self.records["params"].update(flat)
        if self.active:
            self._log_params(flat)

    def log_metrics(self, metrics, step=None):
        """Log a dict of scalar metrics at `step`; non-scalars are skipped."""
        if not isinstance(metrics, dict):
            raise TypeError(
                "Expected `metrics` to be a dict. "
                f"Received: metrics={metrics!r}"
            )
        values = {}
        for key, value in metrics.items():
            value = _to_float(value)
            if value is not None:
                values[str(key)] = value
        self.records["metrics"].append((step, values))
        if self.active and values:
            self._log_metrics(values, step)

    def log_artifact(self, path):
        """Log a file (model, report, plot) with the run."""
        if not isinstance(path, (str, os.PathLike)) or not os.path.isfile(
            path
        ):
            raise ValueError(
                "Expected `path` to be an existing file. "
                f"Received: path={path!r}"
            )
        self.records["artifacts"].append(os.fspath(path))
        if self.active:
            self._log_artifact(os.fspath(path))

    # ---------------------------------------------------- callback methods
    def on_train_begin(self, logs=None):
        if not self.active:
            self.start()
            self._started_by_fit = True
        params = dict(system_info())
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            try:
                config = keras.saving.serialize_keras_object(optimizer)
                params.update(flatten_params(config, "optimizer"))
            except Exception:  # noqa: BLE001 - best effort only
                params["optimizer/class_name"] = type(optimizer).__name__
        fit_params = self.params or {}
        params["fit/epochs"] = fit_params.get("epochs")
        params["fit/steps"] = fit_params.get("steps")
        self.log_params(params)

    def on_epoch_end(self, epoch, logs=None):
        self.log_metrics(dict(logs or {}), step=epoch + 1)

    def on_train_end(self, logs=None):
        if self._started_by_fit:
            self._started_by_fit = False
            self.end("FINISHED")

    # ------------------------------------------- destination (subclasses)
    def _start(self):
        pass

    def _log_params(self, params):
        pass

    def _log_metrics(self, metrics, step):
        pass

    def _log_artifact(self, path):
        pass

    def _end(self, status):
        pass

    def get_config(self):
        return {"hyperparameters": self.hyperparameters}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
