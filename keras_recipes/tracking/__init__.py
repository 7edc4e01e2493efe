"""keras_recipes.tracking: experiment trackers as Keras callbacks."""

from keras_recipes.tracking.base import Tracker as Tracker
from keras_recipes.tracking.jsonl import JSONLTracker as JSONLTracker
from keras_recipes.tracking.jsonl import read_jsonl as read_jsonl
from keras_recipes.tracking.mlflow import MLflowTracker as MLflowTracker
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
    "read_jsonl",
]
