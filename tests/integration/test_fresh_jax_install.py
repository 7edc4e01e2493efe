"""The README's install line and main-job command, in a fresh virtual
environment holding only the `jax` extra (plus `tracking` and `plots`, which
the README's line installs): no TensorFlow, no torch. Then the README's
search line adds the `tuning` extra and runs `keras-recipes tune`, shrunk
(KerasTuner 1.4.8 imports `six` without declaring it; only a fresh
environment shows that).

It runs once, in the JAX pass of the suite, and uses the pip cache that the
test environment's own install filled (about 40 s on a 2-core CPU).
"""

import os
import pathlib
import subprocess
import sys

import keras
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="runs once, in the JAX pass of the suite",
)


def run(args, extra_env=None, **kwargs):
    env = {k: v for k, v in os.environ.items()
           if k not in ("KERAS_BACKEND", "PYTHONPATH", "VIRTUAL_ENV")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env.update(extra_env or {})
    return subprocess.run(args, env=env, capture_output=True, text=True,
                          **kwargs)


@pytest.mark.large
def test_readme_install_and_main_job_with_only_jax(tmp_path):
    venv = tmp_path / "venv"
    result = run([sys.executable, "-m", "venv", str(venv)], timeout=120)
    assert result.returncode == 0, result.stderr
    python = venv / "bin" / "python"
    # The README's line: pip install -e ".[jax,tracking,plots]"
    result = run([str(python), "-m", "pip", "install", "-q", "-e",
                  f"{ROOT}[jax,tracking,plots]"], timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    probe = run([str(python), "-c",
                 "import importlib.util as u; print([m for m in "
                 "('tensorflow', 'torch') if u.find_spec(m)])"], timeout=60)
    assert probe.stdout.strip() == "[]", probe.stdout

    script = venv / "bin" / "keras-recipes"
    result = run([str(script), "--help"], timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage: keras-recipes" in result.stdout

    # The main-job command, shrunk to digits so it fits the CI budget.
    result = run([str(script), "train", "--dataset", "digits", "--recipe",
                  "standard", "--epochs", "1", "--backend", "jax",
                  "--width", "8", "--output", str(tmp_path / "runs"),
                  "--quiet"], cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ModuleNotFoundError" not in result.stderr
    assert "test accuracy" in result.stdout
    assert "run folder:" in result.stdout
    # With no --backend and Keras's default (TensorFlow) not installed, the
    # command picks the installed backend and says so.
    keras_home = tmp_path / "keras_home"
    keras_home.mkdir()
    result = run([str(script), "runs", "--output", str(tmp_path / "runs")],
                 extra_env={"KERAS_HOME": str(keras_home)}, cwd=tmp_path,
                 timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "using 'jax'" in result.stderr

    # The README's search line: pip install -e ".[jax,tuning,tracking,plots]"
    result = run([str(python), "-m", "pip", "install", "-q", "-e",
                  f"{ROOT}[jax,tuning,tracking,plots]"], timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    result = run([str(script), "tune", "--dataset", "digits", "--tuner",
                  "random", "--max-trials", "1", "--cv", "2", "--epochs",
                  "1", "--width", "8", "--backend", "jax", "--output",
                  str(tmp_path / "runs"), "--quiet"], cwd=tmp_path,
                 timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "best_recipe.json" in result.stdout, result.stdout[-2000:]
