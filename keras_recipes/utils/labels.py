"""Host-side (NumPy) label checks shared by every family.

Labels are checked, never trusted: wherever the values are visible on the host
(NumPy inputs, eager calls, `data.batches`, `Recipe.fit`, `evaluate`), integer
class ids outside `[0, num_classes)` raise a `ValueError` that names the
argument and the bad range. Inside compiled steps the losses turn such labels
into a NaN loss instead (see `keras_recipes/losses/_classification.py`).
"""

import numpy as np


def check_same_length(name_a, a, name_b, b):
    """Raise a `ValueError` naming both arguments if their lengths differ."""
    len_a, len_b = len(a), len(b)
    if len_a != len_b:
        raise ValueError(
            f"Expected `{name_a}` and `{name_b}` to have the same length. "
            f"Received: len({name_a})={len_a}, len({name_b})={len_b}"
        )


def check_class_ids(ids, num_classes, name="y"):
    """Raise a `ValueError` if integer class ids fall outside the classes.

    Args:
        ids: array-like of integer class ids, any shape.
        num_classes: int, the number of classes `C`; ids must lie in `[0, C)`.
        name: str, the argument name used in the message.

    Returns:
        `ids` as a NumPy array.
    """
    ids = np.asarray(ids)
    if ids.size == 0:
        return ids
    low, high = ids.min(), ids.max()
    if np.all(np.mod(ids, 1) == 0):
        low, high = int(low), int(high)
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"Expected `{name}` to hold class ids in [0, {num_classes}) "
            f"({num_classes} classes). Received: {name} with values in "
            f"[{low}, {high}]"
        )
    return ids


def class_ids(y, num_classes=None, name="y"):
    """Normalise host labels to a flat int64 vector of class ids.

    Accepts integer ids of shape `(N,)` or `(N, 1)` (also whole-valued floats)
    and one-hot or soft rows of shape `(N, C)`, which are reduced by argmax.
    When `num_classes` is given, the ids are range-checked against it.

    Args:
        y: array-like labels.
        num_classes: optional int, the number of classes.
        name: str, the argument name used in error messages.

    Returns:
        A NumPy int64 array of shape `(N,)`.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        if num_classes is not None and y.shape[1] != num_classes:
            raise ValueError(
                f"Expected `{name}` rows of length {num_classes} (one per "
                f"class). Received: {name} with shape {y.shape}"
            )
        return y.argmax(axis=1).astype("int64")
    if y.ndim > 2 or (y.ndim == 2 and y.shape[1] != 1):
        raise ValueError(
            f"Expected `{name}` of shape (N,), (N, 1) or (N, C). "
            f"Received: {name} with shape {y.shape}"
        )
    y = y.reshape(-1)
    if not np.issubdtype(y.dtype, np.integer):
        if not np.issubdtype(y.dtype, np.number) or not np.all(
            np.equal(np.mod(y, 1), 0)
        ):
            raise ValueError(
                f"Expected `{name}` to hold integer class ids or one-hot "
                f"rows. Received: {name} with dtype {y.dtype} and "
                "non-integer values"
            )
    y = y.astype("int64")
    if num_classes is not None:
        check_class_ids(y, num_classes, name)
    return y
