"""What the running backend's input pipeline does, asked by name.

The rest of the library asks these questions instead of comparing
`keras.backend.backend()` with a backend's name.
"""

import keras


def pydataset_peeks_batch_signature():
    """Whether Keras reads batches of a `PyDataset` before training starts
    to fix the batch signature (TensorFlow's `tf.data` adapter peeks at the
    first two)."""
    return keras.backend.backend() == "tensorflow"


def pydataset_stalls_with_one_worker():
    """Whether a single-worker `PyDataset` goes through
    `tf.data.Dataset.from_generator(...).prefetch(AUTOTUNE)`, which stalls at
    the start of some epochs (TensorFlow; see `docs/benchmarks.md`)."""
    return keras.backend.backend() == "tensorflow"
