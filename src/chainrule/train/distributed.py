"""``fit`` under ``mpirun -n K``: data parallelism with the same steps as one process.

Every rank loads the same global batch (same seed, same order, same augmentation) and trains on its
slice of it, rows ``[r*B/K, (r+1)*B/K)``; the gradients are averaged over the ranks, weighted by the
slices' sizes, so every rank takes the step one process would take on the whole batch, and the
models stay equal. The loss and the metrics are summed over the ranks every step, so every rank holds
the logs (and the running means a checkpoint saves) of one process: callbacks decide the same on all
ranks, the non-finite guard stops all ranks at the same step, and resuming works with the same K.
Only rank 0 prints and writes checkpoints. Validation runs whole on every rank (its cost is not divided).
"""

from __future__ import annotations

import contextlib
import os

import numpy as np

from chainrule import distributed as dist

from .running import RunningMeans

_SIZE_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")


def launched_by_mpirun() -> bool:
    """Whether this process is one of several that ``mpirun`` started (read from its environment)."""
    for name in _SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 1:
            return True
    return False


_local = False  # True inside ``local_training()``: this rank trains alone (a parallel search's trial)


@contextlib.contextmanager
def local_training():
    """Within this context, ``fit`` and ``chainrule train``'s code train in this process alone even under
    ``mpirun`` (no data parallelism, and this rank prints and writes as a single process would): a
    parallel search runs one whole trial per rank this way."""
    global _local
    before, _local = _local, True
    try:
        yield
    finally:
        _local = before


def auto_init() -> bool:
    """Join the MPI process group when started by ``mpirun -n K`` (K > 1); True if a group of K > 1 is up."""
    if _local:
        return False
    if not dist.is_initialized() and launched_by_mpirun():
        dist.init_process_group("mpi")
    return dist.is_initialized() and dist.get_world_size() > 1


class DataParallelFit:
    """The per-step collectives ``fit`` adds when running on several ranks."""

    def __init__(self, model, optimizer):
        from chainrule.autograd.grad_mode import no_grad
        from chainrule.nn.parallel import make_buckets

        self.rank, self.size = dist.get_rank(), dist.get_world_size()
        with no_grad():  # all ranks start from rank 0's weights (optimizer state is empty or restored equal)
            for p in model.parameters():
                dist.broadcast(p, 0)
            for b in model.buffers():
                dist.broadcast(b, 0)
        params = [p for group in optimizer.param_groups for p in group["params"] if p.requires_grad]
        self.buckets = make_buckets(params, 25 * 1024 * 1024)
        self.weight = 1.0

    def seed(self, seed):
        """The run's seed, the same on every rank (rank 0 draws one when none is given)."""
        import chainrule as cr

        value = cr.tensor([-1 if seed is None else int(seed)], dtype=cr.int64)
        if seed is None and self.rank == 0:
            value._data[0] = int(np.random.default_rng().integers(2**31))
        dist.broadcast(value, 0)
        return int(value._data[0])

    def shard(self, x, y):
        """This rank's rows of the global batch ``(x, y)`` (an empty slice when the batch has fewer rows than ranks)."""
        n = len(y)
        lo, hi = n * self.rank // self.size, n * (self.rank + 1) // self.size
        self.weight = (hi - lo) * self.size / n if n else 0.0
        return x[lo:hi], y[lo:hi]

    def update(self, running: RunningMeans, loss_value: float, output, y) -> float:
        """Add this step's loss and metrics summed over the ranks to ``running``; return the global batch's loss."""
        local = RunningMeans(running.requested, running.metrics)
        if len(y):
            local.update(loss_value, output, y)
        if running.metrics is None:
            running.metrics = local.metrics
        k = len(running.metrics or ())
        sums = local.sums or [0.0] * k
        counts = local.counts or [0] * k
        from chainrule.tensor import Tensor

        vec = np.array([local.n, local.loss, *sums, *counts], dtype=np.float64)
        dist.all_reduce(Tensor._wrap(vec))
        n, loss = int(vec[0]), float(vec[1])
        running.n += n
        running.loss += loss
        if k:
            if running.sums is None:
                running.sums, running.counts = [0.0] * k, [0] * k
            for i in range(k):
                running.sums[i] += float(vec[2 + i])
                running.counts[i] += int(vec[2 + k + i])
        return loss / n if n else float("nan")

    def average_gradients(self) -> None:
        from chainrule.nn.parallel import average_gradients

        if self.weight == 0:  # no rows on this rank (a last batch smaller than K): contribute nothing
            for _, params, _ in self.buckets:
                for p in params:
                    p.grad = None
        average_gradients(self.buckets, self.weight)


def is_rank_zero() -> bool:
    """True in a single process and on rank 0 of a group: the process that prints and writes files."""
    return _local or not dist.is_initialized() or dist.get_rank() == 0
