"""`Distiller`: knowledge distillation (Hinton et al., 2015) with optional
feature distillation (FitNets, Romero et al., 2015) as a `keras.Model`."""

import copy

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.backend.trainers import augmented_train_step
from keras_recipes.losses.distillation import DistillationLoss
from keras_recipes.losses.distillation import check_flag
from keras_recipes.utils.validation import check_number

LABELS_KEY = "labels"
TEACHER_KEY = "teacher"


def _weighted_mean(values, sample_weight):
    """Keras's `"sum_over_batch_size"`: `sum(w * l) / N`."""
    values = ops.convert_to_tensor(values)
    if sample_weight is None:
        return ops.mean(values)
    weights = ops.cast(ops.reshape(sample_weight, (-1,)), values.dtype)
    return ops.sum(values * weights) / ops.cast(ops.shape(values)[0],
                                                values.dtype)


def _check_model(name, model, allow_none=False):
    if model is None and allow_none:
        return None
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"Expected `{name}` to be a keras.Model. Received: {name}="
            f"{model!r} of type {type(model).__name__}"
        )
    return model


def _check_features(features):
    if features is None:
        return []
    if isinstance(features, tuple) and len(features) == 2 and all(
            isinstance(f, str) for f in features):
        features = [features]
    pairs = []
    for item in features if isinstance(features, (list, tuple)) else [None]:
        if (not isinstance(item, (list, tuple)) or len(item) != 2
                or not all(isinstance(n, str) for n in item)):
            raise ValueError(
                "Expected `features` to be a list of (teacher_layer_name, "
                f"student_layer_name) pairs. Received: features={features!r}"
            )
        pairs.append((item[0], item[1]))
    if not pairs:
        raise ValueError(
            "Expected `features` to hold at least one (teacher_layer_name, "
            "student_layer_name) pair, or to be None. Received: "
            f"features={features!r}"
        )
    return pairs


def _layer_output(model, role, layer_name):
    try:
        layer = model.get_layer(layer_name)
    except ValueError:
        names = [layer.name for layer in model.layers]
        raise ValueError(
            f"Expected `features` to name a layer of the {role}. Received: "
            f"{layer_name!r}; the {role}'s layers are {names}"
        ) from None
    try:
        return layer.output
    except (AttributeError, ValueError):
        raise ValueError(
            f"Expected the {role} to be a Functional or Sequential model "
            f"built on a `keras.Input` (its layer {layer_name!r} needs a "
            "symbolic output for feature distillation)."
        ) from None


def _model_input(model):
    inputs = model.inputs
    return inputs[0] if len(inputs) == 1 else inputs


def _resolve_student_loss(student_loss):
    if student_loss is None:
        return None
    try:
        loss = keras.losses.get(student_loss)
    except (ValueError, TypeError):
        loss = None
    if loss is None or not callable(loss):
        raise ValueError(
            "Expected `student_loss` to be a Keras loss, a loss name or a "
            f"callable. Received: student_loss={student_loss!r}"
        )
    return loss


