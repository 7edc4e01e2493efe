"""Real datasets that load offline: `fashion_mnist` and `digits`, each with
`load_data()` returning Keras's `((x_train, y_train), (x_test, y_test))`,
and `load_dataset(name)`, which also reads a `.npz` file and checks the
arrays; `long_tailed` cuts a long-tailed subset from a balanced set."""

from keras_recipes.datasets import digits as digits
from keras_recipes.datasets import fashion_mnist as fashion_mnist
from keras_recipes.datasets.load import load_dataset as load_dataset
from keras_recipes.datasets.long_tail import long_tailed as long_tailed

__all__ = ["digits", "fashion_mnist", "load_dataset", "long_tailed"]
