"""Shared base of the two-view methods (SimCLR, VICReg), private.

`TwoViewModel` wraps an encoder and a projector MLP. Its train and test
steps turn each batch of images `x` (B images) into `2B` views, interleaved
(rows `2i` and `2i + 1` are two independent draws of the `views` pipeline
on image `i`), before the forward pass, inside the compiled step
(`keras_recipes.backend.trainers.augmented_train_step` threads the layers'
seed states through JAX's pure step). `call` returns the encoder's
features (a 4-D feature map is globally average-pooled), so
`predict(x)` gives embeddings; `compute_loss` projects the features and
hands them to the subclass's `loss_terms`.
"""

import keras
from keras import ops

from keras_recipes.backend.trainers import _stateless_augment
from keras_recipes.backend.trainers import augmented_train_step
from keras_recipes.utils.validation import check_number


def check_encoder(encoder):
    if not isinstance(encoder, keras.Model):
        raise TypeError(
            "Expected `encoder` to be a keras.Model mapping images to "
            "features (B, D) or feature maps (B, H, W, C). Received: "
            f"encoder of type {type(encoder).__name__}"
        )
    return encoder


def check_views(views):
    if views is None:
        return None
    items = views if isinstance(views, (list, tuple)) else [views]
    if not items:
        raise ValueError(
            "Expected `views` to be None (the default pipeline), a layer or "
            f"a non-empty list of layers. Received: views={views!r}"
        )
    for item in items:
        if not isinstance(item, keras.layers.Layer):
            raise TypeError(
                "Expected every item of `views` to be a Keras layer (e.g. "
                "`keras_recipes.augment.RandomResizedCrop`). Received: "
                f"{item!r} of type {type(item).__name__}"
            )
        if getattr(item, "mixes_labels", False):
            raise ValueError(
                "Expected label-free augmentation layers in `views`; "
                f"{type(item).__name__} mixes labels, which self-supervised "
                f"training has none of. Received: views item {item!r}"
            )
    return list(items)


def check_dim(name, value, allow_none=False):
    return check_number(name, value, integer=True, min_value=1,
                        allow_none=allow_none)


