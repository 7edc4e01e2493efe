"""Pick the op namespace and the random source an augmentation runs with.

Augmentation code in `keras_recipes.augment` is written once against a small
`keras.ops`-compatible namespace `xp` and a random source `rng`:

- Normally `xp` is `keras.ops` and `rng` draws with `keras.random` from a
  `keras.random.SeedGenerator`, so the code runs eagerly and inside compiled
  train steps (XLA on TensorFlow and JAX) on every backend.
- When the inputs are TensorFlow tensors but the Keras backend is JAX or torch
  (the case of `tf.data.Dataset.map(layer)`), `xp` is
  `keras_recipes.backend.tf_ops`, which implements the same functions with
  TensorFlow, and `rng` draws from a `tf.random.Generator`. Keras does the same
  thing privately (`DataLayer`); this is the public-API equivalent.
"""

import sys
import weakref

import keras


def is_foreign_tf_tensor(x):
    """True if `x` is a TensorFlow tensor and Keras runs another backend."""
    if keras.backend.backend() == "tensorflow":
        return False
    tf = sys.modules.get("tensorflow")
    if tf is None:
        # TensorFlow was never imported, so `x` cannot be a TF tensor.
        return False
    return isinstance(x, (tf.Tensor, tf.Variable)) or (
        hasattr(tf, "RaggedTensor") and isinstance(x, tf.RaggedTensor)
    )


def get_ops(x):
    """Return the op namespace for computing on `x`."""
    if is_foreign_tf_tensor(x):
        from keras_recipes.backend import tf_ops

        return tf_ops
    return keras.ops


class KerasRandom:
    """Random draws from `keras.random` with one `SeedGenerator`."""

    is_tf = False

    def __init__(self, seed_generator):
        self.seed_generator = seed_generator

    def uniform(self, shape, minval=0.0, maxval=1.0):
        return keras.random.uniform(
            shape, minval=minval, maxval=maxval, dtype="float32",
            seed=self.seed_generator,
        )

    def normal(self, shape):
        return keras.random.normal(
            shape, dtype="float32", seed=self.seed_generator
        )

    def beta(self, shape, alpha, beta):
        """`keras.random.beta`, or `None` on TensorFlow, where it has no XLA
        kernel (the caller then uses its own jit-compatible sampler)."""
        if keras.backend.backend() == "tensorflow":
            return None
        return keras.random.beta(
            shape, alpha, beta, dtype="float32", seed=self.seed_generator
        )


class TFRandom:
    """Random draws from a `tf.random.Generator` (for `tf.data` pipelines
    running with the JAX or torch backend)."""

    is_tf = True

    def __init__(self, generator):
        self.generator = generator

    def uniform(self, shape, minval=0.0, maxval=1.0):
        return self.generator.uniform(
            shape, minval=minval, maxval=maxval, dtype="float32"
        )

    def normal(self, shape):
        return self.generator.normal(shape, dtype="float32")

    def beta(self, shape, alpha, beta):
        return None


# Owner object (a layer) -> tf.random.Generator, kept outside the layer so that
# Keras's attribute tracking and saving never see a TensorFlow resource.
_TF_GENERATORS = weakref.WeakKeyDictionary()


def _tf_generator(seed):
    import tensorflow as tf

    with tf.init_scope():
        if seed is None:
            return tf.random.Generator.from_non_deterministic_state()
        return tf.random.Generator.from_seed(int(seed))


def make_random(xp, seed=None, owner=None, seed_generator=None):
    """Return the random source matching the namespace `xp`.

    Args:
        xp: `keras.ops` or `keras_recipes.backend.tf_ops`.
        seed: int or `keras.random.SeedGenerator` given for this call, or
            `None`.
        owner: the layer drawing the values; its generator is reused across
            calls so that successive batches differ.
        seed_generator: the owner's `SeedGenerator`, used when `seed` is
            `None` and `xp` is `keras.ops`.
    """
    if xp is keras.ops:
        if isinstance(seed, keras.random.SeedGenerator):
            return KerasRandom(seed)
        if seed is not None:
            return KerasRandom(keras.random.SeedGenerator(int(seed)))
        if seed_generator is None:
            seed_generator = keras.random.SeedGenerator()
        return KerasRandom(seed_generator)
    # TensorFlow namespace.
    if isinstance(seed, keras.random.SeedGenerator):
        seed = None
    if seed is not None or owner is None:
        return TFRandom(_tf_generator(seed))
    generator = _TF_GENERATORS.get(owner)
    if generator is None:
        generator = _tf_generator(getattr(owner, "seed", None))
        _TF_GENERATORS[owner] = generator
    return TFRandom(generator)
