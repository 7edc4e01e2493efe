"""Argument checks that raise `ValueError`/`TypeError` in Keras's style.

Messages take the form "Expected <what>. Received: <arg>=<value>".
"""

import numbers

import keras


def check_number(name, value, *, min_value=None, max_value=None,
                 min_inclusive=True, max_inclusive=True, integer=False,
                 allow_none=False):
    """Check that `value` is a real number (or int) inside a range."""
    if value is None and allow_none:
        return value
    kind = "an integer" if integer else "a number"
    ok_type = isinstance(value, numbers.Integral if integer else numbers.Real)
    if not ok_type or isinstance(value, bool):
        raise TypeError(
            f"Expected `{name}` to be {kind}. Received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    low_ok = (
        min_value is None
        or (value >= min_value if min_inclusive else value > min_value)
    )
    high_ok = (
        max_value is None
        or (value <= max_value if max_inclusive else value < max_value)
    )
    if not (low_ok and high_ok):
        lo = "-inf" if min_value is None else min_value
        hi = "inf" if max_value is None else max_value
        lb = "[" if min_inclusive and min_value is not None else "("
        rb = "]" if max_inclusive and max_value is not None else ")"
        raise ValueError(
            f"Expected `{name}` in the range {lb}{lo}, {hi}{rb}. "
            f"Received: {name}={value!r}"
        )
    return value


def check_choice(name, value, choices):
    """Check that `value` is one of `choices`."""
    if value not in choices:
        raise ValueError(
            f"Expected `{name}` to be one of {sorted(choices)}. "
            f"Received: {name}={value!r}"
        )
    return value


DATA_FORMATS = ("channels_last", "channels_first")


def check_data_format(data_format):
    """`data_format` resolved and checked: `None` gives
    `keras.config.image_data_format()`; anything but `"channels_last"` or
    `"channels_first"` raises a `ValueError` naming `data_format`."""
    if data_format is None:
        return keras.config.image_data_format()
    return check_choice("data_format", data_format, DATA_FORMATS)
