#!/usr/bin/env bash
# Install everything into a fresh virtual environment and run the whole test
# suite once per Keras backend, each in its own process.
#   bash scripts/test.sh                 # all three backends
#   BACKENDS="jax" bash scripts/test.sh  # one backend
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-test}
BACKENDS=${BACKENDS-"tensorflow jax torch"}
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1 MPLBACKEND=Agg

start=$(date +%s)
python3 -m venv --clear "$VENV" || exit 1
"$VENV/bin/pip" install -q --upgrade pip >/dev/null 2>&1
"$VENV/bin/pip" install -q -e ".[test,tensorflow,jax,torch,tracking,tuning,plots,imbalance,docs]" \
    || { echo "install failed"; exit 1; }
# Debian packages: real Fashion-MNIST for the end-to-end tests, and Chromium
# for the test that opens the HTML evaluation report headless.
apt_missing=""
[ -d /usr/share/datasets/fashion-mnist ] || apt_missing="dataset-fashion-mnist"
command -v chromium >/dev/null || apt_missing="$apt_missing chromium"
if [ -n "$apt_missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null
then
    (apt-get update -qq && apt-get install -y -qq $apt_missing) \
        >/dev/null 2>&1 || echo "note: could not apt-get install $apt_missing"
fi
echo "install: $(( $(date +%s) - start ))s"

status=0
for backend in $BACKENDS; do
    t0=$(date +%s)
    echo "=== KERAS_BACKEND=$backend"
    KERAS_BACKEND=$backend "$VENV/bin/python" -m pytest -q -n 2 \
        --durations=15 -p no:randomly tests || status=1
    echo "=== $backend: $(( $(date +%s) - t0 ))s"
done
# The release check: build the wheel and sdist, twine check, and train from
# the installed wheel in a fresh venv on each backend.
t0=$(date +%s)
echo "=== wheel"
TOOLS="$VENV/bin/python" BACKENDS="$BACKENDS" bash scripts/check_wheel.sh \
    || status=1
echo "=== wheel: $(( $(date +%s) - t0 ))s"
echo "total: $(( $(date +%s) - start ))s"
exit $status
