"""Snapshot ensembles (Huang et al., 2017): cyclic cosine annealing with
a saved model at the end of each cycle."""

import math
import os

import keras

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.callbacks._utils import settable_learning_rate
from keras_recipes.callbacks._utils import to_float
from keras_recipes.utils.validation import check_number


def snapshot_learning_rate(iteration, total_iterations, cycles,
                           learning_rate):
    """The paper's rate at iteration `t` (1-based):
    `lr0 / 2 * (cos(pi * mod(t - 1, ceil(T / M)) / ceil(T / M)) + 1)`."""
    length = math.ceil(total_iterations / cycles)
    phase = (iteration - 1) % length
    return learning_rate / 2.0 * (math.cos(math.pi * phase / length) + 1.0)


@keras_recipes_export("keras_recipes.callbacks.SnapshotEnsemble")
class SnapshotEnsemble(keras.callbacks.Callback):
    """Snapshot ensembles: cyclic cosine annealing, one saved model per
    cycle.

    Training of `T` iterations (batches) is split into `M = cycles` cycles
    of `L = ceil(T / M)` iterations. Before iteration `t` (1-based) the
    optimizer's learning rate is set to
    `lr0 / 2 * (cos(pi * mod(t - 1, L) / L) + 1)`: it restarts at `lr0`
    and anneals to near zero within each cycle (Huang et al., 2017, eq. 2).
    At the end of each cycle (and of training) the model is saved to
    `save_dir/snapshot_<k>.keras` (`k` = 1, 2, ...), so one training run
    gives `ceil(T / L)` models (`cycles` when it divides `T`);
    `ensemble()` (or `keras_recipes.ensembles.load_snapshots(save_dir)`)
    loads them as an `AveragingEnsemble`.

    `T` is `epochs * steps` from `fit` (its `params`), or
    `total_iterations` when given. The rate is assigned to the optimizer's
    learning-rate variable before every batch, which the compiled train
    step reads on every backend; the optimizer needs a float learning
    rate, not a schedule. `lr0` is `learning_rate`, or the optimizer's
    rate when training starts. The rate is written to the logs
    (`snapshot/learning_rate`) and the cycle to `snapshot/cycle`.

    Args:
        cycles: int >= 1, the number of cycles `M`.
        save_dir: folder for the snapshots (created if missing).
        learning_rate: positive float `lr0`, or `None` for the optimizer's
            rate. Defaults to `None`.
        total_iterations: int or `None` for `epochs * steps` of `fit`.
            Defaults to `None`.

    Example:

    >>> import tempfile
    >>> model = keras.Sequential([keras.Input((3,)),
    ...                           keras.layers.Dense(2, "softmax")])
    >>> model.compile(optimizer=keras.optimizers.SGD(0.1),
    ...               loss="sparse_categorical_crossentropy")
    >>> folder = tempfile.mkdtemp()
    >>> snapshots = keras_recipes.callbacks.SnapshotEnsemble(2, folder)
    >>> history = model.fit(np.ones((8, 3)), np.zeros(8), batch_size=4,
    ...                     epochs=2, callbacks=[snapshots], verbose=0)
    >>> [round(lr, 3) for lr in snapshots.learning_rates]
    [0.1, 0.05, 0.1, 0.05]
    >>> len(snapshots.snapshot_paths), snapshots.ensemble().num_models
    (2, 2)

    Reference:
        - [Huang et al., 2017, Snapshot Ensembles: Train 1, get M for
          free](https://arxiv.org/abs/1704.00109)
    """

    def __init__(self, cycles, save_dir, learning_rate=None,
                 total_iterations=None):
        super().__init__()
        check_number("cycles", cycles, min_value=1, integer=True)
        if not isinstance(save_dir, (str, os.PathLike)):
            raise TypeError(
                "Expected `save_dir` to be a path. Received: "
                f"save_dir={save_dir!r}"
            )
        check_number("learning_rate", learning_rate, min_value=0.0,
                     min_inclusive=False, allow_none=True)
        check_number("total_iterations", total_iterations, min_value=1,
                     integer=True, allow_none=True)
        self.cycles = cycles
        self.save_dir = os.fspath(save_dir)
        self.learning_rate = learning_rate
        self.total_iterations = total_iterations
        self._reset()

    def _reset(self):
        self.learning_rates = []
        self.snapshot_paths = []
        self._iteration = 0
        self._total = None
        self._lr0 = None

    @property
    def cycle_length(self):
        """`ceil(T / M)` iterations, or `None` before training."""
        if self._total is None:
            return None
        return math.ceil(self._total / self.cycles)

    def rate_at(self, iteration):
        """The learning rate of iteration `iteration` (1-based)."""
        return snapshot_learning_rate(iteration, self._total, self.cycles,
                                      self._lr0)

    def on_train_begin(self, logs=None):
        self._reset()
        optimizer = self.model.optimizer
        settable_learning_rate(optimizer, "SnapshotEnsemble")
        total = self.total_iterations
        if total is None:
            epochs = (self.params or {}).get("epochs")
            steps = (self.params or {}).get("steps")
            if not epochs or not steps:
                raise ValueError(
                    "Expected `fit` to know its number of steps per epoch "
                    "(array data, a sized dataset or `steps_per_epoch`), or "
                    "`total_iterations`. Received: total_iterations=None "
                    f"and fit params epochs={epochs}, steps={steps}"
                )
            total = int(epochs) * int(steps)
        if total < self.cycles:
            raise ValueError(
                f"Expected at least one iteration per cycle. Received: "
                f"cycles={self.cycles} for {total} iterations"
            )
        self._total = total
        self._lr0 = (self.learning_rate if self.learning_rate is not None
                     else to_float(optimizer.learning_rate))
        os.makedirs(self.save_dir, exist_ok=True)

    def on_train_batch_begin(self, batch, logs=None):
        model = self.model  # on JAX this attaches the current state
        rate = self.rate_at(self._iteration + 1)
        model.optimizer.learning_rate = rate
        self.learning_rates.append(rate)

    def on_train_batch_end(self, batch, logs=None):
        self._iteration += 1
        t = self._iteration
        if t % self.cycle_length == 0 or t == self._total:
            self._save()

    def _save(self):
        index = len(self.snapshot_paths) + 1
        path = os.path.join(self.save_dir, f"snapshot_{index}.keras")
        model = self.model  # synced on JAX
        model.save(path)
        self.snapshot_paths.append(path)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self.learning_rates:
            logs["snapshot/learning_rate"] = self.learning_rates[-1]
            logs["snapshot/cycle"] = min(
                self.cycles,
                (self._iteration - 1) // self.cycle_length + 1)

    def on_train_end(self, logs=None):
        if self._total is not None and self._iteration < self._total and (
                self._iteration % self.cycle_length):
            # Training stopped early (e.g. EarlyStopping) mid-cycle: keep
            # the last weights too.
            self._save()

    def ensemble(self, last=None, method="mean", from_logits=False):
        """The saved snapshots as an `AveragingEnsemble` (see
        `keras_recipes.ensembles.load_snapshots`)."""
        from keras_recipes.ensembles.snapshots import load_snapshots

        return load_snapshots(self.save_dir, last=last, method=method,
                              from_logits=from_logits)

    def get_config(self):
        return {
            "cycles": self.cycles,
            "save_dir": self.save_dir,
            "learning_rate": self.learning_rate,
            "total_iterations": self.total_iterations,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

