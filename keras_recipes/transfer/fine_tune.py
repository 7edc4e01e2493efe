"""Two-phase fine-tuning (fastai's `fine_tune`)."""

import math

import keras

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.schedules.one_cycle import OneCycle
from keras_recipes.transfer.freeze import layer_position
from keras_recipes.transfer.layerwise import discriminative_optimizer
from keras_recipes.transfer.layerwise import make_optimizer
from keras_recipes.utils.layers import batch_norm_layers
from keras_recipes.utils.validation import check_number


def _steps_per_epoch(train_data, batch_size, steps_per_epoch):
    if steps_per_epoch is not None:
        return steps_per_epoch
    if isinstance(train_data, (tuple, list)):
        n = len(train_data[0])
        return math.ceil(n / (batch_size or 32))
    if hasattr(train_data, "__len__"):
        return len(train_data)
    cardinality = getattr(train_data, "cardinality", None)
    if cardinality is not None:
        value = int(keras.ops.convert_to_numpy(cardinality()))
        if value > 0:
            return value
    raise ValueError(
        "Expected `steps_per_epoch` for data of unknown length (needed for "
        "the one-cycle schedules). Received: steps_per_epoch=None"
    )


def _fit(model, train_data, epochs, batch_size, fit_kwargs):
    if isinstance(train_data, (tuple, list)):
        return model.fit(*train_data, batch_size=batch_size, epochs=epochs,
                         **fit_kwargs)
    return model.fit(train_data, epochs=epochs, **fit_kwargs)


