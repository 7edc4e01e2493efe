"""Knowledge-distillation loss (Hinton et al., 2015): `T^2 * KL(p_t || p_s)`
between the temperature-softened teacher and student distributions."""

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_number


def check_flag(name, value):
    if not isinstance(value, bool):
        raise TypeError(
            f"Expected `{name}` to be a boolean. Received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    return value


def check_temperature(temperature):
    return float(check_number("temperature", temperature, min_value=0.0,
                              min_inclusive=False))


def tempered_log_softmax(outputs, temperature, from_logits=True):
    """`log softmax(z / T)` of logits `z`; with `from_logits=False`,
    `outputs` are probabilities and `z = log(clip(p, eps, 1))` (the
    probabilities renormalised first), so `T = 1` gives back `log p`."""
    outputs = ops.convert_to_tensor(outputs)
    if not from_logits:
        eps = keras.config.epsilon()
        p = outputs / ops.sum(outputs, axis=-1, keepdims=True)
        outputs = ops.log(ops.clip(p, eps, 1.0))
    return ops.log_softmax(outputs / temperature, axis=-1)


@keras_recipes_export("keras_recipes.losses.distillation_loss")
def distillation_loss(teacher_logits, student_logits, temperature=4.0,
                      from_logits=True, teacher_from_logits=True):
    """Per-sample distillation loss `T^2 * KL(softmax(t/T) || softmax(s/T))`.

    Hinton et al.'s (2015) soft-target term: the Kullback-Leibler divergence
    from the teacher's temperature-softened distribution to the student's,
    times `T^2` so that its gradients keep the same size as the hard-label
    term's when `T` changes. `sum_c p_t,c (log p_t,c - log p_s,c)` is
    computed from `log_softmax`, so it is finite for any logits.

    Args:
        teacher_logits: teacher outputs of shape `(..., C)`: logits, or
            probabilities with `teacher_from_logits=False`.
        student_logits: student outputs of shape `(..., C)`: logits, or
            probabilities with `from_logits=False`.
        temperature: `T > 0`. Defaults to `4.0`.
        from_logits: whether `student_logits` are logits; probabilities
            are turned into logits by `log(clip(p, epsilon, 1))`. Defaults
            to `True`.
        teacher_from_logits: the same for `teacher_logits`. Defaults to
            `True`.

    Returns:
        A tensor of shape `student_logits.shape[:-1]`.

    Example:

    >>> loss = keras_recipes.losses.distillation_loss(
    ...     np.array([[2.0, 0.0, -1.0]]), np.array([[0.5, 0.2, 0.1]]),
    ...     temperature=2.0)
    >>> [round(float(v), 4) for v in keras.ops.convert_to_numpy(loss)]
    [0.5695]
    """
    temperature = check_temperature(temperature)
    check_flag("from_logits", from_logits)
    check_flag("teacher_from_logits", teacher_from_logits)
    teacher_logits = ops.convert_to_tensor(teacher_logits)
    student_logits = ops.convert_to_tensor(student_logits)
    if tuple(teacher_logits.shape[-1:]) != tuple(student_logits.shape[-1:]):
        raise ValueError(
            "Expected `teacher_logits` and `student_logits` to have the same "
            "number of classes (last axis). Received: "
            f"teacher_logits.shape={tuple(teacher_logits.shape)}, "
            f"student_logits.shape={tuple(student_logits.shape)}"
        )
    dtype = keras.backend.standardize_dtype(student_logits.dtype)
    if dtype not in ("float32", "float64"):
        dtype = "float32"
    log_t = tempered_log_softmax(
        ops.cast(teacher_logits, dtype), temperature, teacher_from_logits)
    log_s = tempered_log_softmax(
        ops.cast(student_logits, dtype), temperature, from_logits)
    kl = ops.sum(ops.exp(log_t) * (log_t - log_s), axis=-1)
    return (temperature ** 2) * kl


@keras_recipes_export("keras_recipes.losses.DistillationLoss")
class DistillationLoss(keras.losses.Loss):
    """Hinton's distillation term `T^2 * KL(softmax(t/T) || softmax(s/T))`.

    The soft-target term of knowledge distillation on its own, for custom
    training loops or a `compile(loss=...)` on precomputed teacher outputs:
    `y_true` holds the teacher's logits (or probabilities, with
    `teacher_from_logits=False`) and `y_pred` the student's, both of shape
    `(..., C)`. `keras_recipes.distillation.Distiller` combines it with the
    hard-label loss.

    Unlike `keras.distillation.LogitsDistillation` with its default
    `loss="kl_divergence"`, which applies Keras's `kl_divergence` to the
    *logits* divided by `T` (clipped to `[epsilon, 1]` as if they were
    probabilities, without a softmax and without the `T^2` factor), this is
    the textbook quantity. `sample_weight` weights each sample as in every
    Keras loss.

    Args:
        temperature: `T > 0`. Defaults to `4.0`.
        from_logits: whether `y_pred` holds logits (else probabilities,
            turned into logits by `log(clip(p, epsilon, 1))`). Defaults to
            `True`.
        teacher_from_logits: the same for `y_true`. Defaults to `True`.
        reduction: Keras reduction. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"distillation_loss"`.
        dtype: Dtype of the loss computation. Defaults to `None`.

    Example:

    >>> loss = keras_recipes.losses.DistillationLoss(temperature=2.0)
    >>> teacher = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    >>> student = np.array([[0.5, 0.2, 0.1], [0.0, 1.0, 0.0]])
    >>> round(float(loss(teacher, student)), 4)
    0.2848

    Reference:
        - [Hinton et al., 2015](https://arxiv.org/abs/1503.02531)
    """

    def __init__(self, temperature=4.0, from_logits=True,
                 teacher_from_logits=True, reduction="sum_over_batch_size",
                 name="distillation_loss", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.temperature = check_temperature(temperature)
        self.from_logits = check_flag("from_logits", from_logits)
        self.teacher_from_logits = check_flag(
            "teacher_from_logits", teacher_from_logits)

    def call(self, y_true, y_pred):
        return distillation_loss(
            y_true, y_pred, temperature=self.temperature,
            from_logits=self.from_logits,
            teacher_from_logits=self.teacher_from_logits,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            temperature=self.temperature,
            from_logits=self.from_logits,
            teacher_from_logits=self.teacher_from_logits,
        )
        return config
