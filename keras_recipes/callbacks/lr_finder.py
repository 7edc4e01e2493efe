"""Learning-rate range test (Smith; fastai's `lr_find`)."""

import math

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.callbacks._utils import settable_learning_rate
from keras_recipes.callbacks._utils import to_float
from keras_recipes.utils.progress import Progress
from keras_recipes.utils.validation import check_number


def suggest_learning_rate(learning_rates, smoothed_losses, skip_start=0.1):
    """Rate at the steepest descent of the smoothed loss (per log-rate).

    Only the part of the curve before the smoothed minimum is searched, and
    the first `skip_start` fraction of points (where the bias-corrected
    average is still noisy) is skipped.

    Returns:
        A float, or `None` when the curve has fewer than 3 points.
    """
    lrs = np.asarray(learning_rates, dtype="float64")
    losses = np.asarray(smoothed_losses, dtype="float64")
    finite = np.isfinite(losses)
    lrs, losses = lrs[finite], losses[finite]
    if len(lrs) < 3:
        return None
    end = int(np.argmin(losses)) + 1
    start = min(int(len(lrs) * skip_start), max(end - 3, 0))
    if end - start < 3:
        start, end = 0, len(lrs)
    grad = np.gradient(losses[start:end], np.log10(lrs[start:end]))
    return float(lrs[start + int(np.argmin(grad))])


