"""Probes of a frozen encoder: a linear classifier and weighted k-NN."""

import keras
import numpy as np
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.labels import check_same_length
from keras_recipes.utils.labels import class_ids
from keras_recipes.utils.validation import check_number


def _check_encoder(encoder):
    if not isinstance(encoder, keras.Model) and not callable(
        getattr(encoder, "predict", None)
    ):
        raise TypeError(
            "Expected `encoder` to be a keras.Model mapping images to "
            "features (e.g. `simclr.encoder`). Received: encoder of type "
            f"{type(encoder).__name__}"
        )


@keras_recipes_export("keras_recipes.ssl.embed")
def embed(encoder, x, batch_size=256):
    """Features of `x` from a frozen encoder, as a NumPy `(N, D)` array.

    The encoder runs in inference mode (`predict`). A 4-D output (a feature
    map) is global-average pooled and a 3-D output (tokens) is averaged over
    the tokens, so any image backbone gives one vector per image.

    Args:
        encoder: A `keras.Model` mapping images to features.
        x: Images, a NumPy array (or anything `predict` accepts).
        batch_size: Batch size of `predict`. Defaults to `256`.

    Returns:
        A float32 NumPy array `(N, D)`.

    Example:

    >>> enc = keras.Sequential(
    ...     [keras.Input((4, 4, 1)), keras.layers.Conv2D(3, 1)])
    >>> keras_recipes.ssl.embed(enc, np.ones((5, 4, 4, 1))).shape
    (5, 3)
    """
    _check_encoder(encoder)
    check_number("batch_size", batch_size, min_value=1, integer=True)
    features = np.asarray(
        encoder.predict(x, batch_size=batch_size, verbose=0), "float32"
    )
    if features.ndim > 2:
        features = features.reshape(
            features.shape[0], -1, features.shape[-1]
        ).mean(axis=1)
    if features.ndim != 2:
        raise ValueError(
            "Expected `encoder` to return features of shape (N, D), a "
            "feature map (N, H, W, D) or tokens (N, T, D). Received: "
            f"output of shape {features.shape}"
        )
    return features


def _labelled(name_x, x, name_y, y, num_classes=None):
    y = class_ids(y, num_classes=num_classes, name=name_y)
    check_same_length(name_x, x, name_y, y)
    return y


@keras_recipes_export("keras_recipes.ssl.linear_probe")
def linear_probe(encoder, x_train, y_train, x_test, y_test, epochs=100,
                 batch_size=256, learning_rate=1e-3, weight_decay=0.0,
                 return_model=False, verbose=0):
    """Test accuracy of a linear classifier on frozen, pre-computed features.

    The standard linear evaluation of self-supervised encoders (SimCLR,
    MAE): the features of `x_train` and `x_test` are computed once with the
    encoder in inference mode (`embed`), standardised with the training
    features' mean and standard deviation (MAE's BatchNorm without affine
    parameters, folded in), and a softmax classifier (`Dense`, zero
    initialised, so the result does not depend on an initial draw) trains
    with Adam on them. The encoder is never updated. Labels are class ids
    or one-hot rows.

    Args:
        encoder: A `keras.Model` mapping images to features.
        x_train: Training images.
        y_train: Their labels, ids `(N,)` or one-hot `(N, C)`.
        x_test: Test images.
        y_test: Their labels.
        epochs: Epochs of the classifier. Defaults to `100`.
        batch_size: Batch size of the classifier and of `embed`.
            Defaults to `256`.
        learning_rate: Adam's learning rate. Defaults to `1e-3`.
        weight_decay: Decoupled weight decay of AdamW (`0` is Adam).
            Defaults to `0.0`.
        return_model: Also return the trained classifier (a model on the
            standardised features). Defaults to `False`.
        verbose: Verbosity of the classifier's `fit`. Defaults to `0`.

    Returns:
        The test accuracy, a float; `(accuracy, classifier)` with
        `return_model=True`.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(40, 4, 4, 1)).astype("float32")
    >>> y = (x.mean(axis=(1, 2, 3)) > 0).astype("int32")
    >>> enc = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten()])
    >>> acc = keras_recipes.ssl.linear_probe(enc, x, y, x, y, epochs=50)
    >>> acc > 0.9
    True
    """
    check_number("epochs", epochs, min_value=1, integer=True)
    check_number("learning_rate", learning_rate, min_value=0,
                 min_inclusive=False)
    check_number("weight_decay", weight_decay, min_value=0)
    y_train = _labelled("x_train", x_train, "y_train", y_train)
    num_classes = int(y_train.max()) + 1
    y_test = _labelled("x_test", x_test, "y_test", y_test)
    f_train = embed(encoder, x_train, batch_size)
    f_test = embed(encoder, x_test, batch_size)
    mean = f_train.mean(axis=0)
    std = f_train.std(axis=0) + 1e-6
    f_train = (f_train - mean) / std
    f_test = (f_test - mean) / std
    num_classes = max(num_classes, int(y_test.max()) + 1)
    inputs = keras.Input((f_train.shape[1],))
    outputs = keras.layers.Dense(num_classes, kernel_initializer="zeros")(
        inputs)
    classifier = keras.Model(inputs, outputs, name="linear_probe")
    if weight_decay:
        optimizer = keras.optimizers.AdamW(learning_rate, weight_decay)
    else:
        optimizer = keras.optimizers.Adam(learning_rate)
    classifier.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    classifier.fit(f_train, y_train, epochs=epochs,
                   batch_size=min(batch_size, len(f_train)), verbose=verbose)
    logits = classifier.predict(f_test, batch_size=1024, verbose=0)
    accuracy = float(np.mean(np.argmax(logits, axis=1) == y_test))
    return (accuracy, classifier) if return_model else accuracy


