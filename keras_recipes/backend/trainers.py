"""Backend-specific train steps that change the batch before the forward pass.

Keras's trainers differ per backend: TensorFlow and torch call
`train_step(data)` on stateful variables, JAX calls the pure
`train_step(state, data)` and threads every variable through `state`. A model
that augments `(x, y)` inside its compiled step (`AugmentedModel`) therefore
needs one small function per backend; they live here, like Keras's own
`backend/<name>/trainer.py`, and the rest of the library stays
backend-agnostic.
"""

import keras


def _stateless_augment(model, non_trainable_values, augment_fn, data):
    """Run `augment_fn(data)` with the model's non-trainable variables bound
    to `non_trainable_values` (JAX), and return the new values too.

    The augmentation layers' `SeedGenerator` states are non-trainable
    variables of the model; a `keras.StatelessScope` makes their updates
    part of the returned state, so every compiled step draws new values
    (without it a jitted step would replay the same draw forever).
    """
    variables = model.non_trainable_variables
    mapping = list(zip(variables, non_trainable_values))
    with keras.StatelessScope(state_mapping=mapping) as scope:
        data = augment_fn(data)
    new_values = []
    for variable, value in mapping:
        current = scope.get_current_value(variable)
        new_values.append(value if current is None else current)
    return data, new_values


def augmented_train_step(model, parent_train_step, augment_fn, *args):
    """`train_step` that applies `augment_fn` to `data` first.

    `parent_train_step` is the bound `super().train_step` of the model;
    `args` are what Keras passed: `(data,)` on TensorFlow and torch,
    `(state, data)` on JAX.
    """
    if keras.backend.backend() == "jax":
        state, data = args
        (trainable, non_trainable, optimizer_vars, metrics_vars) = state
        data, non_trainable = _stateless_augment(
            model, non_trainable, augment_fn, data
        )
        state = (trainable, non_trainable, optimizer_vars, metrics_vars)
        return parent_train_step(state, data)
    (data,) = args
    return parent_train_step(augment_fn(data))
