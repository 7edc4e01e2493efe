"""Read a tensor's values on the host when, and only when, they are visible.

Label checks raise a `ValueError` on the host wherever the values can be seen
without changing the computation: NumPy inputs, eager calls on every backend.
Inside a traced step (a `jax.jit` trace, a `tf.function` graph, a
`torch.compile` graph) the values are not visible, and the losses fall back to
a NaN loss instead (see `keras_recipes/losses/_classification.py`).
"""

import sys

import keras
import numpy as np


def host_value(x):
    """`x` as a NumPy array if its values are visible on the host, else None.

    On torch, tensors on an accelerator return None too: copying them to the
    host would add a device synchronisation to every training step.
    """
    if isinstance(x, (np.ndarray, np.generic, int, float, list, tuple)):
        return np.asarray(x)
    backend = keras.backend.backend()
    if backend == "jax":
        jax = sys.modules.get("jax")
        if jax is not None and isinstance(x, jax.core.Tracer):
            return None
        return np.asarray(x)
    if backend == "tensorflow":
        tf = sys.modules["tensorflow"]
        if not tf.executing_eagerly() or not hasattr(x, "numpy"):
            return None
        return x.numpy()
    if backend == "torch":
        torch = sys.modules["torch"]
        if not isinstance(x, torch.Tensor):
            return np.asarray(x)
        compiling = getattr(torch.compiler, "is_compiling", lambda: False)
        if compiling() or x.device.type != "cpu":
            return None
        return x.detach().numpy()
    return None
