#!/usr/bin/env bash
# Install keras-recipes into a fresh virtual environment and train a small CNN
# on real Fashion-MNIST with FocalLoss + label smoothing; prints test accuracy.
#   bash scripts/quickstart.sh                     # JAX backend, 2 epochs
#   KERAS_BACKEND=torch EPOCHS=1 bash scripts/quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
BACKEND=${KERAS_BACKEND:-jax}
case "$BACKEND" in
    tensorflow|jax|torch) ;;
    *) echo "KERAS_BACKEND must be tensorflow, jax or torch, got '$BACKEND'"; exit 2;;
esac
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q -e ".[$BACKEND]"
if [ ! -d /usr/share/datasets/fashion-mnist ] && [ -z "${KERAS_RECIPES_DATA:-}" ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null
    else
        echo "Fashion-MNIST not found: run 'sudo apt-get install dataset-fashion-mnist'"
        echo "or set KERAS_RECIPES_DATA to a folder holding the four .gz files."
        exit 1
    fi
fi
KERAS_BACKEND=$BACKEND TF_CPP_MIN_LOG_LEVEL=2 "$VENV/bin/python" \
    examples/quickstart_fashion_mnist.py --epochs "${EPOCHS:-2}"
