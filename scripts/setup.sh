#!/usr/bin/env bash
# Set up chainrule in ./.venv on a fresh machine.
#   bash scripts/setup.sh          library (NumPy, numba, threadpoolctl) + plotting/image/safetensors extras
#   bash scripts/setup.sh --test   the same plus the test tools and the PyTorch oracle (pinned)
# Fashion-MNIST: where the Debian/Ubuntu package `dataset-fashion-mnist` can be installed (as root),
# it is; otherwise chainrule downloads the files on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="all"
[ "${1:-}" = "--test" ] && extras="all,test"

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install --quiet -e ".[${extras}]"

if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; } \
    || echo "note: could not install dataset-fashion-mnist; chainrule will download Fashion-MNIST instead" >&2
fi
echo "chainrule is set up in .venv"
