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
import threading
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


_TORCH_GLOBAL_RNG_LOCK = threading.Lock()


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
        kernel (the caller then uses its own jit-compatible sampler).

        On torch, `keras.random.beta` seeds and restores torch's global
        generator around each draw, so two threads drawing at once (e.g.
        `keras_recipes.data.batches` with `workers=2`) can get each other's
        seed: the draws are serialized by a lock.
        """
        backend = keras.backend.backend()
        if backend == "tensorflow":
            return None
        if backend == "torch":
            with _TORCH_GLOBAL_RNG_LOCK:
                return keras.random.beta(
                    shape, alpha, beta, dtype="float32",
                    seed=self.seed_generator,
                )
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

    The seed is resolved by `keras_recipes.utils.seeding.as_seed_generator`
    (the one seed path); this only picks the framework that draws.

    Args:
        xp: `keras.ops` or `keras_recipes.backend.tf_ops`.
        seed: int or `keras.random.SeedGenerator` given for this call, or
            `None`.
        owner: the layer drawing the values; its generator is reused across
            calls so that successive batches differ.
        seed_generator: the owner's `SeedGenerator`, used when `seed` is
            `None`.
    """
    from keras_recipes.utils.seeding import as_seed_generator
    from keras_recipes.utils.seeding import generator_seed

    generator = as_seed_generator(seed, seed_generator)
    if xp is keras.ops:
        return KerasRandom(generator)
    # TensorFlow namespace (a `tf.data` pipeline under JAX or torch): draw
    # from a `tf.random.Generator`. The owner's own generator maps to one
    # kept per owner, so successive batches differ; any other generator
    # (an int seed, or a `SeedGenerator` passed to the call) seeds a new
    # one from its current state, and is advanced.
    if owner is not None and generator is seed_generator:
        tf_generator = _TF_GENERATORS.get(owner)
        if tf_generator is None:
            tf_generator = _tf_generator(getattr(owner, "seed", None))
            _TF_GENERATORS[owner] = tf_generator
        return TFRandom(tf_generator)
    tf_seed = generator_seed(generator)
    generator.next()
    return TFRandom(_tf_generator(tf_seed))