@keras_recipes_export("keras_recipes.distillation.Distiller")
class Distiller(keras.Model):
    """Train a student model to match a teacher (knowledge distillation).

    The loss on each batch is Hinton et al.'s (2015)

    `alpha * T^2 * KL(softmax(t / T) || softmax(s / T))
    + (1 - alpha) * student_loss(y, s)`

    with `t` and `s` the teacher's and student's logits (probabilities are
    turned into logits by `log(clip(p, epsilon, 1))`, see
    `teacher_from_logits` / `student_from_logits`), plus, for each
    `features` pair, `feature_weight * MSE(projection(f_s), f_t)`: the
    student's intermediate feature, mapped to the teacher's width by a
    learned linear projection (a `Dense` on the channel axis, which is a
    1x1 convolution for images), regressed on the teacher's (FitNets,
    Romero et al., 2015). `sample_weight` weights every term the way Keras
    losses do (`sum(w * l) / batch_size`), and the regularization losses of
    the student are added as in `keras.Model`.

    The teacher runs with `training=False` (batch-norm statistics frozen,
    no dropout) and is frozen (`teacher.trainable = False`): only the
    student and the projections are trained. The teacher sees exactly the
    batch the student sees, so a mixing augmentation (`MixUp`, `CutMix`)
    in the data pipeline (`keras_recipes.data.batches(..., augment=...)`)
    or in `augment` here (run inside the compiled train step, as in
    `keras_recipes.augment.AugmentedModel`) mixes the teacher's input too.

    `student_loss` is the hard-label loss. With `None` (the default) the
    `loss` given to `compile` is used, so a `keras_recipes.recipes.Recipe`
    compiles the Distiller as it compiles any model; give at least one. The
    model's output, `predict` and the metrics are the student's, and
    `distiller.student` saves and loads as a plain Keras model. The logs
    get `student_loss`, `distillation_loss` and, with `features`,
    `feature_loss` (unweighted batch means).

    Teacher cache: without augmentation the teacher's outputs are the same
    every epoch, so compute them once with
    `keras_recipes.distillation.cache_teacher` and build the Distiller with
    `teacher=None`; then train on `y={"labels": y, "teacher": cached}`
    (`"teacher"` holds the cached outputs, logits or probabilities as
    `teacher_from_logits` says). Each step then costs about the student's
    forward and backward pass. Feature distillation needs the live teacher.

    Args:
        teacher: the trained teacher `keras.Model`, or `None` to read
            cached teacher outputs from `y["teacher"]`.
        student: the `keras.Model` to train.
        temperature: softmax temperature `T > 0`. Defaults to `4.0`.
        alpha: weight in `[0, 1]` of the distillation term; `1 - alpha`
            weights the hard-label loss. Defaults to `0.9`.
        student_loss: the hard-label loss (a `keras.losses.Loss`, a name
            or a function of `(y_true, y_pred)`), or `None` for the loss
            given to `compile`. Defaults to `None`.
        teacher_from_logits: whether the teacher outputs logits (else
            probabilities). Defaults to `True`.
        student_from_logits: whether the student outputs logits (else
            probabilities). It only affects the distillation term: the
            hard-label loss is configured on its own (e.g.
            `from_logits=True`). Defaults to `True`.
        features: `None` or a list of `(teacher_layer_name,
            student_layer_name)` pairs for feature distillation; both models
            must be Functional or Sequential and the paired features must
            have the same rank and spatial size. Defaults to `None`.
        feature_weight: weight of each feature term: a number `>= 0` for
            all pairs or a list with one per pair. Defaults to `1.0`.
        augment: `None`, or a layer or list of layers applied to each
            training batch inside the train step before the student and the
            teacher see it (label-mixing layers mix `y` too, as in
            `keras_recipes.augment.AugmentedModel`). Defaults to `None`.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:

    >>> teacher = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> student = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> distiller = keras_recipes.distillation.Distiller(
    ...     teacher, student, temperature=2.0, alpha=0.5,
    ...     student_loss=keras.losses.SparseCategoricalCrossentropy(
    ...         from_logits=True))
    >>> distiller.compile(optimizer="adam", metrics=["accuracy"])
    >>> x = np.random.default_rng(0).normal(size=(16, 4))
    >>> history = distiller.fit(x, np.arange(16) % 3, epochs=1, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'distillation_loss', 'loss', 'student_loss']
    >>> distiller.student.predict(x, verbose=0).shape
    (16, 3)

    Reference:
        - [Hinton et al., 2015](https://arxiv.org/abs/1503.02531)
        - [Romero et al., 2015 (FitNets)](https://arxiv.org/abs/1412.6550)
    """

    def __init__(self, teacher, student, temperature=4.0, alpha=0.9,
                 student_loss=None, teacher_from_logits=True,
                 student_from_logits=True, features=None, feature_weight=1.0,
                 augment=None, **kwargs):
        kwargs.setdefault("name", "distiller")
        super().__init__(**kwargs)
        self.teacher = _check_model("teacher", teacher, allow_none=True)
        self.student = _check_model("student", student)
        self.alpha = float(check_number("alpha", alpha, min_value=0.0,
                                        max_value=1.0))
        self.teacher_from_logits = check_flag("teacher_from_logits",
                                              teacher_from_logits)
        self.student_from_logits = check_flag("student_from_logits",
                                              student_from_logits)
        self.student_loss = student_loss
        self._student_loss_fn = _resolve_student_loss(student_loss)
        self._soft_loss = DistillationLoss(
            temperature=temperature, from_logits=student_from_logits,
            teacher_from_logits=teacher_from_logits,
        )
        self.temperature = self._soft_loss.temperature
        self.features = _check_features(features)
        if self.features and self.teacher is None:
            raise ValueError(
                "Expected a `teacher` model for feature distillation: cached "
                "teacher outputs hold the logits only. Received: "
                f"teacher=None, features={features!r}"
            )
        self.feature_weight = self._check_feature_weight(feature_weight)
        self.augment = self._check_augment(augment)
        if self.teacher is not None:
            self.teacher.trainable = False
            self._check_compatible()
        self._build_feature_models()
        self._stashed_features = ()
        self.student_loss_tracker = keras.metrics.Mean(name="student_loss")
        self.distillation_loss_tracker = keras.metrics.Mean(
            name="distillation_loss")
        self.feature_loss_tracker = (
            keras.metrics.Mean(name="feature_loss") if self.features
            else None
        )
        if self.student.built:
            self.built = True

    # ----------------------------------------------------------- checks

    def _check_feature_weight(self, feature_weight):
        if not isinstance(feature_weight, (list, tuple)):
            return float(check_number("feature_weight", feature_weight,
                                      min_value=0.0))
        if len(feature_weight) != len(self.features):
            raise ValueError(
                "Expected `feature_weight` to be a number or a list with one "
                f"weight per `features` pair ({len(self.features)}). "
                f"Received: feature_weight={feature_weight!r}"
            )
        return [float(check_number("feature_weight", w, min_value=0.0))
                for w in feature_weight]

    def _feature_weights(self):
        if isinstance(self.feature_weight, list):
            return self.feature_weight
        return [self.feature_weight] * len(self.features)

    @staticmethod
    def _check_augment(augment):
        if augment is None:
            return None
        items = augment if isinstance(augment, (list, tuple)) else [augment]
        for item in items:
            if not isinstance(item, keras.layers.Layer):
                raise TypeError(
                    "Expected every item of `augment` to be a Keras layer "
                    "(e.g. `keras_recipes.augment.MixUp`). Received: "
                    f"{item!r} of type {type(item).__name__}"
                )
        if not items:
            raise ValueError(
                "Expected `augment` to be None, a layer or a non-empty list "
                f"of layers. Received: augment={augment!r}"
            )
        return list(items)

    def _check_compatible(self):
        t_shape = getattr(self.teacher, "output_shape", None)
        s_shape = getattr(self.student, "output_shape", None)
        if (isinstance(t_shape, tuple) and isinstance(s_shape, tuple)
                and t_shape[-1:] != s_shape[-1:]):
            raise ValueError(
                "Expected the teacher and the student to output the same "
                f"number of classes. Received: teacher output shape "
                f"{t_shape}, student output shape {s_shape}"
            )

    def _build_feature_models(self):
        self.projections = []
        self._teacher_extractor = None
        self._student_extractor = None
        if not self.features:
            return
        t_outputs, s_outputs = [], []
        data_format = keras.config.image_data_format()
        for i, (t_name, s_name) in enumerate(self.features):
            t_out = _layer_output(self.teacher, "teacher", t_name)
            s_out = _layer_output(self.student, "student", s_name)
            t_shape, s_shape = tuple(t_out.shape), tuple(s_out.shape)
            channels_first = data_format == "channels_first" and (
                len(t_shape) > 2)
            spatial = (slice(2, None) if channels_first else slice(1, -1))
            if (len(t_shape) != len(s_shape)
                    or t_shape[spatial] != s_shape[spatial]):
                raise ValueError(
                    f"Expected the paired features {t_name!r} (teacher) and "
                    f"{s_name!r} (student) to have the same rank and spatial "
                    f"size. Received: shapes {t_shape} and {s_shape}"
                )
            if channels_first:
                projection = keras.layers.Conv2D(
                    t_shape[1], 1, data_format="channels_first",
                    name=f"projection_{i}",
                ) if len(t_shape) == 4 else None
                if projection is None:
                    raise ValueError(
                        "Expected rank-2 or rank-4 features with "
                        "channels_first. Received: shape " f"{t_shape}"
                    )
            else:
                projection = keras.layers.Dense(
                    t_shape[-1], name=f"projection_{i}")
            projection.build(s_shape)
            self.projections.append(projection)
            t_outputs.append(t_out)
            s_outputs.append(s_out)
        self._teacher_extractor = keras.Model(
            _model_input(self.teacher), [self.teacher.outputs[0], *t_outputs],
            name="teacher_features",
        )
        self._student_extractor = keras.Model(
            _model_input(self.student), [self.student.outputs[0], *s_outputs],
            name="student_features",
        )

    # ----------------------------------------------------------- model API

    @property
    def output_shape(self):
        return self.student.output_shape

    @property
    def metrics(self):
        metrics = super().metrics
        trackers = [self.student_loss_tracker,
                    self.distillation_loss_tracker]
        if self.feature_loss_tracker is not None:
            trackers.append(self.feature_loss_tracker)
        return metrics + [t for t in trackers if t not in metrics]

    def build(self, input_shape):
        if not self.student.built:
            self.student.build(input_shape)
        if self.teacher is not None and not self.teacher.built:
            self.teacher.build(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        if self._student_extractor is not None and training:
            outputs = self._student_extractor(inputs, training=training)
            self._stashed_features = tuple(outputs[1:])
            return outputs[0]
        return self.student(inputs, training=training)

    def augment_batch(self, data):
        """Apply the `augment` layers to a `(x, y[, sample_weight])` batch,
        as the train step does (label-mixing layers mix `y` too)."""
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        cached = None
        if isinstance(y, dict):
            y, cached = y.get(LABELS_KEY), y.get(TEACHER_KEY)
        for layer in self.augment:
            if getattr(layer, "mixes_labels", False):
                x, y = layer((x, y), training=True)
            else:
                x = layer(x, training=True)
        if cached is not None:
            y = {LABELS_KEY: y, TEACHER_KEY: cached}
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    def train_step(self, *args):
        if self.augment is None:
            return super().train_step(*args)
        if self.teacher is None:
            raise ValueError(
                "Expected a live `teacher` with `augment`: cached teacher "
                "outputs do not match augmented images. Received: "
                "teacher=None"
            )
        return augmented_train_step(
            self, super().train_step, self.augment_batch, *args
        )

    def _split_targets(self, y):
        if isinstance(y, dict):
            if LABELS_KEY not in y or TEACHER_KEY not in y:
                raise ValueError(
                    "Expected `y` to be the labels, or a dict with keys "
                    f"{LABELS_KEY!r} and {TEACHER_KEY!r} (cached teacher "
                    f"outputs). Received: keys {sorted(y)}"
                )
            return y[LABELS_KEY], y[TEACHER_KEY]
        return y, None

    @staticmethod
    def _labels_weight(sample_weight):
        # Keras copies `fit(sample_weight=...)` onto each key of a dict `y`.
        if isinstance(sample_weight, dict):
            return sample_weight.get(LABELS_KEY)
        return sample_weight

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        labels, cached = self._split_targets(y)
        sample_weight = self._labels_weight(sample_weight)
        features = self._stashed_features
        self._stashed_features = ()
        if y_pred is None or (self.features and not features):
            if self._student_extractor is not None:
                outputs = self._student_extractor(x, training=training)
                y_pred, features = outputs[0], tuple(outputs[1:])
            else:
                y_pred = self.student(x, training=training)
        teacher_features = ()
        if cached is not None:
            teacher_out = ops.stop_gradient(ops.convert_to_tensor(cached))
        elif self.teacher is None:
            raise ValueError(
                "Expected `y` to be a dict with keys 'labels' and 'teacher' "
                "(cached teacher outputs from "
                "`keras_recipes.distillation.cache_teacher`) when the "
                "Distiller has no teacher. Received: y without cached "
                "teacher outputs"
            )
        elif self._teacher_extractor is not None:
            outputs = self._teacher_extractor(x, training=False)
            teacher_out = ops.stop_gradient(outputs[0])
            teacher_features = [ops.stop_gradient(f) for f in outputs[1:]]
        else:
            teacher_out = ops.stop_gradient(self.teacher(x, training=False))

        soft = self._soft_loss(teacher_out, y_pred,
                               sample_weight=sample_weight)
        hard = self._hard_loss(labels, y_pred, sample_weight)
        total = self.alpha * soft + (1.0 - self.alpha) * hard
        self.distillation_loss_tracker.update_state(soft)
        self.student_loss_tracker.update_state(hard)
        if self.features:
            feature_total = 0.0
            for projection, weight, f_s, f_t in zip(
                    self.projections, self._feature_weights(), features,
                    teacher_features):
                diff = ops.cast(projection(f_s), "float32") - ops.cast(
                    f_t, "float32")
                axes = tuple(range(1, len(diff.shape)))
                per_sample = ops.mean(ops.square(diff), axis=axes)
                feature_total = feature_total + weight * _weighted_mean(
                    per_sample, sample_weight)
            total = total + feature_total
            self.feature_loss_tracker.update_state(feature_total)
        for loss in self.losses:
            total = total + ops.cast(ops.sum(loss), total.dtype)
        return total

    def _hard_loss(self, labels, y_pred, sample_weight):
        loss_fn = self._student_loss_fn
        if loss_fn is None:
            loss_fn = getattr(self, "_compiled_student_loss", None)
        if loss_fn is None:
            raise ValueError(
                "Expected a hard-label loss: pass `student_loss=` to the "
                "Distiller or `loss=` to `compile`. Received: neither"
            )
        if isinstance(loss_fn, keras.losses.Loss):
            return loss_fn(labels, y_pred, sample_weight=sample_weight)
        return _weighted_mean(loss_fn(labels, y_pred), sample_weight)

    def compile(self, optimizer="rmsprop", loss=None, **kwargs):
        """Configure training; `loss` is the hard-label loss when the
        Distiller has no `student_loss` (see the class docstring)."""
        if loss is not None and self.student_loss is not None:
            raise ValueError(
                "Expected the hard-label loss once: the Distiller has "
                f"`student_loss={self.student_loss!r}` and `compile` got "
                f"loss={loss!r}. Pass one of them."
            )
        self._compile_student_loss = loss
        self._compiled_student_loss = _resolve_student_loss(loss)
        # Keras's own compiled loss is not used (`compute_loss` combines the
        # terms), and it would reject the `{"labels", "teacher"}` targets.
        super().compile(optimizer=optimizer, loss=None, **kwargs)

    def get_compile_config(self):
        config = super().get_compile_config()
        loss = getattr(self, "_compile_student_loss", None)
        if config is not None and loss is not None:
            config["loss"] = keras.saving.serialize_keras_object(loss)
        return config

    def compile_from_config(self, config):
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built and getattr(self, "optimizer", None) is not None:
            self.optimizer.build(self.trainable_variables)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        labels, _ = self._split_targets(y)
        return super().compute_metrics(
            x, labels, y_pred,
            sample_weight=self._labels_weight(sample_weight))

    # ----------------------------------------------------------- config

    def get_config(self):
        config = super().get_config()
        serialize = keras.saving.serialize_keras_object
        config.update({
            "teacher": None if self.teacher is None
            else serialize(self.teacher),
            "student": serialize(self.student),
            "temperature": self.temperature,
            "alpha": self.alpha,
            "student_loss": None if self.student_loss is None
            else serialize(self.student_loss),
            "teacher_from_logits": self.teacher_from_logits,
            "student_from_logits": self.student_from_logits,
            "features": [list(pair) for pair in self.features] or None,
            "feature_weight": self.feature_weight,
            "augment": None if self.augment is None
            else [serialize(layer) for layer in self.augment],
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # Deserializing a Functional config consumes it: work on a copy.
        config = copy.deepcopy(config)

        def deserialize(value):
            return keras.saving.deserialize_keras_object(
                value, custom_objects=custom_objects)

        for key in ("teacher", "student", "student_loss"):
            if config.get(key) is not None:
                config[key] = deserialize(config[key])
        if config.get("augment") is not None:
            config["augment"] = [deserialize(c) for c in config["augment"]]
        return cls(**config)
