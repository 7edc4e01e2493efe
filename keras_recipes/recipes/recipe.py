"""`Recipe`: a serializable bundle of training choices, with presets."""

import copy
import json
import math

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.recipes.presets import PRESETS
from keras_recipes.recipes.presets import preset_config
from keras_recipes.utils.labels import class_ids
from keras_recipes.utils.seeding import derive_seed
from keras_recipes.utils.validation import check_choice
from keras_recipes.utils.validation import check_number

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "cosine", "onecycle")
LOSSES = ("crossentropy", "focal", "poly")
PLACEMENTS = ("model", "data")


def _serialize(obj):
    return keras.saving.serialize_keras_object(obj)


def _deserialize(config):
    return keras.saving.deserialize_keras_object(config)


def _fresh_layer(layer, seed, index):
    """A copy of an augmentation layer for one `fit`; with a recipe seed, its
    seed is derived from it (the layer's own seed is used otherwise)."""
    config = _serialize(layer)
    if seed is not None and "seed" in config.get("config", {}):
        config = dict(config)
        config["config"] = dict(config["config"],
                                seed=derive_seed(seed, index))
    return _deserialize(config)


@keras_recipes_export("keras_recipes.recipes.Recipe")
class Recipe:
    """A serializable bundle of training choices: `compile` and `fit`.

    A recipe holds what usually takes a page of glue code: the
    augmentations, the loss (with label smoothing), the optimizer and
    weight decay, the learning-rate schedule (with warmup), weight
    averaging (EMA or SWA), epochs, batch size and extra callbacks. Every
    piece is a keras-recipes (or Keras) object, so a recipe saves to JSON
    (`to_json`) and comes back identical (`from_json`).

    `recipe.fit(model, x, y, validation_data=...)` compiles the model
    (the schedule needs the number of steps, which depends on the data),
    one-hot encodes the labels (mixing augmentations produce soft targets,
    so training and validation use the same format), feeds NumPy arrays
    through `keras_recipes.data.batches` with the augmentations, adds
    `keras_recipes.callbacks.LearningRateLogger` (so `History` and the
    trackers see the learning rate), `ModelEMA` or `SWA` when asked, and
    returns Keras's `History`. Trackers passed in `callbacks` are started
    before training and marked `FAILED` if training raises. The model is
    left compiled for one-hot targets: evaluate it with
    `keras_recipes.evaluation.evaluate` (any label format) or pass one-hot
    labels to `model.evaluate`.

    Presets (`Recipe.from_preset(name)`), documented as recipe cards in
    `docs/recipes/recipes.md`:

    - `"baseline"`: Adam 1e-3, constant rate, cross-entropy, no
      augmentation, no averaging.
    - `"standard"`: AdamW 2e-3 with weight decay 0.05, 1 warmup epoch then
      cosine decay, label smoothing 0.1, horizontal flips and random
      erasing (p=0.25).
    - `"strong"`: `"standard"` plus MixUp/CutMix on half of the batches
      and an EMA of the weights (decay 0.999) used for validation.

    Args:
        name: str, a label for the recipe. Defaults to `"custom"`.
        optimizer: `"adam"`, `"adamw"` or `"sgd"` (momentum 0.9, Nesterov).
            Defaults to `"adam"`.
        learning_rate: float, the peak learning rate. Defaults to `1e-3`.
        weight_decay: float, decoupled weight decay (AdamW / SGD). Defaults
            to `0.0`.
        lookahead: bool, wrap the optimizer in
            `keras_recipes.optimizers.Lookahead`. Defaults to `False`.
        schedule: `"constant"`, `"cosine"` (`WarmupCosineDecay`) or
            `"onecycle"` (`OneCycle`). Defaults to `"constant"`.
        warmup_epochs: float, linear warmup length for `"cosine"` (and a
            `Warmup` in front of `"constant"`). Defaults to `0.0`.
        loss: `"crossentropy"` (`LabelSmoothingCrossentropy`), `"focal"`
            (`FocalLoss`), `"poly"` (`PolyLoss`) or a `keras.losses.Loss`.
            Defaults to `"crossentropy"`.
        label_smoothing: float in [0, 1), passed to the loss. Defaults to
            `0.0`.
        augment: a list of augmentation layers (`keras_recipes.augment` or
            Keras preprocessing layers), or `None`. Defaults to `None`.
        ema_decay: float or `None`, evaluate and keep an exponential moving
            average of the weights (`keras_recipes.callbacks.ModelEMA`).
            Defaults to `None`.
        swa_start_epoch: int or `None`, average the weights from this epoch
            on (`keras_recipes.callbacks.SWA`). Defaults to `None`.
        epochs: int. Defaults to `15`.
        batch_size: int. Defaults to `128`.
        callbacks: a list of extra serializable Keras callbacks, or `None`.
            Defaults to `None`.
        seed: int or `None`, seeds the shuffling and the augmentations of
            `fit`, in both placements: each augmentation layer gets a seed
            derived from it, and with `"data"` placement every batch's
            draws derive from `(seed, epoch, batch)`. Defaults to `None`.
        augment_placement: `"model"` runs the augmentations inside the
            compiled train step (`keras_recipes.augment.AugmentedModel`,
            jit/XLA, on the accelerator); `"data"` runs them on each NumPy
            batch (`keras_recipes.data.batches`). Defaults to `"model"`.

    Example:

    >>> recipe = keras_recipes.recipes.Recipe.from_preset("baseline")
    >>> recipe.optimizer, recipe.schedule, recipe.augment
    ('adam', 'constant', None)
    >>> same = keras_recipes.recipes.Recipe.from_json(recipe.to_json())
    >>> same.get_config() == recipe.get_config()
    True
    >>> model = keras.Sequential([keras.Input((8, 8, 1)),
    ...     keras.layers.Flatten(), keras.layers.Dense(3, "softmax")])
    >>> x = np.random.default_rng(0).uniform(size=(32, 8, 8, 1))
    >>> y = np.arange(32) % 3
    >>> history = recipe.fit(model, x, y, epochs=2, verbose=0)
    >>> len(history.history["loss"]), "learning_rate" in history.history
    (2, True)

    Reference:
        - [Wightman et al., 2021, ResNet strikes back](
          https://arxiv.org/abs/2110.00476)
    """

    def __init__(self, name="custom", optimizer="adam", learning_rate=1e-3,
                 weight_decay=0.0, lookahead=False, schedule="constant",
                 warmup_epochs=0.0, loss="crossentropy", label_smoothing=0.0,
                 augment=None, ema_decay=None, swa_start_epoch=None,
                 epochs=15, batch_size=128, callbacks=None, seed=None,
                 augment_placement="model"):
        if not isinstance(name, str) or not name:
            raise TypeError(
                f"Expected `name` to be a non-empty string. Received: "
                f"name={name!r}"
            )
        self.name = name
        self.optimizer = check_choice("optimizer", optimizer, OPTIMIZERS)
        self.learning_rate = check_number(
            "learning_rate", learning_rate, min_value=0.0,
            min_inclusive=False,
        )
        self.weight_decay = check_number("weight_decay", weight_decay,
                                         min_value=0.0)
        if not isinstance(lookahead, bool):
            raise TypeError(
                f"Expected `lookahead` to be a bool. Received: "
                f"lookahead={lookahead!r}"
            )
        self.lookahead = lookahead
        self.schedule = check_choice("schedule", schedule, SCHEDULES)
        self.warmup_epochs = check_number("warmup_epochs", warmup_epochs,
                                          min_value=0.0)
        if isinstance(loss, dict):
            loss = _deserialize(loss)
        if isinstance(loss, str):
            check_choice("loss", loss, LOSSES)
        elif not isinstance(loss, keras.losses.Loss):
            raise TypeError(
                f"Expected `loss` to be one of {list(LOSSES)} or a "
                f"keras.losses.Loss. Received: loss={loss!r}"
            )
        self.loss = loss
        self.label_smoothing = check_number(
            "label_smoothing", label_smoothing, min_value=0.0, max_value=1.0,
            max_inclusive=False,
        )
        self.augment = self._layers(augment)
        self.ema_decay = check_number(
            "ema_decay", ema_decay, min_value=0.0, max_value=1.0,
            min_inclusive=False, max_inclusive=False, allow_none=True,
        )
        self.swa_start_epoch = check_number(
            "swa_start_epoch", swa_start_epoch, min_value=0, integer=True,
            allow_none=True,
        )
        if self.ema_decay is not None and self.swa_start_epoch is not None:
            raise ValueError(
                "Expected at most one of `ema_decay` and `swa_start_epoch`. "
                f"Received: ema_decay={ema_decay}, "
                f"swa_start_epoch={swa_start_epoch}"
            )
        self.epochs = check_number("epochs", epochs, min_value=1,
                                   integer=True)
        self.batch_size = check_number("batch_size", batch_size, min_value=1,
                                       integer=True)
        self.callbacks = self._callbacks(callbacks)
        self.seed = check_number("seed", seed, min_value=0, integer=True,
                                 allow_none=True)
        self.augment_placement = check_choice(
            "augment_placement", augment_placement, PLACEMENTS
        )

    @staticmethod
    def _layers(augment):
        if augment is None:
            return None
        if not isinstance(augment, (list, tuple)):
            augment = [augment]
        layers = []
        for layer in augment:
            if isinstance(layer, dict):
                layer = _deserialize(layer)
            if not isinstance(layer, keras.layers.Layer):
                raise TypeError(
                    "Expected `augment` to hold augmentation layers. "
                    f"Received: augment item {layer!r}"
                )
            layers.append(layer)
        return layers or None

    @staticmethod
    def _callbacks(callbacks):
        if callbacks is None:
            return None
        if not isinstance(callbacks, (list, tuple)):
            callbacks = [callbacks]
        out = []
        for callback in callbacks:
            if isinstance(callback, dict):
                callback = _deserialize(callback)
            if not isinstance(callback, keras.callbacks.Callback):
                raise TypeError(
                    "Expected `callbacks` to hold keras.callbacks.Callback "
                    f"objects. Received: callbacks item {callback!r}"
                )
            if not hasattr(callback, "get_config"):
                raise TypeError(
                    "Expected serializable callbacks (with `get_config`). "
                    f"Received: {type(callback).__name__}"
                )
            out.append(callback)
        return out or None

    # --------------------------------------------------------------- presets
    @classmethod
    def from_preset(cls, name, **overrides):
        """Build a preset recipe: `"baseline"`, `"standard"` or `"strong"`.

        Keyword arguments override the preset's values (e.g. `epochs=5`).
        """
        check_choice("name", name, PRESETS)
        config = preset_config(name)
        config.update(overrides)
        return cls(**config)

    # -------------------------------------------------------------- building
    def steps_per_epoch(self, num_samples):
        return max(1, math.ceil(num_samples / self.batch_size))

    def build_schedule(self, steps_per_epoch):
        """The learning rate: a float or a `LearningRateSchedule`."""
        from keras_recipes import schedules

        total = max(1, self.epochs * steps_per_epoch)
        warmup = int(round(self.warmup_epochs * steps_per_epoch))
        if self.schedule == "cosine":
            return schedules.WarmupCosineDecay(
                peak_learning_rate=self.learning_rate, total_steps=total,
                warmup_steps=min(warmup, total - 1),
            )
        if self.schedule == "onecycle":
            return schedules.OneCycle(
                max_learning_rate=self.learning_rate, total_steps=total,
            )
        if warmup:
            return schedules.Warmup(self.learning_rate, warmup_steps=warmup)
        return self.learning_rate

    def build_optimizer(self, steps_per_epoch=None):
        """A fresh optimizer (with its schedule) for `steps_per_epoch`."""
        if steps_per_epoch is None:
            if self.schedule != "constant" or self.warmup_epochs:
                raise ValueError(
                    f"Recipe schedule {self.schedule!r} with warmup needs "
                    "the number of steps. Expected `steps_per_epoch`. "
                    "Received: steps_per_epoch=None"
                )
            steps_per_epoch = 1
        lr = self.build_schedule(steps_per_epoch)
        if self.optimizer == "adam":
            if self.weight_decay:
                optimizer = keras.optimizers.Adam(
                    lr, weight_decay=self.weight_decay
                )
            else:
                optimizer = keras.optimizers.Adam(lr)
        elif self.optimizer == "adamw":
            optimizer = keras.optimizers.AdamW(
                lr, weight_decay=self.weight_decay
            )
        else:
            optimizer = keras.optimizers.SGD(
                lr, momentum=0.9, nesterov=True,
                weight_decay=self.weight_decay or None,
            )
        if self.lookahead:
            from keras_recipes import optimizers

            optimizer = optimizers.Lookahead(optimizer)
        return optimizer

    def build_loss(self):
        """The loss object (accepts integer, one-hot and soft labels)."""
        from keras_recipes import losses

        if isinstance(self.loss, keras.losses.Loss):
            return self.loss.__class__.from_config(self.loss.get_config())
        if self.loss == "crossentropy":
            return losses.LabelSmoothingCrossentropy(
                label_smoothing=self.label_smoothing
            )
        if self.loss == "focal":
            return losses.FocalLoss(label_smoothing=self.label_smoothing)
        return losses.PolyLoss(label_smoothing=self.label_smoothing)

    def build_callbacks(self):
        """The recipe's callbacks: learning-rate logging, EMA or SWA, and
        the extra callbacks."""
        from keras_recipes import callbacks

        out = [callbacks.LearningRateLogger()]
        if self.ema_decay is not None:
            out.append(callbacks.ModelEMA(decay=self.ema_decay))
        if self.swa_start_epoch is not None:
            out.append(callbacks.SWA(start_epoch=self.swa_start_epoch))
        for callback in self.callbacks or []:
            out.append(_deserialize(_serialize(callback)))
        return out

    def compile(self, model, steps_per_epoch=None, metrics=("accuracy",),
                jit_compile="auto"):
        """Compile `model` with the recipe's optimizer, schedule and loss.

        Args:
            model: a `keras.Model` with a probability output.
            steps_per_epoch: int, needed by schedules and warmup.
                Defaults to `None`.
            metrics: metrics passed to `model.compile`. Defaults to
                `("accuracy",)`.
            jit_compile: passed to `model.compile`. Defaults to `"auto"`.

        Returns:
            The model.
        """
        if not isinstance(model, keras.Model):
            raise TypeError(
                "Expected `model` to be a keras.Model. Received: model of "
                f"type {type(model).__name__}"
            )
        check_number("steps_per_epoch", steps_per_epoch, min_value=1,
                     integer=True, allow_none=True)
        model.compile(
            optimizer=self.build_optimizer(steps_per_epoch),
            loss=self.build_loss(),
            metrics=list(metrics),
            jit_compile=jit_compile,
        )
        return model

    def _one_hot(self, y, num_classes, arg):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == num_classes and num_classes > 1:
            return y.astype("float32")
        ids = class_ids(y, num_classes, name=arg)
        return np.eye(num_classes, dtype="float32")[ids]

    def fit(self, model, x, y, validation_data=None, callbacks=None,
            epochs=None, verbose="auto", compile=True, jit_compile="auto",
            workers=None):
        """Train `model` with the recipe; returns Keras's `History`.

        Args:
            model: a `keras.Model` whose output has one probability per
                class.
            x: NumPy array of inputs (images for the augmentations).
            y: integer labels `(N,)` or one-hot / soft labels `(N, C)`.
            validation_data: `(x_val, y_val)` or `None`. Defaults to `None`.
            callbacks: extra Keras callbacks (e.g. trackers,
                `BackupAndRestore`), run after the recipe's own. Defaults to
                `None`.
            epochs: int overriding the recipe's epochs (the schedule is
                sized for it). Defaults to `None`.
            verbose: passed to `model.fit`. Defaults to `"auto"`.
            compile: whether to compile the model with the recipe first
                (with `"model"` placement and augmentations the wrapper is
                always compiled). Defaults to `True`.
            jit_compile: passed to `model.compile`; `False` trains
                eagerly. Defaults to `"auto"`.
            workers: threads building the batches
                (`keras_recipes.data.batches`); any number gives the same
                batches for a given `seed`. Defaults to `None` (the
                `data.batches` default).

        Returns:
            The `keras.callbacks.History`.
        """
        from keras_recipes import data as data_lib
        from keras_recipes.tracking.base import Tracker
        from keras_recipes.tracking.base import end_status

        recipe = self
        if epochs is not None:
            check_number("epochs", epochs, min_value=1, integer=True)
            recipe = Recipe.from_config(self.get_config())
            recipe.epochs = epochs
        x = np.asarray(x)
        num_classes = int(model.output_shape[-1])
        y = self._one_hot(y, num_classes, "y")
        if len(x) != len(y):
            raise ValueError(
                "Expected as many labels as inputs. Received: "
                f"{len(x)} inputs and {len(y)} labels"
            )
        steps = recipe.steps_per_epoch(len(x))
        validation = None
        if validation_data is not None:
            x_val, y_val = validation_data
            validation = (
                np.asarray(x_val),
                self._one_hot(y_val, num_classes, "validation_data[1]"),
            )
        layers = [
            _fresh_layer(layer, recipe.seed, i)
            for i, layer in enumerate(recipe.augment or [])
        ]
        trained = model
        if layers and recipe.augment_placement == "model":
            from keras_recipes.augment import AugmentedModel

            trained = AugmentedModel(model, augment=layers)
            trained.build(model.input_shape)  # BackupAndRestore needs it
            layers = []
        if compile or trained is not model:
            recipe.compile(trained, steps_per_epoch=steps,
                           jit_compile=jit_compile)
        dataset = data_lib.batches(
            x, y, recipe.batch_size, augment=layers or None, shuffle=True,
            seed=recipe.seed,
            **({} if workers is None else {"workers": workers}),
        )
        all_callbacks = recipe.build_callbacks() + list(callbacks or [])
        trackers = [
            c for c in all_callbacks
            if isinstance(c, Tracker) and not c.active
        ]
        for tracker in trackers:
            tracker.start()
            tracker.log_params({"recipe": recipe.get_config()})
        try:
            # `shuffle=False`: the batches are already shuffled with the
            # seed; Keras would also visit them in an unseeded order.
            history = trained.fit(
                dataset, epochs=recipe.epochs, validation_data=validation,
                callbacks=all_callbacks, verbose=verbose, shuffle=False,
            )
        except BaseException as e:
            for tracker in trackers:
                tracker.end(end_status(e))
            raise
        for tracker in trackers:
            tracker.end("FINISHED")
        if trained is not model and compile:
            # Leave the user's model compiled too (same loss and metrics),
            # so `model.evaluate` works on it directly.
            recipe.compile(model, steps_per_epoch=steps,
                           jit_compile=jit_compile)
        return history

    # ------------------------------------------------------- serialization
    def get_config(self):
        loss = self.loss
        if isinstance(loss, keras.losses.Loss):
            loss = _serialize(loss)
        return {
            "name": self.name,
            "optimizer": self.optimizer,
            "learning_rate": self.learning_rate,
            "weight_decay": self.weight_decay,
            "lookahead": self.lookahead,
            "schedule": self.schedule,
            "warmup_epochs": self.warmup_epochs,
            "loss": loss,
            "label_smoothing": self.label_smoothing,
            "augment": None if self.augment is None else [
                _serialize(layer) for layer in self.augment
            ],
            "ema_decay": self.ema_decay,
            "swa_start_epoch": self.swa_start_epoch,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "callbacks": None if self.callbacks is None else [
                _serialize(c) for c in self.callbacks
            ],
            "seed": self.seed,
            "augment_placement": self.augment_placement,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**copy.deepcopy(config))

    def to_json(self, path=None, indent=2):
        """The recipe as JSON (Keras's serialization format); written to
        `path` when given."""
        text = json.dumps(_serialize(self), indent=indent)
        if path is not None:
            with open(path, "w") as f:
                f.write(text + "\n")
        return text

    @classmethod
    def from_json(cls, text_or_path):
        """Load a recipe from a JSON string or a `.json` file.

        Accepts what `to_json` writes and also a bare config dict (the
        arguments of `Recipe`).
        """
        if not isinstance(text_or_path, str):
            raise TypeError(
                "Expected a JSON string or a path. Received: "
                f"{type(text_or_path).__name__}"
            )
        text = text_or_path
        if not text.lstrip().startswith("{"):
            try:
                with open(text_or_path) as f:
                    text = f.read()
            except OSError as e:
                raise ValueError(
                    "Expected a JSON string or an existing recipe file. "
                    f"Received: {text_or_path!r} ({e.strerror})"
                ) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(
                f"Expected valid recipe JSON. Received: malformed JSON "
                f"({e.msg} at line {e.lineno} column {e.colno})"
            ) from None
        if not isinstance(data, dict):
            raise ValueError(
                "Expected a JSON object. Received: "
                f"{type(data).__name__}"
            )
        config = data.get("config") if "class_name" in data else data
        if not isinstance(config, dict):
            raise ValueError(
                "Expected a recipe config object. Received: "
                f"config={config!r}"
            )
        unknown = sorted(set(config) - set(cls().get_config()))
        if unknown:
            raise ValueError(
                f"Expected recipe fields among {sorted(cls().get_config())}. "
                f"Received unknown fields: {unknown}"
            )
        return cls.from_config(config)

    def __repr__(self):
        return f"Recipe(name={self.name!r}, epochs={self.epochs})"


def as_recipe(recipe, default="baseline"):
    """A `Recipe` from a `Recipe`, a preset name, or `None` (the `default`
    preset). Anything else raises a `TypeError` naming `recipe`; an unknown
    preset name raises `Recipe.from_preset`'s `ValueError`."""
    if recipe is None:
        recipe = default
    if isinstance(recipe, str):
        recipe = Recipe.from_preset(recipe)
    if not isinstance(recipe, Recipe):
        raise TypeError(
            "Expected `recipe` to be a keras_recipes.recipes.Recipe, a "
            "preset name or None. Received: recipe of type "
            f"{type(recipe).__name__}"
        )
    return recipe