@keras_recipes_export("keras_recipes.callbacks.LRFinder")
class LRFinder(keras.callbacks.Callback):
    """Learning-rate range test: raise the rate exponentially, record loss.

    During `fit`, batch `i` is trained with rate
    `start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))`. The loss of
    every batch is recorded, smoothed with a bias-corrected exponential
    moving average (`beta`), and training stops after `num_steps` batches
    or when the smoothed loss exceeds `stop_factor` times its minimum. When
    training ends, the model's weights and the optimizer's state
    (iterations, learning rate, moments) are restored to what they were
    before, so the test leaves no trace. `suggested_learning_rate` is the
    rate where the smoothed loss falls fastest per log-rate.

    The optimizer must have a float learning rate (the callback assigns it
    each batch). The model's metrics are reset before each batch so that
    `logs["loss"]` is that batch's loss; epoch logs therefore only hold the
    last batch. `keras_recipes.find_learning_rate` wraps all of this.

    Args:
        start_lr: First rate. Defaults to `1e-7`.
        end_lr: Last rate. Defaults to `10.0`.
        num_steps: Number of batches (rates) to try. Defaults to `100`.
        stop_factor: Stop when the smoothed loss exceeds `stop_factor`
            times the best smoothed loss; `None` never stops early.
            Defaults to `4.0`.
        beta: Smoothing factor of the loss average. Defaults to `0.98`.
        restore: Restore weights and optimizer state at the end.
            Defaults to `True`.
        verbose: `1` shows a progress bar. Defaults to `0`.

    Attributes:
        learning_rates, losses, smoothed_losses: The recorded curve.
        suggested_learning_rate: The suggestion, or `None` before a run.

    Example:

    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> finder = keras_recipes.callbacks.LRFinder(num_steps=10)
    >>> x, y = np.ones((80, 4)), np.ones((80, 1))
    >>> _ = model.fit(x, y, batch_size=8, epochs=2, callbacks=[finder],
    ...               verbose=0)
    >>> len(finder.learning_rates), round(finder.learning_rates[-1], 3)
    (10, 10.0)

    Reference:
        - [Smith, 2015](https://arxiv.org/abs/1506.01186)
    """

    def __init__(self, start_lr=1e-7, end_lr=10.0, num_steps=100,
                 stop_factor=4.0, beta=0.98, restore=True, verbose=0):
        super().__init__()
        check_number("start_lr", start_lr, min_value=0.0, min_inclusive=False)
        check_number("end_lr", end_lr, min_value=start_lr,
                     min_inclusive=False)
        check_number("num_steps", num_steps, min_value=2, integer=True)
        check_number("stop_factor", stop_factor, min_value=1.0,
                     min_inclusive=False, allow_none=True)
        check_number("beta", beta, min_value=0.0, max_value=1.0,
                     max_inclusive=False)
        self.start_lr = start_lr
        self.end_lr = end_lr
        self.num_steps = num_steps
        self.stop_factor = stop_factor
        self.beta = beta
        self.restore = restore
        self.verbose = verbose
        self._reset()

    def _reset(self):
        self.learning_rates = []
        self.losses = []
        self.smoothed_losses = []
        self.suggested_learning_rate = None
        self._average = 0.0
        self._best = math.inf

    def rate_at(self, i):
        """The rate tried at batch `i`."""
        ratio = self.end_lr / self.start_lr
        return self.start_lr * ratio ** (i / (self.num_steps - 1))

    def on_train_begin(self, logs=None):
        self._reset()
        model = self.model
        optimizer = model.optimizer
        settable_learning_rate(optimizer, "LRFinder")
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        self._saved_weights = [
            keras.ops.convert_to_numpy(v.value) for v in model.weights
        ]
        self._saved_optimizer = [
            keras.ops.convert_to_numpy(v.value) for v in optimizer.variables
        ]
        self._progbar = Progress(self.num_steps, self.verbose,
                                 description="LR finder", unit="lr step")

    def on_train_batch_begin(self, batch, logs=None):
        model = self.model  # on JAX this attaches the current state
        model.reset_metrics()
        model.optimizer.learning_rate = self.rate_at(len(self.losses))

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        i = len(self.losses)
        loss = to_float(logs["loss"]) if "loss" in logs else math.nan
        self.learning_rates.append(self.rate_at(i))
        self.losses.append(loss)
        self._average = self.beta * self._average + (1 - self.beta) * loss
        smoothed = self._average / (1 - self.beta ** (i + 1))
        self.smoothed_losses.append(smoothed)
        self._progbar.update(loss=loss, lr=self.learning_rates[-1])
        diverged = not math.isfinite(smoothed) or (
            self.stop_factor is not None and i > 0
            and smoothed > self.stop_factor * self._best
        )
        self._best = min(self._best, smoothed)
        if diverged or i + 1 >= self.num_steps:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.suggested_learning_rate = suggest_learning_rate(
            self.learning_rates, self.smoothed_losses
        )
        self._progbar.close()
        if self.verbose and self.suggested_learning_rate:
            print(f"Suggested learning rate: "
                  f"{self.suggested_learning_rate:.3g}")
        if self.restore:
            model = self.model
            for v, value in zip(model.weights, self._saved_weights):
                v.assign(value)
            for v, value in zip(model.optimizer.variables,
                                self._saved_optimizer):
                v.assign(value)

    def plot(self, path, *, title="Learning-rate finder"):
        """Write the loss-versus-rate curve as a PNG file (matplotlib).

        Returns:
            `path`.
        """
        if not self.losses:
            raise ValueError(
                "Expected a finished LRFinder run before plotting. "
                "Received: an LRFinder with no recorded losses"
            )
        from keras_recipes.schedules.plot import new_figure

        figure = new_figure()
        ax = figure.add_subplot(1, 1, 1)
        lrs = np.asarray(self.learning_rates)
        raw = np.asarray(self.losses)
        smooth = np.asarray(self.smoothed_losses)
        ax.plot(lrs, raw, color="0.75", linewidth=0.8, label="batch loss")
        ax.plot(lrs, smooth, color="tab:blue", linewidth=1.8,
                label="smoothed loss")
        ax.set_xscale("log")
        finite = smooth[np.isfinite(smooth)]
        if finite.size:
            low = finite.min()
            high = finite[: max(1, finite.size // 10)].max()
            pad = 0.1 * max(high - low, 1e-8)
            ax.set_ylim(low - pad, max(high, low) + 3 * pad)
        if self.suggested_learning_rate:
            ax.axvline(self.suggested_learning_rate, color="tab:red",
                       linestyle="--",
                       label=f"suggested {self.suggested_learning_rate:.2g}")
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel("training loss")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
        figure.tight_layout()
        figure.savefig(path)
        return path

    def get_config(self):
        return {
            "start_lr": self.start_lr,
            "end_lr": self.end_lr,
            "num_steps": self.num_steps,
            "stop_factor": self.stop_factor,
            "beta": self.beta,
            "restore": self.restore,
            "verbose": self.verbose,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras_recipes_export("keras_recipes.callbacks.find_learning_rate")
def find_learning_rate(model, x, y=None, batch_size=None, *, start_lr=1e-7,
                       end_lr=10.0, num_steps=100, stop_factor=4.0,
                       plot_path=None, verbose=1, callbacks=None,
                       **fit_kwargs):
    """Run a learning-rate range test on a compiled model and restore it.

    Trains `model` for up to `num_steps` batches of `x`/`y` with an
    exponentially growing rate (see `LRFinder`), then puts the weights and
    the optimizer state back. Also available as
    `keras_recipes.find_learning_rate`.

    Args:
        model: A compiled `keras.Model` whose optimizer has a float
            learning rate.
        x, y, batch_size: As in `model.fit` (`x` may be a dataset).
        start_lr, end_lr, num_steps, stop_factor: See `LRFinder`.
        plot_path: If given, write the curve there as a PNG (needs
            matplotlib, extra `plots`). Defaults to `None`.
        verbose: `1` shows a progress bar and prints the suggestion.
            Defaults to `1`.
        callbacks: Extra callbacks for the `fit` call. Defaults to `None`.
        **fit_kwargs: Passed to `model.fit` (e.g. `shuffle`).

    Returns:
        The `LRFinder`, with `suggested_learning_rate`, `learning_rates`,
        `losses` and `smoothed_losses`.

    Example:

    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> finder = keras_recipes.callbacks.find_learning_rate(
    ...     model, np.ones((64, 4)), np.ones((64, 1)), batch_size=8,
    ...     num_steps=12, verbose=0)
    >>> finder.suggested_learning_rate is not None
    True
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"Expected `model` to be a keras.Model. Received: model={model!r}"
        )
    if not getattr(model, "compiled", False):
        raise ValueError(
            "Expected a compiled model (call `model.compile(...)` first). "
            "Received: an uncompiled model"
        )
    finder = LRFinder(start_lr=start_lr, end_lr=end_lr, num_steps=num_steps,
                      stop_factor=stop_factor, verbose=verbose)
    for name in ("epochs", "verbose"):
        if name in fit_kwargs:
            raise ValueError(
                f"find_learning_rate sets `{name}` itself. "
                f"Received: {name}={fit_kwargs[name]!r}"
            )
    model.fit(x, y, batch_size=batch_size, epochs=num_steps,
              callbacks=[finder] + list(callbacks or []), verbose=0,
              **fit_kwargs)
    if plot_path is not None:
        finder.plot(plot_path)
    return finder
