"""Loading the snapshots of `keras_recipes.callbacks.SnapshotEnsemble`."""

import glob
import os
import re

import keras

from keras_recipes.api_export import keras_recipes_export

SNAPSHOT_PATTERN = "snapshot_{cycle}.keras"
_SNAPSHOT_RE = re.compile(r"^snapshot_(\d+)\.keras$")


def snapshot_paths(save_dir):
    """The `snapshot_<k>.keras` files of `save_dir`, sorted by `k`."""
    found = []
    for path in glob.glob(os.path.join(save_dir, "snapshot_*.keras")):
        match = _SNAPSHOT_RE.match(os.path.basename(path))
        if match:
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


@keras_recipes_export("keras_recipes.ensembles.load_snapshots")
def load_snapshots(save_dir, last=None, method="mean", from_logits=False):
    """Load the snapshots saved by `SnapshotEnsemble` as an ensemble.

    Reads `save_dir/snapshot_<k>.keras` in the order of `k` (the cycle,
    from 1) with `keras.saving.load_model` (safe mode, not compiled) and
    averages them with an `AveragingEnsemble`.

    Args:
        save_dir: the folder given to `SnapshotEnsemble`.
        last: int or `None`, keep only the last `last` snapshots (the
            paper ensembles the last few cycles). Defaults to `None` (all).
        method: `"mean"` or `"geometric"`. Defaults to `"mean"`.
        from_logits: whether the snapshots output logits. Defaults to
            `False`.

    Returns:
        An `AveragingEnsemble`.
    """
    from keras_recipes.ensembles.averaging import AveragingEnsemble
    from keras_recipes.utils.validation import check_number

    if not isinstance(save_dir, (str, os.PathLike)):
        raise TypeError(
            "Expected `save_dir` to be a path. Received: "
            f"save_dir={save_dir!r}"
        )
    check_number("last", last, min_value=1, integer=True, allow_none=True)
    paths = snapshot_paths(os.fspath(save_dir))
    if not paths:
        raise ValueError(
            "Expected `save_dir` to hold snapshot_<k>.keras files written "
            f"by SnapshotEnsemble. Received: save_dir={save_dir!r} with "
            "none"
        )
    if last is not None:
        paths = paths[-last:]
    models = [keras.saving.load_model(p, compile=False) for p in paths]
    return AveragingEnsemble(models, method=method, from_logits=from_logits)
