"""One-cycle learning-rate policy, step for step equal to PyTorch's."""

import math

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_choice
from keras_recipes.utils.validation import check_number

_ANNEAL = ("cos", "linear")


def _phases(max_learning_rate, total_steps, pct_start, div_factor,
            final_div_factor, three_phase):
    """Phase table `(start_step, end_step, start_lr, end_lr)`, as in torch."""
    initial = max_learning_rate / div_factor
    minimum = initial / final_div_factor
    warm_end = float(pct_start * total_steps) - 1.0
    if three_phase:
        return [
            (0.0, warm_end, initial, max_learning_rate),
            (warm_end, float(2 * pct_start * total_steps) - 2.0,
             max_learning_rate, initial),
            (float(2 * pct_start * total_steps) - 2.0,
             float(total_steps) - 1.0, initial, minimum),
        ]
    return [
        (0.0, warm_end, initial, max_learning_rate),
        (warm_end, float(total_steps) - 1.0, max_learning_rate, minimum),
    ]


def _distance(step, point, sign):
    """`sign * (step - point)` in float32 without rounding `point` first.

    `point` may be fractional (e.g. `0.3 * 77 - 1`). Subtracting its integer
    part from the integer-valued step is exact in float32, so only the small
    fractional part is rounded.
    """
    whole = math.floor(point)
    frac = point - whole
    d = ops.subtract(step, float(whole))
    d = ops.subtract(d, frac)
    return ops.multiply(d, float(sign))


def _anneal_weight(q, anneal_strategy):
    """Weight in [0, 1] of the far end, given the fraction `q` travelled
    from the low end. Written as `sin^2` so that it stays accurate in float32
    close to the low end (no `1 + cos(pi)` cancellation)."""
    if anneal_strategy == "linear":
        return q
    return ops.square(ops.sin(ops.multiply(q, math.pi / 2.0)))


def one_cycle(step, max_learning_rate, total_steps, pct_start=0.25,
              div_factor=25.0, final_div_factor=1e4, anneal_strategy="cos",
              three_phase=False):
    """Learning rate of the one-cycle policy at `step` (0-based).

    Same value as `torch.optim.lr_scheduler.OneCycleLR` after `step` calls
    of `scheduler.step()`. Steps past `total_steps - 1` keep the final
    rate. Elementwise, so `step` may be a vector (for plots).

    Args:
        step: Integer or float scalar or tensor.
        max_learning_rate: Peak rate.
        total_steps: Number of optimizer steps in the cycle.
        pct_start: Fraction of the cycle spent increasing the rate.
        div_factor: Initial rate is `max_learning_rate / div_factor`.
        final_div_factor: Final rate is the initial rate divided by this.
        anneal_strategy: `"cos"` or `"linear"`.
        three_phase: If `True`, use fastai's three phases (up, down to the
            initial rate, then down to the final rate).

    Returns:
        A float32 tensor of the shape of `step`.
    """
    step = ops.cast(ops.convert_to_tensor(step), "float32")
    step = ops.clip(step, 0.0, float(total_steps - 1))
    phases = _phases(max_learning_rate, total_steps, pct_start, div_factor,
                     final_div_factor, three_phase)
    result = None
    # Walk the phases from last to first so that earlier phases win at the
    # shared boundary, as torch's `step_num <= end_step` test does.
    for start, end, lr_start, lr_end in reversed(phases):
        length = end - start
        if lr_end >= lr_start:  # rising: measure from the start
            q = ops.divide(_distance(step, start, 1.0), length)
            low, high = lr_start, lr_end
        else:  # falling: measure from the end
            q = ops.divide(_distance(step, end, -1.0), length)
            low, high = lr_end, lr_start
        value = ops.add(
            low, ops.multiply(high - low, _anneal_weight(q, anneal_strategy))
        )
        if result is None:
            result = value
        else:
            result = ops.where(ops.less_equal(step, end), value, result)
    return result


