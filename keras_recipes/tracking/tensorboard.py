"""`TensorBoardTracker`: TensorBoard event files, without TensorFlow."""

import json
import os
import shutil
import time

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.tracking.base import Tracker
from keras_recipes.utils.optional import import_optional


@keras_recipes_export("keras_recipes.tracking.TensorBoardTracker")
class TensorBoardTracker(Tracker):
    """Track a run as TensorBoard event files, on every backend.

    Writes the metrics as scalars with the `tensorboard` package's own event
    writer, so it works on JAX and PyTorch without TensorFlow (Keras's
    `keras.callbacks.TensorBoard` needs TensorFlow's summary ops). Parameters
    go into a text summary named `params` and into `params.json`; artifacts
    are copied into `artifacts/`; the final status goes into `status.json`.
    `tensorboard --logdir LOG_DIR` shows the run.

    Needs the `tracking` extra (`tensorboard`).

    Args:
        log_dir: str, the run's folder. Defaults to `"logs"`.
        hyperparameters: dict or `None`, extra parameters logged at the
            start. Defaults to `None`.

    Example:

    >>> tracker = keras_recipes.tracking.TensorBoardTracker("tb_logs")
    >>> with tracker:
    ...     tracker.log_metrics({"loss": 0.5}, step=1)
    >>> import json
    >>> json.load(open("tb_logs/status.json"))["status"]
    'FINISHED'
    """

    def __init__(self, log_dir="logs", hyperparameters=None):
        if not isinstance(log_dir, (str, os.PathLike)) or not os.fspath(
            log_dir
        ):
            raise TypeError(
                "Expected `log_dir` to be a folder path. "
                f"Received: log_dir={log_dir!r}"
            )
        super().__init__(hyperparameters=hyperparameters)
        self.log_dir = os.fspath(log_dir)
        self._writer = None
        self._params = {}

    def _start(self):
        writer_module = import_optional(
            "tensorboard.summary.writer.event_file_writer", "tracking"
        )
        os.makedirs(self.log_dir, exist_ok=True)
        self._writer = writer_module.EventFileWriter(self.log_dir)
        self._write_status("RUNNING")

    def _write_status(self, status):
        with open(os.path.join(self.log_dir, "status.json"), "w") as f:
            json.dump({"status": status, "time": time.time()}, f)

    def _event(self, summary, step):
        event_pb2 = import_optional("tensorboard.compat.proto.event_pb2",
                                    "tracking")
        event = event_pb2.Event(
            wall_time=time.time(), step=int(step or 0), summary=summary
        )
        self._writer.add_event(event)
        self._writer.flush()

    def _log_params(self, params):
        summary_pb2 = import_optional(
            "tensorboard.compat.proto.summary_pb2", "tracking"
        )
        tensor_pb2 = import_optional("tensorboard.compat.proto.tensor_pb2",
                                     "tracking")
        shape_pb2 = import_optional(
            "tensorboard.compat.proto.tensor_shape_pb2", "tracking"
        )
        types_pb2 = import_optional("tensorboard.compat.proto.types_pb2",
                                    "tracking")
        self._params.update(params)
        with open(os.path.join(self.log_dir, "params.json"), "w") as f:
            json.dump(self._params, f, indent=1, default=str)
        table = "| parameter | value |\n|---|---|\n" + "\n".join(
            f"| {k} | {v} |" for k, v in sorted(self._params.items())
        )
        tensor = tensor_pb2.TensorProto(
            dtype=types_pb2.DT_STRING,
            string_val=[table.encode()],
            tensor_shape=shape_pb2.TensorShapeProto(),
        )
        metadata = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(
                plugin_name="text"
            )
        )
        summary = summary_pb2.Summary(
            value=[
                summary_pb2.Summary.Value(
                    tag="params", tensor=tensor, metadata=metadata
                )
            ]
        )
        self._event(summary, 0)

    def _log_metrics(self, metrics, step):
        summary_pb2 = import_optional(
            "tensorboard.compat.proto.summary_pb2", "tracking"
        )
        summary = summary_pb2.Summary(
            value=[
                summary_pb2.Summary.Value(tag=key, simple_value=value)
                for key, value in metrics.items()
            ]
        )
        self._event(summary, step)

    def _log_artifact(self, path):
        folder = os.path.join(self.log_dir, "artifacts")
        os.makedirs(folder, exist_ok=True)
        shutil.copy2(path, folder)

    def _end(self, status):
        self._write_status(status)
        self._writer.close()
        self._writer = None

    def get_config(self):
        config = super().get_config()
        config["log_dir"] = self.log_dir
        return config
