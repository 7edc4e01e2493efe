#!/usr/bin/env bash
# The main job from scratch: install keras-recipes into a fresh virtual
# environment, fetch Fashion-MNIST if it is missing, and run
# `keras-recipes train` (small_resnet, the `standard` recipe, tracked in a
# local SQLite MLflow store, with an HTML evaluation report).
#   bash scripts/quickstart.sh                      # JAX backend, 2 epochs
#   KERAS_BACKEND=torch EPOCHS=1 bash scripts/quickstart.sh
# The small example CNN of earlier versions is examples/quickstart_fashion_mnist.py.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
BACKEND=${KERAS_BACKEND:-jax}
case "$BACKEND" in
    tensorflow|jax|torch) ;;
    *) echo "KERAS_BACKEND must be tensorflow, jax or torch, got '$BACKEND'"; exit 2;;
esac
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q -e ".[$BACKEND,tracking,plots]"
if [ ! -d /usr/share/datasets/fashion-mnist ] && [ -z "${KERAS_RECIPES_DATA:-}" ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null
    else
        echo "Fashion-MNIST not found: run 'sudo apt-get install dataset-fashion-mnist'"
        echo "or set KERAS_RECIPES_DATA to a folder holding the four .gz files."
        exit 1
    fi
fi
"$VENV/bin/keras-recipes" train --dataset fashion_mnist --recipe standard \
    --epochs "${EPOCHS:-2}" --backend "$BACKEND"