@keras_recipes_export("keras_recipes.schedules.OneCycle")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """One-cycle learning-rate policy (Smith & Topin), equal to PyTorch's.

    The rate rises from `max_learning_rate / div_factor` to
    `max_learning_rate` over the first `pct_start` of the cycle, then anneals
    down to `max_learning_rate / (div_factor * final_div_factor)` at step
    `total_steps - 1`. At every step the value equals
    `torch.optim.lr_scheduler.OneCycleLR` with the same arguments (step `k`
    of Keras's `optimizer.iterations` is the rate torch uses after `k`
    calls of `scheduler.step()`); steps past the end keep the final rate.
    Computed in float32 in a form that stays within 1e-6 relative error of
    torch's float64 values. Compiles under XLA and accepts integer steps.

    Only the learning rate cycles. PyTorch's `cycle_momentum` also cycles
    the optimizer's momentum, which a Keras schedule cannot do.

    Args:
        max_learning_rate: Peak learning rate.
        total_steps: Number of optimizer steps in the cycle, usually
            `epochs * steps_per_epoch`.
        pct_start: Fraction of the cycle spent increasing the rate.
            Defaults to `0.25`. (PyTorch's default is `0.3`.)
        div_factor: The initial rate is `max_learning_rate / div_factor`.
            Defaults to `25.0`.
        final_div_factor: The final rate is the initial rate divided by
            `final_div_factor`. Defaults to `1e4`.
        anneal_strategy: `"cos"` or `"linear"`. Defaults to `"cos"`.
        three_phase: If `True`, the second phase goes back down to the
            initial rate and a third phase anneals to the final rate
            (fastai's variant). Defaults to `False`.
        name: Optional name. Defaults to `"OneCycle"`.

    Example:

    >>> schedule = keras_recipes.schedules.OneCycle(
    ...     max_learning_rate=0.1, total_steps=100)
    >>> [round(float(schedule(s)), 6) for s in (0, 24, 99)]
    [0.004, 0.1, 0.0]
    >>> optimizer = keras.optimizers.SGD(learning_rate=schedule)

    Reference:
        - [Smith & Topin, 2017](https://arxiv.org/abs/1708.07120)
    """

    def __init__(self, max_learning_rate, total_steps, pct_start=0.25,
                 div_factor=25.0, final_div_factor=1e4,
                 anneal_strategy="cos", three_phase=False, name="OneCycle"):
        super().__init__()
        check_number("max_learning_rate", max_learning_rate, min_value=0.0,
                     min_inclusive=False)
        check_number("total_steps", total_steps, min_value=1, integer=True)
        check_number("pct_start", pct_start, min_value=0.0, max_value=1.0)
        check_number("div_factor", div_factor, min_value=0.0,
                     min_inclusive=False)
        check_number("final_div_factor", final_div_factor, min_value=0.0,
                     min_inclusive=False)
        check_choice("anneal_strategy", anneal_strategy, _ANNEAL)
        if not isinstance(three_phase, bool):
            raise TypeError(
                "Expected `three_phase` to be a bool. "
                f"Received: three_phase={three_phase!r}"
            )
        phases = _phases(max_learning_rate, total_steps, pct_start,
                         div_factor, final_div_factor, three_phase)
        for start, end, _, _ in phases:
            if not end > start:
                raise ValueError(
                    "Expected every phase of the cycle to last at least one "
                    "step, i.e. `pct_start * total_steps > 1` and "
                    "`total_steps` past the end of the warmup phase"
                    f"{' (twice it for three_phase)' if three_phase else ''}."
                    f" Received: pct_start={pct_start!r}, "
                    f"total_steps={total_steps!r}"
                )
        self.max_learning_rate = max_learning_rate
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.anneal_strategy = anneal_strategy
        self.three_phase = three_phase
        self.name = name

    def __call__(self, step):
        return one_cycle(
            step, self.max_learning_rate, self.total_steps,
            pct_start=self.pct_start, div_factor=self.div_factor,
            final_div_factor=self.final_div_factor,
            anneal_strategy=self.anneal_strategy,
            three_phase=self.three_phase,
        )

    def get_config(self):
        return {
            "max_learning_rate": self.max_learning_rate,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "anneal_strategy": self.anneal_strategy,
            "three_phase": self.three_phase,
            "name": self.name,
        }
