"""`JSONLTracker`: one JSON object per line, no dependency."""

import json
import os
import time

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.tracking.base import Tracker


@keras_recipes_export("keras_recipes.tracking.JSONLTracker")
class JSONLTracker(Tracker):
    """Track a run into a JSON-lines file; needs no extra package.

    Every event is one line, flushed at once, so the file stays readable
    after a crash: `{"event": "start"}`, `{"event": "params", "params":
    {...}}`, `{"event": "metrics", "step": 3, "metrics": {...}}`,
    `{"event": "artifact", "path": ...}` and `{"event": "end", "status":
    "FINISHED"}`. Resuming appends to the same file. `read_jsonl(path)` reads
    it back.

    Args:
        path: str, the `.jsonl` file. Its folder is created if needed.
        hyperparameters: dict or `None`, extra parameters logged at the
            start. Defaults to `None`.

    Example:

    >>> tracker = keras_recipes.tracking.JSONLTracker("run.jsonl")
    >>> with tracker:
    ...     tracker.log_metrics({"loss": 0.5}, step=1)
    >>> events = keras_recipes.tracking.read_jsonl("run.jsonl")
    >>> [e["event"] for e in events]
    ['start', 'metrics', 'end']
    >>> events[1]["metrics"]
    {'loss': 0.5}
    """

    def __init__(self, path, hyperparameters=None):
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise TypeError(
                "Expected `path` to be a file path. "
                f"Received: path={path!r}"
            )
        super().__init__(hyperparameters=hyperparameters)
        self.path = os.fspath(path)

    def _write(self, **event):
        event["time"] = time.time()
        with open(self.path, "a") as f:
            f.write(json.dumps(event, default=str) + "\n")
            f.flush()

    def _start(self):
        folder = os.path.dirname(self.path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self._write(event="start")

    def _log_params(self, params):
        self._write(event="params", params=params)

    def _log_metrics(self, metrics, step):
        self._write(event="metrics", step=step, metrics=metrics)

    def _log_artifact(self, path):
        self._write(event="artifact", path=os.path.abspath(path))

    def _end(self, status):
        self._write(event="end", status=status)

    def get_config(self):
        config = super().get_config()
        config["path"] = self.path
        return config


@keras_recipes_export("keras_recipes.tracking.read_jsonl")
def read_jsonl(path):
    """Read the events a `JSONLTracker` wrote, as a list of dicts.

    A truncated last line (a process killed while writing) is ignored.

    Args:
        path: str, the `.jsonl` file.

    Returns:
        A list of event dicts, in order.
    """
    events = []
    with open(path) as f:
        for line in f:
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return events
