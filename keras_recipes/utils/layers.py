"""Walking a model's layers: nested models and layers included."""

import keras


def iter_layers(layer):
    """Every layer nested under `layer` (depth first), `layer` excluded.

    Follows the public `layers` attribute of functional and Sequential
    models (nested models included).
    """
    for sub in getattr(layer, "layers", None) or []:
        yield sub
        yield from iter_layers(sub)


def batch_norm_layers(layer, trainable_only=False):
    """The `BatchNormalization` layers of `layer`, itself and nested ones
    included, each once, depth first.

    Args:
        layer: a layer or model.
        trainable_only: keep only the trainable ones (the ones whose moving
            statistics training updates).
    """
    found, seen = [], set()
    for candidate in (layer, *iter_layers(layer)):
        if (isinstance(candidate, keras.layers.BatchNormalization)
                and id(candidate) not in seen
                and (candidate.trainable or not trainable_only)):
            seen.add(id(candidate))
            found.append(candidate)
    return found
