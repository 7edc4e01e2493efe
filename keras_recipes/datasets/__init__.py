"""Real datasets that load offline: `fashion_mnist` and `digits`, each with
`load_data()` returning Keras's `((x_train, y_train), (x_test, y_test))`."""

from keras_recipes.datasets import digits as digits
from keras_recipes.datasets import fashion_mnist as fashion_mnist

__all__ = ["digits", "fashion_mnist"]
