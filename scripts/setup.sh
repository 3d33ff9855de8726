#!/usr/bin/env bash
# Set up chainrule in ./.venv on a fresh machine.
#   bash scripts/setup.sh          library (NumPy, numba, threadpoolctl) + plotting/image/safetensors extras
#   bash scripts/setup.sh --test   the same plus the test tools and the PyTorch oracle (pinned), and
#                                  (as root, where apt-get exists) Debian's chromium for the playground's test
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
# The MPI runtime for chainrule.distributed and its multi-rank tests (mpi4py's wheel loads libmpi at
# run time): with --test, as root, when missing. Without it those tests skip and everything else works.
if [ "${1:-}" = "--test" ] && ! command -v mpirun >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq openmpi-bin libopenmpi-dev >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq openmpi-bin libopenmpi-dev >/dev/null 2>&1; } \
    || echo "note: could not install Open MPI; the multi-rank tests will be skipped" >&2
fi
.venv/bin/python -m pip install --quiet -e ".[${extras}]"

if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; } \
    || echo "note: could not install dataset-fashion-mnist; chainrule will download Fashion-MNIST instead" >&2
fi
# the playground's browser test drives the system's Chromium (Playwright's own download is not used)
if [ "${1:-}" = "--test" ] && ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
    && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq chromium >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; } \
    || echo "note: could not install chromium; the playground's browser test will be skipped" >&2
fi
echo "chainrule is set up in .venv"
