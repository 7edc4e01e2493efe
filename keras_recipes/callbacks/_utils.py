"""Small helpers shared by the callbacks (private)."""

import keras


def to_float(value):
    """A Python float from a tensor, variable, NumPy value or number."""
    if isinstance(value, keras.Variable):
        value = value.value
    return float(keras.ops.convert_to_numpy(value))


def is_schedule(optimizer):
    """Whether the optimizer's learning rate is a schedule or a callable."""
    inner = optimizer
    while hasattr(inner, "inner_optimizer") or hasattr(inner, "optimizer"):
        nxt = getattr(inner, "inner_optimizer", None) or getattr(
            inner, "optimizer", None)
        if not isinstance(nxt, keras.optimizers.Optimizer):
            break
        inner = nxt
    lr = getattr(inner, "_learning_rate", None)
    return lr is not None and not isinstance(lr, keras.Variable)


def settable_learning_rate(optimizer, who):
    """Raise a clear error when the learning rate cannot be assigned."""
    if isinstance(optimizer, keras.optimizers.MultiOptimizer):
        raise ValueError(
            f"{who} sets the learning rate, which a MultiOptimizer does not "
            "expose. Received: optimizer=MultiOptimizer"
        )
    if is_schedule(optimizer):
        raise ValueError(
            f"{who} sets the learning rate, so the optimizer must be "
            "created with a float `learning_rate`, not a "
            "LearningRateSchedule. Received: optimizer with learning_rate="
            f"{type(getattr(optimizer, 'learning_rate', None)).__name__}"
        )


def learning_rates(optimizer, key="learning_rate"):
    """`{key: rate}`, or `{key/<i>: rate}` per sub-optimizer of a
    `keras.optimizers.MultiOptimizer`."""
    if isinstance(optimizer, keras.optimizers.MultiOptimizer):
        return {
            f"{key}/{i}": to_float(opt.learning_rate)
            for i, opt in enumerate(optimizer.optimizers)
        }
    return {key: to_float(optimizer.learning_rate)}
