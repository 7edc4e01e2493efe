"""The notebooks in `examples/notebooks/`: each `.ipynb` holds the same
cells as its jupytext `.py` twin, and each `.py` runs top to bottom in smoke
mode (`SMOKE=1`: small data, one epoch) and ends with a plot.

The notebooks choose JAX unless `KERAS_BACKEND` is set; they run here under
the JAX process of the suite only (each costs about a minute of training
and compiling, and the library paths they use are tested on every backend
elsewhere)."""

import os
import pathlib
import subprocess
import sys

import keras
import pytest

FOLDER = pathlib.Path(__file__).resolve().parents[1] / "examples" / "notebooks"
NOTEBOOKS = sorted(p.stem for p in FOLDER.glob("*.py"))


def test_there_are_three_notebooks_with_an_install_cell():
    assert NOTEBOOKS == ["fashion_mnist_recipe", "imbalance_and_audit",
                         "kerastuner_search"]
    for name in NOTEBOOKS:
        text = (FOLDER / f"{name}.py").read_text()
        assert text.count("# %pip install") == 1, name
        assert "plt.show()" in text.rstrip().splitlines()[-1], name


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_ipynb_is_in_sync_with_py(name):
    jupytext = pytest.importorskip("jupytext")
    from_py = jupytext.read(FOLDER / f"{name}.py")
    from_ipynb = jupytext.read(FOLDER / f"{name}.ipynb")

    def cells(nb):
        return [(c.cell_type, c.source.strip()) for c in nb.cells]

    assert cells(from_py) == cells(from_ipynb), (
        f"{name}.ipynb differs from {name}.py: run `jupytext --sync "
        f"examples/notebooks/{name}.py`")
    for cell in from_ipynb.cells:
        assert not cell.get("outputs"), f"{name}.ipynb carries outputs"


@pytest.mark.skipif(keras.backend.backend() != "jax",
                    reason="the notebooks run under the JAX process only")
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_smoke_mode(name, tmp_path):
    from keras_recipes.datasets import fashion_mnist

    if fashion_mnist.find_local_copy() is None:
        pytest.skip("dataset-fashion-mnist is not installed")
    root = str(FOLDER.parents[1])
    env = dict(os.environ, SMOKE="1", MPLBACKEND="Agg", KERAS_BACKEND="jax",
               TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run(
        [sys.executable, str(FOLDER / f"{name}.py")], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    assert (tmp_path / f"{name}.png").stat().st_size > 1000
