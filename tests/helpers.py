"""Small data, models and snapshots shared by the training tests (also as fixtures in conftest.py).

>>> X, y = blobs(64)                 # two separable 2-D blobs: float32 inputs, int64 labels
>>> model = mlp(hidden=8)            # Linear(2, 8), ReLU, Linear(8, 2), seeded
>>> before = weights(model)          # a copy of the state dict as NumPy arrays
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import distributed as dist
from chainrule import nn


def blobs(n: int = 96, seed: int = 0, spread: float = 2.0):
    """Two separable Gaussian blobs in 2-D, centred at +-spread: float32 inputs, int64 labels in {0, 1}."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 2)) + spread * np.where(y[:, None] == 1, 1.0, -1.0)
    return X.astype(np.float32), y.astype(np.int64)


def mlp(*middle, hidden: int = 16, seed: int = 0, dropout: float = 0.0):
    """``Linear(2, hidden), *middle, ReLU, [Dropout], Linear(hidden, 2)``, initialised after ``manual_seed(seed)``."""
    cr.manual_seed(seed)
    layers = [nn.Linear(2, hidden), *middle, nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else [])
    return nn.Sequential(*layers, nn.Linear(hidden, 2))


def weights(model) -> dict:
    """A copy of ``model.state_dict()`` as NumPy arrays (to compare before and after)."""
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


WORKER = Path(__file__).resolve().parent / "distributed_worker.py"


def mpirun(*args, n=2, timeout=120, script=WORKER):
    """Run ``python script args`` (``python args`` if script is None) on ``n`` ranks.

    Skips when MPI is missing; fails on timeout, after killing every rank.
    """
    exe = shutil.which("mpirun")
    if exe is None:
        pytest.skip("mpirun not found: apt-get install openmpi-bin libopenmpi-dev (setup.sh --test does it as root)")
    if not dist.is_mpi_available():
        pytest.skip("mpi4py not installed: pip install 'chainrule[mpi]'")
    cmd = [exe, "-n", str(n), "--oversubscribe"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent / "src"), OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    cmd += [sys.executable, *([] if script is None else [str(script)]), *map(str, args)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        what = script.name if script is not None else ""
        pytest.fail(f"mpirun -n {n} {what} {args} hung over {timeout} s (a collective never completed):\n{out}")
    return proc.returncode, out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@contextlib.contextmanager
def serve_folder(folder):
    """Serve ``folder`` on 127.0.0.1 (a free port) for download tests: yields ``(url, requests)``, the
    paths asked for landing in ``requests`` in order."""
    requests = []

    class Handler(_QuietHandler):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
