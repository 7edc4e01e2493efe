"""`cache_teacher`: compute a teacher's outputs once for distillation
without augmentation."""

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_number


@keras_recipes_export("keras_recipes.distillation.cache_teacher")
def cache_teacher(teacher, x, batch_size=256):
    """Precompute the teacher's outputs on `x`, for a cached `Distiller`.

    Without augmentation the teacher sees the same images every epoch, so
    its outputs can be computed once (in inference mode, batched) and
    passed as targets: build `keras_recipes.distillation.Distiller` with
    `teacher=None` and fit it on `y={"labels": y, "teacher": cached}`. Each
    step then costs the student's forward and backward pass only. Do not
    cache when the batches are augmented (MixUp, CutMix, RandAugment, ...):
    the teacher must see the augmented images; keep the live teacher then.

    Args:
        teacher: the trained `keras.Model`.
        x: NumPy array of inputs, in the order of the training labels (the
            cached outputs are shuffled together with `y` by `fit`).
        batch_size: int, batch size of the teacher's `predict`. Defaults to
            `256`.

    Returns:
        A float32 NumPy array `teacher.predict(x)`: logits or probabilities,
        whichever the teacher outputs (tell the `Distiller` with
        `teacher_from_logits`).

    Example:

    >>> teacher = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> x = np.random.default_rng(0).normal(size=(10, 4))
    >>> cached = keras_recipes.distillation.cache_teacher(teacher, x)
    >>> cached.shape, cached.dtype
    ((10, 3), dtype('float32'))
    """
    if not isinstance(teacher, keras.Model):
        raise TypeError(
            "Expected `teacher` to be a keras.Model. Received: teacher="
            f"{teacher!r} of type {type(teacher).__name__}"
        )
    check_number("batch_size", batch_size, min_value=1, integer=True)
    outputs = teacher.predict(x, batch_size=batch_size, verbose=0)
    if isinstance(outputs, (list, tuple, dict)):
        raise ValueError(
            "Expected `teacher` to have a single output (one score per "
            f"class). Received: {type(outputs).__name__} of outputs"
        )
    return np.asarray(outputs, dtype="float32")
