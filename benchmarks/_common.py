"""Pieces shared by the benchmark scripts (run them from the repository
root: `python benchmarks/<name>.py`, which puts this folder on sys.path)."""

import time

import keras
import numpy as np


class EpochTimer(keras.callbacks.Callback):
    """Wall time of every epoch; `per_epoch()` is the median of the epochs
    after the first (which includes compilation)."""

    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)

    def per_epoch(self):
        times = self.times[1:] or self.times
        return float(np.median(times))
