"""keras_recipes.tracking: experiment trackers as Keras callbacks."""

from keras_recipes.tracking.base import Tracker as Tracker
from keras_recipes.tracking.base import end_status as end_status
from keras_recipes.tracking.factory import make_tracker as make_tracker
from keras_recipes.tracking.jsonl import JSONLTracker as JSONLTracker
from keras_recipes.tracking.jsonl import read_jsonl as read_jsonl
from keras_recipes.tracking.mlflow import MLflowTracker as MLflowTracker
from keras_recipes.tracking.runs import collect_runs as collect_runs
from keras_recipes.tracking.tensorboard import (
    TensorBoardTracker as TensorBoardTracker,
)
from keras_recipes.tracking.wandb import WandbTracker as WandbTracker

__all__ = [
    "JSONLTracker",
    "MLflowTracker",
    "TensorBoardTracker",
    "Tracker",
    "WandbTracker",
    "collect_runs",
    "end_status",
    "make_tracker",
    "read_jsonl",
]
