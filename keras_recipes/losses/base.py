"""`RecipeLoss`: a `keras.losses.Loss` whose `call` delegates to a
functional core, with a `get_config` built from the constructor arguments."""

import keras

from keras_recipes.utils.validation import check_number


class RecipeLoss(keras.losses.Loss):
    """Base class: subclasses set `fn` (the per-sample functional form) and
    `_fn_args` (the names of the attributes passed to it as keywords)."""

    fn = None
    _fn_args = ()

    def __init__(self, reduction="sum_over_batch_size", name=None,
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        kwargs = {k: getattr(self, k) for k in self._fn_args}
        return type(self).fn(y_true, y_pred, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update({k: getattr(self, k) for k in self._fn_args})
        return config


def check_label_smoothing(label_smoothing):
    return float(
        check_number(
            "label_smoothing", label_smoothing, min_value=0.0, max_value=1.0,
            max_inclusive=False,
        )
    )
