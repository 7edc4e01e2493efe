"""Fashion-MNIST that loads offline from a local copy."""

import gzip
import os

import numpy as np

from keras_recipes.api_export import keras_recipes_export

DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
INSTALL_HINT = (
    "Fashion-MNIST was not found locally and could not be downloaded. "
    "Install it with `apt-get install dataset-fashion-mnist` (files in "
    f"{DEBIAN_DIR}), or put the four files {sorted(FILES.values())} in a "
    "folder and set KERAS_RECIPES_DATA to that folder (or to its parent "
    "holding a `fashion-mnist` folder)."
)


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(
        int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)
    )
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return array.reshape(shape)


def _candidate_dirs():
    env = os.environ.get("KERAS_RECIPES_DATA")
    if env:
        yield env
        yield os.path.join(env, "fashion-mnist")
        yield os.path.join(env, "fashion_mnist")
    yield DEBIAN_DIR


def find_local_copy():
    """The first folder holding the four Fashion-MNIST files, or None."""
    for folder in _candidate_dirs():
        if all(os.path.isfile(os.path.join(folder, f)) for f in FILES.values()):
            return folder
    return None


@keras_recipes_export("keras_recipes.datasets.fashion_mnist.load_data")
def load_data():
    """Load Fashion-MNIST: `((x_train, y_train), (x_test, y_test))`.

    The same return value as `keras.datasets.fashion_mnist.load_data()`:
    uint8 images of shape `(60000, 28, 28)` and `(10000, 28, 28)` and uint8
    labels 0-9 (`CLASS_NAMES` names them). It reads, in order, a folder named
    by the `KERAS_RECIPES_DATA` environment variable, the Debian package
    `dataset-fashion-mnist` (`/usr/share/datasets/fashion-mnist`), and
    otherwise falls back to `keras.datasets.fashion_mnist.load_data()`, which
    downloads (or reads Keras's cache). Offline with nothing found, it raises
    an `OSError` that says how to install the data.

    Example:

    >>> (x, y), (x_test, y_test) = (
    ...     keras_recipes.datasets.fashion_mnist.load_data())
    >>> x.shape, x_test.shape, str(y.dtype)
    ((60000, 28, 28), (10000, 28, 28), 'uint8')
    """
    folder = find_local_copy()
    if folder is not None:
        arrays = {
            k: _read_idx(os.path.join(folder, f)) for k, f in FILES.items()
        }
        return (
            (arrays["x_train"], arrays["y_train"]),
            (arrays["x_test"], arrays["y_test"]),
        )
    import keras

    try:
        return keras.datasets.fashion_mnist.load_data()
    except Exception as e:  # the download fails in many ways offline
        raise OSError(INSTALL_HINT) from e
__all__ = ["load_data"]
