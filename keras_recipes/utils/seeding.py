"""The one seed path of keras-recipes.

Every random technique resolves its seed here, so that one integer given to
a layer, to `keras_recipes.data.batches`, to `AugmentedModel` or to
`Recipe(seed=...)` gives the same draws whichever placement runs it and
however many workers feed the model:

- `as_seed_generator(seed, default)` turns an int, a
  `keras.random.SeedGenerator` or `None` into the generator a call draws
  from (a layer's own generator when `seed` is `None`);
- `derive_seed(base, *keys)` gives independent, reproducible child seeds,
  e.g. one per `(epoch, batch)` in `data.batches` (so a batch's draws do not
  depend on which worker thread builds it, or when) and one per
  augmentation layer in `Recipe`.
"""

import keras
import numpy as np

from keras_recipes.utils.validation import check_number

MODULUS = 2**31 - 1


def derive_seed(base, *keys):
    """A deterministic child seed in `[0, 2**31 - 1)` of `base` and `keys`.

    Args:
        base: int, the parent seed.
        *keys: ints naming the child (e.g. epoch and batch index; `-1` is a
            valid key).

    Returns:
        An int.
    """
    value = int(base) * 1_000_003 + 17
    for i, key in enumerate(keys):
        value = value * 7_919 + (int(key) + 2) * (104_729 + i)
    return int(value % MODULUS)


def draw_seed():
    """A fresh seed from Keras's global generator (so
    `keras.utils.set_random_seed` makes it reproducible)."""
    return int(keras.ops.convert_to_numpy(
        keras.random.randint((), 0, MODULUS, seed=None)
    ))


def check_seed(seed, name="seed"):
    """`None` or a non-negative int; raises naming `name` otherwise."""
    if seed is not None:
        check_number(name, seed, integer=True, min_value=0)
    return seed


def as_seed_generator(seed, default=None):
    """The `keras.random.SeedGenerator` a call draws from.

    Args:
        seed: `None`, a non-negative int, or a `keras.random.SeedGenerator`
            (used as is, so successive calls advance it).
        default: the generator to use when `seed` is `None` (typically the
            layer's own); a new unseeded one when also `None`.

    Returns:
        A `keras.random.SeedGenerator`.
    """
    if isinstance(seed, keras.random.SeedGenerator):
        return seed
    if seed is None:
        return default if default is not None else keras.random.SeedGenerator()
    if isinstance(seed, np.integer):
        seed = int(seed)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(
            "Expected `seed` to be None, an int or a "
            f"`keras.random.SeedGenerator`. Received: seed={seed!r} of type "
            f"{type(seed).__name__}"
        )
    check_seed(seed)
    return keras.random.SeedGenerator(seed)


def generator_seed(generator):
    """An int seed read from a `SeedGenerator`'s current state (host), used
    to seed a generator of another framework (`tf.random.Generator` in a
    `tf.data` pipeline running with the JAX or torch backend)."""
    state = keras.ops.convert_to_numpy(generator.state.value).reshape(-1)
    return derive_seed(*[int(v) for v in state])