def mlp(hidden_dims, output_dim, name, output_bias=True):
    """Dense-BatchNorm-ReLU blocks, then a plain Dense (the projector /
    expander of SimCLR and VICReg)."""
    layers = []
    for units in hidden_dims:
        layers += [
            keras.layers.Dense(units, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
        ]
    layers.append(keras.layers.Dense(output_dim, use_bias=output_bias))
    return keras.Sequential(layers, name=name)


def _static_input_shape(encoder):
    try:
        shape = encoder.input_shape
    except (AttributeError, ValueError):
        return None
    if isinstance(shape, list) or not isinstance(shape, tuple):
        return None
    return tuple(shape[1:])


def _static_feature_dim(encoder):
    try:
        shape = encoder.output_shape
    except (AttributeError, ValueError):
        return None
    if not isinstance(shape, tuple) or not shape:
        return None
    if keras.config.image_data_format() == "channels_first" and len(
            shape) == 4:
        return shape[1]
    return shape[-1]


def interleave(view_a, view_b):
    """`(B, ...)` twice -> `(2B, ...)` with rows `2i`, `2i + 1` from
    `view_a[i]`, `view_b[i]`."""
    view_a = ops.convert_to_tensor(view_a)
    view_b = ops.convert_to_tensor(view_b)
    pairs = ops.stack([view_a, view_b], axis=1)
    return ops.reshape(pairs, (-1,) + tuple(view_a.shape[1:]))


class TwoViewModel(keras.Model):
    """Base: encoder + projector, two views per image made in the step.

    Subclasses set `self.projector` (via `make_projector(feature_dim)`),
    `term_names` (extra loss parts logged to `History`) and implement
    `loss_terms(z)` on the interleaved projections `z` (2B, P), returning
    a dict with `"loss"` and every name of `term_names`.
    """

    term_names = ()

    def __init__(self, encoder, views=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = check_encoder(encoder)
        views = check_views(views)
        if views is None:
            from keras_recipes.ssl.views import default_views

            image_shape = _static_input_shape(encoder)
            if image_shape is None or None in image_shape:
                raise ValueError(
                    "`views=None` builds `keras_recipes.ssl.default_views` "
                    "for the encoder's image shape, which needs an encoder "
                    "with a known input shape (a functional or Sequential "
                    "model with `keras.Input(shape)`). Expected a fixed "
                    "input shape or an explicit `views` list. Received: "
                    f"encoder input shape {image_shape}"
                )
            views = default_views(image_shape)
        self.views = views
        self.term_trackers = [
            keras.metrics.Mean(name=name) for name in self.term_names
        ]

    # -- subclass hooks -----------------------------------------------------
    def make_projector(self, feature_dim):
        raise NotImplementedError

    def loss_terms(self, z):
        raise NotImplementedError

    # -- forward ------------------------------------------------------------
    def _feature_dim(self):
        dim = _static_feature_dim(self.encoder)
        return dim

    def features(self, images, training=None):
        h = self.encoder(images, training=training)
        if len(h.shape) == 4:
            axes = (2, 3) if (
                keras.config.image_data_format() == "channels_first"
            ) else (1, 2)
            h = ops.mean(h, axis=axes)
        elif len(h.shape) != 2:
            raise ValueError(
                "Expected the encoder to return features (B, D) or a "
                "feature map (B, H, W, C). Received: encoder output of shape "
                f"{tuple(h.shape)}"
            )
        return h

    def call(self, inputs, training=None):
        return self.features(inputs, training=training)

    def build(self, input_shape):
        if not self.encoder.built:
            self.encoder.build(input_shape)
        out = self.encoder.compute_output_shape(input_shape)
        if len(out) == 4:
            dim = out[1] if (
                keras.config.image_data_format() == "channels_first"
            ) else out[-1]
        else:
            dim = out[-1]
        if not self.projector.built:
            self.projector.build((None, dim))
        self.built = True

    # -- views --------------------------------------------------------------
    def make_views(self, images):
        """Two independent views of each image, interleaved: `(2B, ...)`
        with rows `2i` and `2i + 1` from image `i` (the train step's
        input to the encoder)."""
        images = ops.convert_to_tensor(images)
        x = ops.repeat(images, 2, axis=0)
        for layer in self.views:
            x = layer(x, training=True)
        return x

    def _views_batch(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, (dict, list, tuple)):
            raise ValueError(
                f"Expected {type(self).__name__} inputs to be a batch of "
                f"images (one tensor). Received: a {type(x).__name__}"
            )
        # Labels and sample weights are dropped: self-supervised.
        return (self.make_views(x),)

    def train_step(self, *args):
        return augmented_train_step(
            self, super().train_step, self._views_batch, *args
        )

    def test_step(self, *args):
        if len(args) == 2:  # JAX's pure step: (state, data)
            state, data = args
            trainable, non_trainable, metrics_variables = state
            data, non_trainable = _stateless_augment(
                self, non_trainable, self._views_batch, data
            )
            return super().test_step(
                (trainable, non_trainable, metrics_variables), data
            )
        (data,) = args
        return super().test_step(self._views_batch(data))

    # -- loss ---------------------------------------------------------------
    def view_loss(self, view_a, view_b, training=False):
        """The loss (and its parts) of given views, as the train step
        computes it: a dict of scalars with `"loss"` and `term_names`.

        Args:
            view_a: first views, `(B, ...)` images.
            view_b: second views, `(B, ...)`, row `i` the other view of
                the image of `view_a[i]`.
            training: passed to the encoder and the projector (BatchNorm
                in batch-statistics mode when True). Defaults to `False`.
        """
        x = interleave(view_a, view_b)
        z = self.projector(self.features(x, training=training),
                           training=training)
        return self.loss_terms(z)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        z = self.projector(y_pred, training=training)
        terms = self.loss_terms(z)
        batch = ops.cast(ops.shape(z)[0] // 2, "float32")
        for name, tracker in zip(self.term_names, self.term_trackers):
            tracker.update_state(terms[name], sample_weight=batch)
        total = terms["loss"]
        for extra in self.losses:
            total = total + ops.cast(ops.sum(extra), total.dtype)
        return total

    # -- compile / serialization -------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None,
                **kwargs):
        if loss is not None or loss_weights is not None:
            raise ValueError(
                f"{type(self).__name__} computes its own self-supervised "
                "loss. Expected `loss=None` and `loss_weights=None` in "
                f"`compile`. Received: loss={loss!r}, "
                f"loss_weights={loss_weights!r}"
            )
        super().compile(optimizer=optimizer, **kwargs)

    def compile_from_config(self, config):
        config = dict(keras.saving.deserialize_keras_object(config))
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)

    def get_config(self):
        config = super().get_config()
        config.update({
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "views": [
                keras.saving.serialize_keras_object(layer)
                for layer in self.views
            ],
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(
            config["encoder"], custom_objects=custom_objects
        )
        config["views"] = [
            keras.saving.deserialize_keras_object(
                c, custom_objects=custom_objects
            )
            for c in config["views"]
        ]
        return cls(**config)