@keras_recipes_export("keras_recipes.transfer.fine_tune")
def fine_tune(model, backbone, train_data, head_epochs=1, full_epochs=3, *,
              loss, metrics=None, learning_rate=2e-3, lr_mult=100.0,
              optimizer="adam", batch_size=None, validation_data=None,
              unfreeze_from=None, include_batchnorm=False,
              steps_per_epoch=None, callbacks=None, jit_compile="auto",
              verbose="auto"):
    """Fine-tune a pretrained backbone in two phases, like fastai's
    `fine_tune`.

    1. **Head.** `backbone` is frozen (its BatchNormalization layers in
       inference mode) and the rest of `model` trains for `head_epochs`
       with a one-cycle schedule peaking at `learning_rate` (warmup over
       99% of the phase, as fastai does).
    2. **Everything.** `backbone` is unfrozen from `unfreeze_from` on
       (BatchNormalization stays frozen unless `include_batchnorm`) and
       the whole model trains for `full_epochs` with one-cycle schedules
       (`pct_start=0.3`) peaking at `learning_rate / 2` for the head and
       `learning_rate / 2 / lr_mult` for the backbone (discriminative
       rates, through a `keras.optimizers.MultiOptimizer`).

    The model is compiled at the start of each phase with `loss` and
    `metrics`; it is left compiled with the phase-2 optimizer.

    Args:
        model: The full `keras.Model` (backbone + head).
        backbone: The pretrained part of `model` (a nested model or
            layer), frozen in phase 1.
        train_data: `(x, y)` arrays, a `tf.data.Dataset`, a
            `keras.utils.PyDataset` or another iterable `fit` accepts.
        head_epochs: Epochs of phase 1 (`0` skips it). Defaults to `1`.
        full_epochs: Epochs of phase 2 (`0` skips it). Defaults to `3`.
        loss: Loss for `compile`.
        metrics: Metrics for `compile`. Defaults to `None`.
        learning_rate: Peak rate of the head in phase 1. Defaults to `2e-3`.
        lr_mult: Ratio between head and backbone rates in phase 2.
            Defaults to `100.0`.
        optimizer: Optimizer name or instance to copy. Defaults to `"adam"`.
        batch_size: Batch size for array data. Defaults to `None` (32).
        validation_data: Passed to `fit`. Defaults to `None`.
        unfreeze_from: Where to start unfreezing `backbone` in phase 2, as
            for `unfreeze` (`None`: all of it). Defaults to `None`.
        include_batchnorm: Train BatchNormalization layers in phase 2.
            Defaults to `False`.
        steps_per_epoch: Batches per epoch, needed only when it cannot be
            inferred from `train_data`. Defaults to `None`.
        callbacks: Callbacks for both `fit` calls. Defaults to `None`.
        jit_compile: Passed to `compile`. Defaults to `"auto"`.
        verbose: Passed to `fit`. Defaults to `"auto"`.

    Returns:
        A dict `{"head": History or None, "full": History or None}`.

    Example:

    >>> backbone = keras.Sequential(
    ...     [keras.Input((4,)), keras.layers.Dense(8, activation="relu")],
    ...     name="backbone")
    >>> inputs = keras.Input((4,))
    >>> model = keras.Model(inputs, keras.layers.Dense(2)(backbone(inputs)))
    >>> x, y = np.random.rand(32, 4), np.random.randint(0, 2, 32)
    >>> histories = keras_recipes.transfer.fine_tune(
    ...     model, backbone, (x, y), head_epochs=1, full_epochs=1,
    ...     loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    ...     verbose=0)
    >>> sorted(histories), backbone.trainable
    (['full', 'head'], True)

    Reference:
        - [Howard & Gugger, fastai (2020)](https://arxiv.org/abs/2002.04688)
        - [Howard & Ruder, 2018 (ULMFiT)](https://arxiv.org/abs/1801.06146)
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"Expected `model` to be a keras.Model. Received: model={model!r}"
        )
    if not isinstance(backbone, keras.layers.Layer):
        raise TypeError(
            "Expected `backbone` to be a keras layer or model inside `model`."
            f" Received: backbone={backbone!r}"
        )
    backbone_ids = {id(v) for v in backbone.weights}
    if not backbone_ids or not backbone_ids <= {id(v) for v in model.weights}:
        raise ValueError(
            "Expected `backbone` to be a built part of `model` (its weights "
            f"among the model's). Received: backbone={backbone.name!r}"
        )
    check_number("head_epochs", head_epochs, min_value=0, integer=True)
    check_number("full_epochs", full_epochs, min_value=0, integer=True)
    check_number("learning_rate", learning_rate, min_value=0.0,
                 min_inclusive=False)
    check_number("lr_mult", lr_mult, min_value=1.0)
    steps = _steps_per_epoch(train_data, batch_size, steps_per_epoch)
    fit_kwargs = dict(validation_data=validation_data,
                      callbacks=list(callbacks or []), verbose=verbose)
    if steps_per_epoch is not None:
        fit_kwargs["steps_per_epoch"] = steps_per_epoch
    histories = {"head": None, "full": None}

    if head_epochs:
        backbone.trainable = False  # recursive: BN layers in inference mode
        total = max(head_epochs * steps, 2)
        schedule = OneCycle(learning_rate, total, pct_start=0.99)
        model.compile(optimizer=make_optimizer(optimizer, schedule),
                      loss=loss, metrics=metrics, jit_compile=jit_compile)
        histories["head"] = _fit(model, train_data, head_epochs, batch_size,
                                 fit_kwargs)

    if full_epochs:
        backbone.trainable = True  # recursive
        if unfreeze_from is not None:
            if not isinstance(backbone, keras.Model):
                raise ValueError(
                    "Expected a keras.Model `backbone` to unfreeze from a "
                    f"layer. Received: unfreeze_from={unfreeze_from!r} with "
                    f"a {type(backbone).__name__} backbone"
                )
            start = layer_position(backbone, unfreeze_from, "unfreeze_from")
            for layer in backbone.layers[:start]:
                layer.trainable = False
        if not include_batchnorm:
            for layer in batch_norm_layers(backbone):
                layer.trainable = False
        total = max(full_epochs * steps, 4)
        body = [v for v in model.trainable_variables
                if id(v) in backbone_ids]
        head = [v for v in model.trainable_variables
                if id(v) not in backbone_ids]
        optimizers = [
            make_optimizer(optimizer, OneCycle(learning_rate / 2 / lr_mult,
                                               total, pct_start=0.3)),
            make_optimizer(optimizer, OneCycle(learning_rate / 2, total,
                                               pct_start=0.3)),
        ]
        model.compile(optimizer=discriminative_optimizer([body, head],
                                                         optimizers),
                      loss=loss, metrics=metrics, jit_compile=jit_compile)
        histories["full"] = _fit(model, train_data, full_epochs, batch_size,
                                 fit_kwargs)
    return histories
