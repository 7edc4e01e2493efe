#!/usr/bin/env bash
# The release check: build the wheel and the sdist, `twine check` both, then
# install the wheel (not the source tree) into a fresh virtual environment and
# run a smoke import and one short fit on every backend, from a folder outside
# the repository so nothing can be imported from the checkout.
#   bash scripts/check_wheel.sh                  # uses .venv-test for build/twine
#   PYTHON=python3 BACKENDS="jax" bash scripts/check_wheel.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TOOLS=${TOOLS:-$ROOT/.venv-test/bin/python}   # has build and twine (test extra)
BACKENDS=${BACKENDS-"tensorflow jax torch"}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

start=$(date +%s)
"$TOOLS" -m build --sdist --wheel --outdir "$WORK/dist" . >"$WORK/build.log" 2>&1 \
    || { tail -30 "$WORK/build.log"; echo "build failed"; exit 1; }
"$TOOLS" -m twine check --strict "$WORK"/dist/*
wheel=$(ls "$WORK"/dist/*.whl)
# The wheel carries the typing marker and the licence.
"$TOOLS" - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
for want in ("keras_recipes/py.typed", "keras_recipes_cli.py"):
    assert want in names, f"{want} missing from the wheel"
assert any(n.endswith("licenses/LICENSE") for n in names), "LICENSE missing"
assert not any(n.startswith("tests/") for n in names), "tests in the wheel"
print(f"wheel ok: {len(names)} files")
PY

extras=$(echo $BACKENDS | tr ' ' ',')
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --upgrade pip >/dev/null 2>&1
"$WORK/venv/bin/pip" install -q "$wheel[$extras]" \
    || { echo "installing the wheel failed"; exit 1; }
echo "wheel installed: $(( $(date +%s) - start ))s"

cd "$WORK"
for backend in $BACKENDS; do
    KERAS_BACKEND=$backend PYTHONPATH= "$WORK/venv/bin/python" - "$ROOT" <<'PY'
import importlib.metadata
import os
import sys

import keras
import numpy as np

import keras_recipes

root = os.path.realpath(sys.argv[1])
where = os.path.realpath(keras_recipes.__file__)
assert not where.startswith(root + os.sep), f"imported from the tree: {where}"
version = importlib.metadata.version("keras-recipes")
assert keras_recipes.__version__ == version, (keras_recipes.__version__,
                                              version)
rng = np.random.default_rng(0)
x = rng.uniform(0, 255, size=(64, 8, 8, 1)).astype("float32")
y = rng.integers(0, 3, size=64)
model = keras.Sequential([
    keras.Input((8, 8, 1)),
    keras_recipes.augment.RandomErasing(probability=0.5, seed=0),
    keras.layers.Rescaling(1 / 255),
    keras.layers.Flatten(),
    keras.layers.Dense(3),
])
model.compile("adam", loss=keras_recipes.losses.FocalLoss(from_logits=True))
history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
loss = history.history["loss"][-1]
assert np.isfinite(loss), loss
print(f"{keras.backend.backend()}: keras-recipes {version} from the wheel, "
      f"one epoch, loss {loss:.4f}")
PY
done
echo "wheel check: $(( $(date +%s) - start ))s"