def knn_predict(train_features, train_labels, query_features, k=20,
                temperature=0.07, num_classes=None, chunk_size=1024):
    """Weighted k-NN class predictions (ids) of `query_features`.

    Cosine similarity, the `k` most similar training rows vote with weight
    `exp(similarity / temperature)`: Wu et al. 2018 (InstDisc) and Caron
    et al. 2021 (DINO). Computed in chunks of `chunk_size` query rows with
    `keras.ops` (so on the accelerator).
    """
    train = ops.convert_to_tensor(train_features, "float32")
    train = train / (ops.norm(train, axis=1, keepdims=True) + 1e-12)
    labels = ops.convert_to_tensor(train_labels, "int32")
    num_classes = num_classes or int(np.max(train_labels)) + 1
    k = min(k, int(train.shape[0]))
    out = []
    for start in range(0, len(query_features), chunk_size):
        query = ops.convert_to_tensor(
            query_features[start:start + chunk_size], "float32")
        query = query / (ops.norm(query, axis=1, keepdims=True) + 1e-12)
        sims, idx = ops.top_k(ops.matmul(query, ops.transpose(train)), k)
        votes = ops.one_hot(ops.take(labels, idx), num_classes)
        weights = ops.exp(sims / temperature)[..., None]
        out.append(ops.convert_to_numpy(
            ops.argmax(ops.sum(votes * weights, axis=1), axis=1)))
    return np.concatenate(out).astype("int64")


@keras_recipes_export("keras_recipes.ssl.knn_accuracy")
def knn_accuracy(encoder, x_train, y_train, x_test, y_test, k=20,
                 temperature=0.07, batch_size=256):
    """Weighted k-NN accuracy of a frozen encoder's features.

    The probe of InstDisc (Wu et al. 2018) and DINO (Caron et al. 2021):
    features are L2-normalised, each test image takes the `k` training
    images of highest cosine similarity `s`, and each of them votes for its
    class with weight `exp(s / temperature)`. Nothing is trained, so it is
    cheap enough to run every epoch (`callbacks.ProbeMonitor`).

    Args:
        encoder: A `keras.Model` mapping images to features.
        x_train: The labelled reference images.
        y_train: Their labels, ids `(N,)` or one-hot `(N, C)`.
        x_test: The query images.
        y_test: Their labels.
        k: Number of neighbours. Defaults to `20` (DINO).
        temperature: Temperature of the vote weights. Defaults to `0.07`.
        batch_size: Batch size of `embed`. Defaults to `256`.

    Returns:
        The accuracy on `x_test`, a float.

    Example:

    >>> x = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], "float32")
    >>> enc = keras.Sequential([keras.Input((2,)), keras.layers.Identity()])
    >>> y = [0, 0, 1, 1]
    >>> keras_recipes.ssl.knn_accuracy(enc, x, y, x, y, k=2)
    1.0
    """
    check_number("k", k, min_value=1, integer=True)
    check_number("temperature", temperature, min_value=0,
                 min_inclusive=False)
    y_train = _labelled("x_train", x_train, "y_train", y_train)
    y_test = _labelled("x_test", x_test, "y_test", y_test)
    num_classes = int(max(y_train.max(), y_test.max())) + 1
    predictions = knn_predict(
        embed(encoder, x_train, batch_size), y_train,
        embed(encoder, x_test, batch_size), k=k, temperature=temperature,
        num_classes=num_classes,
    )
    return float(np.mean(predictions == y_test))
