"""Discriminative (layer-wise) learning rates via keras MultiOptimizer."""

import re

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_number


def leaf_layers(model):
    """Layers with weights, in order, looking inside nested models."""
    leaves = []
    for layer in model.layers:
        if getattr(layer, "layers", None):
            leaves.extend(leaf_layers(layer))
        elif layer.weights:
            leaves.append(layer)
    return leaves


def make_optimizer(optimizer, learning_rate, **kwargs):
    """A new optimizer like `optimizer` (name, config or instance) with the
    given learning rate (a float or a schedule)."""
    if isinstance(optimizer, keras.optimizers.Optimizer):
        config = optimizer.get_config()
        config.update(kwargs)
        config["learning_rate"] = learning_rate
        config.pop("name", None)
        return optimizer.__class__.from_config(config)
    if isinstance(optimizer, str):
        cls = keras.optimizers.get(optimizer).__class__
        return cls(learning_rate=learning_rate, **kwargs)
    raise TypeError(
        "Expected `optimizer` to be an optimizer name (e.g. 'adamw') or a "
        f"keras.optimizers.Optimizer. Received: optimizer={optimizer!r}"
    )


def _suffix(variable):
    # "<layer>/<variable>": the part of the path that survives a save/load
    # (a Sequential model prefixes its name only when built in place).
    return "/".join(variable.path.split("/")[-2:])


def discriminative_optimizer(groups, optimizers):
    """A `MultiOptimizer` sending the variables of `groups[i]` to
    `optimizers[i]`; the last optimizer is also the default.

    Each group becomes one regular-expression key matching the
    `<layer>/<variable>` ends of its variable paths, so every sub-optimizer
    appears once in the map and the optimizer saves and loads with its
    state.
    """
    seen = {}
    for i, group in enumerate(groups):
        for v in group:
            key = _suffix(v)
            if seen.setdefault(key, i) != i:
                raise ValueError(
                    "Expected unique `<layer>/<variable>` names across "
                    f"blocks, but {key!r} appears in two blocks; give the "
                    f"layers distinct names. Received: path={v.path!r}"
                )
    opt_map = keras.optimizers.OptimizerMap(default_optimizer=optimizers[-1])
    for group, opt in zip(groups[:-1], optimizers[:-1]):
        keys = sorted({_suffix(v) for v in group})
        if keys:
            pattern = "|".join(re.escape(k) for k in keys)
            opt_map[f"(?:.*/)?(?:{pattern})"] = opt
    return keras.optimizers.MultiOptimizer(opt_map)


@keras_recipes_export("keras_recipes.transfer.layerwise_learning_rates")
def layerwise_learning_rates(model, base_learning_rate, decay=0.8,
                             optimizer="adamw", num_blocks=None,
                             **optimizer_kwargs):
    """A `keras.optimizers.MultiOptimizer` with learning rates decaying
    towards the input (discriminative fine-tuning, layer-wise LR decay).

    The layers with weights (nested models are looked into) are split into
    `num_blocks` contiguous blocks from input to output (`None`: one block
    per layer). Block `g` of `G` gets `base_learning_rate * decay **
    (G - 1 - g)`: the output block trains at the base rate, each earlier
    block `decay` times slower. Every block gets its own optimizer of the
    same kind, and `LearningRateLogger` logs them as `learning_rate/<g>`.
    The result saves and loads with the model (Keras 3.15 ships
    `MultiOptimizer` and `OptimizerMap`).

    Args:
        model: A built `keras.Model`.
        base_learning_rate: Rate of the last block, a float.
        decay: Factor between consecutive blocks, in `(0, 1]`.
            Defaults to `0.8`.
        optimizer: Name (`"adamw"`, `"sgd"`, ...) or an optimizer instance
            to copy. Defaults to `"adamw"`.
        num_blocks: Number of blocks, or `None` for one block per layer with
            weights. Defaults to `None`.
        **optimizer_kwargs: Passed to every block's optimizer
            (e.g. `weight_decay=0.05`).

    Returns:
        A `keras.optimizers.MultiOptimizer`.

    Example:

    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8),
    ...     keras.layers.Dense(8), keras.layers.Dense(2)])
    >>> opt = keras_recipes.transfer.layerwise_learning_rates(
    ...     model, 1e-3, decay=0.5, optimizer="adam")
    >>> [round(float(o.learning_rate), 6) for o in opt.optimizers]
    [0.00025, 0.0005, 0.001]

    Reference:
        - [Howard & Ruder, 2018 (ULMFiT)](https://arxiv.org/abs/1801.06146)
        - [Clark et al., 2020 (ELECTRA layer-wise decay)](https://arxiv.org/abs/2003.10555)
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"Expected `model` to be a keras.Model. Received: model={model!r}"
        )
    check_number("base_learning_rate", base_learning_rate, min_value=0.0,
                 min_inclusive=False)
    check_number("decay", decay, min_value=0.0, max_value=1.0,
                 min_inclusive=False)
    leaves = leaf_layers(model)
    if not leaves:
        raise ValueError(
            "Expected a built model with weights. Received: a model without "
            "weights (build it first)"
        )
    if num_blocks is None:
        blocks = [[layer] for layer in leaves]
    else:
        check_number("num_blocks", num_blocks, min_value=1,
                     max_value=len(leaves), integer=True)
        blocks = [list(b) for b in np.array_split(
            np.array(leaves, dtype=object), num_blocks)]
    count = len(blocks)
    groups = [[v for layer in block for v in layer.weights] for block in blocks]
    optimizers = [
        make_optimizer(optimizer,
                       float(base_learning_rate) * decay ** (count - 1 - g),
                       **optimizer_kwargs)
        for g in range(count)
    ]
    return discriminative_optimizer(groups, optimizers)
