"""Training callbacks: LR logging and finding, SWA, EMA, progressive
resizing, deferred re-weighting, snapshot ensembles, SSL probes."""

from keras_recipes.callbacks.deferred_reweighting import (
    DeferredReweighting as DeferredReweighting,
)
from keras_recipes.callbacks.lr_finder import LRFinder as LRFinder
from keras_recipes.callbacks.lr_finder import (
    find_learning_rate as find_learning_rate,
)
from keras_recipes.callbacks.lr_logger import (
    LearningRateLogger as LearningRateLogger,
)
from keras_recipes.callbacks.model_ema import ModelEMA as ModelEMA
from keras_recipes.callbacks.probe_monitor import ProbeMonitor as ProbeMonitor
from keras_recipes.callbacks.progressive_resizing import (
    ProgressiveResizing as ProgressiveResizing,
)
from keras_recipes.callbacks.snapshot_ensemble import (
    SnapshotEnsemble as SnapshotEnsemble,
)
from keras_recipes.callbacks.swa import SWA as SWA

__all__ = [
    "DeferredReweighting",
    "LRFinder",
    "LearningRateLogger",
    "ModelEMA",
    "ProbeMonitor",
    "ProgressiveResizing",
    "SWA",
    "SnapshotEnsemble",
    "find_learning_rate",
]
