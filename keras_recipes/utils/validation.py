"""Argument checks that raise `ValueError`/`TypeError` in Keras's style.

Messages take the form "Expected <what>. Received: <arg>=<value>".
"""

import numbers

import keras
import numpy as np


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


def check_per_class(name, value, *, what="weight", min_value=0.0,
                    inclusive=True, reason=""):
    """`value` as a list of floats, one per class (at least 2).

    Accepts a list, tuple or 1-D array, or a `{class_id: value}` dict whose
    integer keys cover every class id from 0 to C - 1. Every entry must be
    finite and `>= min_value` (`> min_value` when `inclusive=False`);
    `reason`, when given, is appended to that error to say why. `what` names
    one entry in the messages ("weight", "count").
    """
    if value is None or isinstance(value, (str, bytes, numbers.Number)):
        raise TypeError(
            f"Expected `{name}` to hold one {what} per class (a list, array "
            f"or dict). Received: {name}={value!r}"
        )
    if isinstance(value, dict):
        keys = sorted(value, key=repr)
        if not all(isinstance(k, numbers.Integral)
                   and not isinstance(k, bool) for k in keys):
            raise TypeError(
                f"Expected `{name}` dict keys to be integer class ids. "
                f"Received: {name}={value!r}"
            )
        keys = sorted(value)
        missing = sorted(set(range(max(keys) + 1)) - set(keys)) if keys else []
        if not keys or keys[0] < 0 or missing:
            raise ValueError(
                f"Expected `{name}` dict to give a {what} for every class id "
                f"from 0 to C - 1. Received: {name}={value!r} (missing class "
                f"ids: {missing})"
            )
        value = [value[k] for k in keys]
    try:
        values = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        raise TypeError(
            f"Expected `{name}` to hold one {what} per class (numbers). "
            f"Received: {name}={value!r}"
        ) from None
    if values.ndim != 1 or values.size < 2:
        raise ValueError(
            f"Expected `{name}` to be a flat list of at least 2 per-class "
            f"{what}s. Received: {name}={value!r}"
        )
    low = (values < min_value) if inclusive else (values <= min_value)
    if not np.all(np.isfinite(values)) or np.any(low):
        bound = f"{'>=' if inclusive else '>'} {min_value:g}"
        raise ValueError(
            f"Expected every entry of `{name}` to be a finite {what} {bound}"
            f"{' (' + reason + ')' if reason else ''}. Received: "
            f"{name}={value!r}"
        )
    return [float(v) for v in values]
