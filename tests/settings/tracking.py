"""Battery settings for keras_recipes.tracking (issue 5)."""

import os
import tempfile

from keras_recipes import tracking
from keras_recipes.utils.optional import MissingOptionalDependency


def _tmp(name):
    return os.path.join(tempfile.mkdtemp(), name)


def _check_wandb(testcase):
    tracker = tracking.WandbTracker(dir=tempfile.mkdtemp(), mode="offline")
    testcase.run_serialization_test(tracker)
    try:
        import wandb  # noqa: F401
    except ImportError:
        with testcase.assertRaisesRegex(
            MissingOptionalDependency, r"keras-recipes\[wandb\]"
        ):
            tracker.start()
        return
    with tracker:
        tracker.log_metrics({"loss": 1.0}, step=1)
    testcase.assertIsNotNone(tracker.run_id)


SETTINGS = {
    "keras_recipes.tracking.Tracker": dict(
        kind="callback", make=lambda: tracking.Tracker({"recipe": "x"}),
    ),
    "keras_recipes.tracking.JSONLTracker": dict(
        kind="callback", make=lambda: tracking.JSONLTracker(_tmp("r.jsonl")),
    ),
    "keras_recipes.tracking.MLflowTracker": dict(
        kind="callback",
        make=lambda: tracking.MLflowTracker(
            "sqlite:///" + _tmp("mlruns.db")
        ),
    ),
    "keras_recipes.tracking.TensorBoardTracker": dict(
        kind="callback",
        make=lambda: tracking.TensorBoardTracker(_tmp("tb")),
    ),
    "keras_recipes.tracking.WandbTracker": dict(
        kind="custom", check=_check_wandb,
    ),
}
