"""Under ``mpirun -n K`` every rank parses the same command line: only rank 0 should print its errors."""

from __future__ import annotations

import contextlib
import io
import os
import time

_RANK_VARIABLES = ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK")


def launcher_rank() -> int:
    """This process's rank as ``mpirun`` set it in the environment (0 when not started by mpirun)."""
    for name in _RANK_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 0


def parse_on_rank_zero(parse, *args):
    """``parse(*args)`` (an argparse method); on a rank other than 0 its usage errors are not printed, since
    rank 0 prints the same one. Such a rank waits a moment before exiting, because mpirun ends every rank
    once one exits non-zero, and rank 0 must get to print first."""
    if launcher_rank() == 0:
        return parse(*args)
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stderr(buffer):
            return parse(*args)
    except SystemExit:
        time.sleep(1.0)
        raise
