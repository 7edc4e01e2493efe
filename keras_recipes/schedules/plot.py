"""PNG previews of learning-rate schedules (matplotlib, imported lazily)."""

import numbers

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.optional import import_optional
from keras_recipes.utils.validation import check_number


def new_figure(figsize=(6.0, 3.6)):
    """A matplotlib `Figure` drawn by the Agg canvas, without pyplot state."""
    figure_module = import_optional("matplotlib.figure", "plots")
    agg = import_optional("matplotlib.backends.backend_agg", "plots")
    figure = figure_module.Figure(figsize=figsize, dpi=120)
    agg.FigureCanvasAgg(figure)
    return figure


def schedule_values(schedule, total_steps):
    """NumPy array of `schedule(step)` for `step = 0 .. total_steps - 1`."""
    steps = np.arange(total_steps)
    if isinstance(schedule, numbers.Real):
        return np.full(total_steps, float(schedule))
    try:  # keras_recipes schedules and most Keras ones are elementwise
        values = keras.ops.convert_to_numpy(
            schedule(keras.ops.convert_to_tensor(steps, "int32"))
        )
        values = np.asarray(values, dtype="float64")
        if values.shape == (total_steps,):
            return values
    except Exception:  # noqa: BLE001 - fall back to one step at a time
        pass
    return np.array(
        [float(keras.ops.convert_to_numpy(schedule(int(s)))) for s in steps]
    )


@keras_recipes_export("keras_recipes.schedules.plot")
def plot(schedule, total_steps, path, *, title=None, log_scale=False):
    """Write a PNG plot of a learning-rate schedule over `total_steps`.

    Needs matplotlib (`pip install "keras-recipes[plots]"`), imported only
    when this function runs.

    Args:
        schedule: A `keras.optimizers.schedules.LearningRateSchedule`, a
            callable `step -> rate`, or a float.
        total_steps: Number of steps to plot, a positive integer.
        path: Output file path (PNG).
        title: Plot title. Defaults to the schedule's class name.
        log_scale: Use a logarithmic y axis. Defaults to `False`.

    Returns:
        The NumPy array of plotted rates, one per step.

    Example:

    >>> schedule = keras_recipes.schedules.OneCycle(0.1, total_steps=200)
    >>> rates = keras_recipes.schedules.plot(schedule, 200, "one_cycle.png")
    >>> rates.shape, round(float(rates.max()), 4)
    ((200,), 0.1)
    """
    check_number("total_steps", total_steps, min_value=1, integer=True)
    if not isinstance(path, str) and not hasattr(path, "__fspath__"):
        raise TypeError(
            f"Expected `path` to be a file path. Received: path={path!r}"
        )
    if not (isinstance(schedule, numbers.Real) or callable(schedule)):
        raise TypeError(
            "Expected `schedule` to be a LearningRateSchedule, a callable or "
            f"a float. Received: schedule={schedule!r}"
        )
    values = schedule_values(schedule, total_steps)
    figure = new_figure()
    ax = figure.add_subplot(1, 1, 1)
    ax.plot(np.arange(total_steps), values, color="tab:blue", linewidth=1.8)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("learning rate")
    if log_scale:
        ax.set_yscale("log")
    ax.set_title(title or type(schedule).__name__)
    ax.grid(True, alpha=0.3)
    peak = int(np.argmax(values))
    ax.annotate(
        f"peak {values[peak]:.3g} @ step {peak}",
        xy=(peak, values[peak]), xytext=(0.55, 0.9),
        textcoords="axes fraction", fontsize=8,
        arrowprops=dict(arrowstyle="->", color="0.4"),
    )
    figure.tight_layout()
    figure.savefig(path)
    return values
