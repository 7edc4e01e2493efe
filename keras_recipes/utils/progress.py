"""`Progress`: the progress bar of long library work (the audit, the LR
finder, cross-validation, ...).

tqdm draws it when tqdm is installed (`tqdm.auto`, so a notebook gets its
widget), otherwise Keras's `Progbar`; keras-recipes never depends on tqdm.
`verbose=0` (or `False`) silences it.
"""

import importlib.util
import sys

import keras

from keras_recipes.utils.validation import check_choice


def _has_tqdm():
    return importlib.util.find_spec("tqdm") is not None


class Progress:
    """A progress bar over `total` units of work.

    Args:
        total: int, the number of units (steps, folds, chunks).
        verbose: falsy for silence, truthy for a bar. Defaults to `1`.
        description: str shown before the bar, or `None`.
        unit: str, the name of one unit. Defaults to `"step"`.
        kind: `"auto"` (tqdm if installed, else Keras), `"tqdm"` or
            `"keras"`. Defaults to `"auto"`.
        stream: where the Keras bar's description line goes (the bar
            itself goes where Keras prints). Defaults to `sys.stdout`.

    Use `update(n=1, **values)` after each unit (the values are shown next
    to the bar as they are, not averaged), and `close()` at the end, or use
    it as a context manager.
    """

    def __init__(self, total, verbose=1, description=None, unit="step",
                 kind="auto", stream=None):
        check_choice("kind", kind, ("auto", "tqdm", "keras"))
        self.total = int(total)
        self.verbose = bool(verbose)
        self.done = 0
        self._bar = None
        if not self.verbose:
            return
        if kind == "auto":
            kind = "tqdm" if _has_tqdm() else "keras"
        self.kind = kind
        if kind == "tqdm":
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.total, desc=description, unit=unit,
                             leave=True, dynamic_ncols=True)
        else:
            if description:
                print(description, file=stream or sys.stdout, flush=True)
            # No metric is averaged: each update shows its latest values.
            self._bar = keras.utils.Progbar(self.total, unit_name=unit,
                                            stateless_metrics=())

    def update(self, n=1, **values):
        """Advance by `n` units; `values` (numbers) are shown, latest
        first-seen order."""
        self.done += n
        if self._bar is None:
            return
        if self.kind == "tqdm":
            if values:
                self._bar.set_postfix(
                    {k: f"{float(v):.4g}" for k, v in values.items()},
                    refresh=False)
            self._bar.update(n)
        else:
            self._bar.update(
                min(self.done, self.total),
                values=[(k, float(v)) for k, v in values.items()] or None,
                finalize=self.done >= self.total)

    def close(self):
        """End the bar (tqdm keeps its last line)."""
        if self._bar is not None and self.kind == "tqdm":
            self._bar.close()
        self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
