"""Compile eager augmentation calls (JAX: `jax.jit`, TensorFlow:
`tf.function`).

Called outside any trace (e.g. `layer(images)` in a script, or inside
`keras_recipes.data.batches`), an augmentation runs a hundred small ops; on
JAX and TensorFlow each eager op pays a dispatch (and on JAX a first-call
compile) cost that dwarfs the arithmetic on a 32x32 batch. Here the whole
call is compiled once per layer class and configuration (from its second
call on), and shared by every layer instance with that configuration. The
caller's `keras.random.SeedGenerator` state goes in as an argument and the
advanced state comes back (through a `keras.StatelessScope` on JAX), so
the random draws are those of the uncompiled call (values agree up to float
rounding of the compiled arithmetic). torch runs eagerly.
"""

import json
import threading

import keras

# (class, configuration) -> compiled function, or the number of eager calls
# seen so far: a configuration is compiled on its second call, so one-off
# calls (doc examples, tests) do not pay a compile.
_COMPILED = {}
_LOCKS = {}


def _key(layer):
    config = dict(layer.get_config())
    config.pop("name", None)
    return (type(layer), json.dumps(config, sort_keys=True, default=str))


def compiled_call(layer, data, generator):
    """Return `layer.call(data, training=True, seed=generator)` computed by a
    compiled function, or `None` when not applicable (torch, or already
    inside a trace); the caller then runs it as usual."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        leaves = keras.tree.flatten(data)
        if any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
            return None
        make = _make_jax
    elif backend == "tensorflow":
        import tensorflow as tf

        if not tf.executing_eagerly():
            return None
        make = _make_tf
    else:
        return None
    key = _key(layer)
    fn = _COMPILED.get(key)
    if fn is None:
        _COMPILED[key] = 1
        return None
    if fn == 1:
        config = layer.get_config()
        if "seed" in config:
            # The template draws from the state passed in, never from its
            # own generator: a fixed seed keeps `SeedGenerator(None)` from
            # drawing from Python's global `random`, which Keras also uses
            # to shuffle the batch order in `fit`.
            config = dict(config, seed=0)
        template = type(layer).from_config(config)
        fn = make(template)
        _COMPILED[key] = fn
    with _LOCKS.setdefault(key, threading.Lock()):
        # TensorFlow's compiled function writes a shared scratch variable:
        # two threads calling it at once (`data.batches` with `workers=2`)
        # would draw from each other's state.
        new_state, out = fn(generator.state.value, data)
    generator.state.assign(new_state)
    return out


def _make_jax(template):
    import jax

    scratch = keras.random.SeedGenerator(0)
    variable = scratch.state

    def pure(state, data):
        with keras.StatelessScope(state_mapping=[(variable, state)]) as scope:
            out = template.call(data, training=True, seed=scratch)
        new_state = scope.get_current_value(variable)
        return (state if new_state is None else new_state), out

    return jax.jit(pure)


def _make_tf(template):
    import tensorflow as tf

    scratch = keras.random.SeedGenerator(0)

    @tf.function(reduce_retracing=True, autograph=False)
    def fn(state, data):
        scratch.state.assign(state)
        out = template.call(data, training=True, seed=scratch)
        return tf.identity(scratch.state.value), out

    return fn
