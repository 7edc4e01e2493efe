"""`load_dataset`: a dataset by name or `.npz` path, checked and normalised."""

import os

import numpy as np

from keras_recipes.api_export import keras_recipes_export

NAMES = ("fashion_mnist", "digits")
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _one_line(error):
    return " ".join((str(error).strip() or type(error).__name__).split())


def _read_npz(path):
    if not os.path.isfile(path):
        raise ValueError(f"dataset file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except Exception as e:  # noqa: BLE001 - any unreadable file
        raise ValueError(
            f"cannot read dataset file {path}: {_one_line(e)}"
        ) from None
    missing = [k for k in NPZ_KEYS if k not in arrays]
    if missing:
        raise ValueError(
            f"dataset file {path} lacks the arrays {missing}; expected "
            f"{', '.join(NPZ_KEYS)}"
        )
    names = arrays.get("class_names")
    names = None if names is None else [str(c) for c in names]
    return [arrays[k] for k in NPZ_KEYS], names


def _images(a, arg):
    a = np.asarray(a)
    if a.ndim == 3:
        a = a[..., None]
    if a.ndim != 4:
        raise ValueError(
            f"{arg} must hold images (N, H, W) or (N, H, W, C); got shape "
            f"{a.shape}"
        )
    return a.astype("float32")


def _labels(a, n, arg):
    a = np.asarray(a).reshape(-1)
    if a.shape[0] != n or not np.issubdtype(a.dtype, np.integer):
        raise ValueError(
            f"{arg} must hold {n} integer class ids; got shape {a.shape} "
            f"and dtype {a.dtype}"
        )
    if a.size and a.min() < 0:
        raise ValueError(
            f"{arg} must hold class ids >= 0; got a minimum of {a.min()}"
        )
    return a.astype("int64")


@keras_recipes_export("keras_recipes.datasets.load_dataset")
def load_dataset(name):
    """Load a dataset by name, or from a `.npz` file, as checked arrays.

    Args:
        name: `"fashion_mnist"`, `"digits"`, or the path of a `.npz` file
            holding `x_train`, `y_train`, `x_test`, `y_test` (and optionally
            `class_names`).

    Returns:
        `((x_train, y_train), (x_test, y_test), class_names)`: images as
        float32 `(N, H, W, C)` in their stored range (0-255 for the named
        datasets), labels as int64 class ids, and one name per class
        (`"0"`, `"1"`, ... when the data names none).

    Raises:
        ValueError: for an unknown name, a missing or unreadable file, or
            arrays that are not images and integer labels.

    Example:

    >>> import keras_recipes
    >>> (x, y), (xt, yt), names = keras_recipes.datasets.load_dataset(
    ...     "digits")
    >>> x.shape[1:], names[:3]
    ((8, 8, 1), ['0', '1', '2'])
    """
    from keras_recipes.datasets import digits
    from keras_recipes.datasets import fashion_mnist

    if not isinstance(name, str):
        raise TypeError(
            "Expected `name` to be a dataset name or a .npz path. "
            f"Received: name={name!r} of type {type(name).__name__}"
        )
    if name == "fashion_mnist":
        (x, y), (xt, yt) = fashion_mnist.load_data()
        names = list(getattr(fashion_mnist, "CLASS_NAMES", [])) or None
    elif name == "digits":
        (x, y), (xt, yt) = digits.load_data()
        names = None
    elif name.endswith(".npz"):
        (x, y, xt, yt), names = _read_npz(name)
    else:
        raise ValueError(
            f"unknown dataset {name!r}; expected {', '.join(NAMES)} or a "
            "PATH.npz"
        )
    x, xt = _images(x, "x_train"), _images(xt, "x_test")
    y, yt = _labels(y, len(x), "y_train"), _labels(yt, len(xt), "y_test")
    num_classes = int(max(y.max(initial=0), yt.max(initial=0))) + 1
    if names is None or len(names) != num_classes:
        names = [str(i) for i in range(num_classes)]
    return (x, y), (xt, yt), names
