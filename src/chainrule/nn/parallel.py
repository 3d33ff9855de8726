"""``DistributedDataParallel``: data-parallel training over MPI ranks, as ``torch.nn.parallel``.

Every rank holds a full copy of the model and runs it on its own share of the batch. At construction
rank 0's parameters and buffers are broadcast, so all copies start equal; after each ``backward`` the
gradients are averaged over the ranks, so every rank's optimizer takes the same step and the copies
stay equal. With a loss that is a mean over the batch, K ranks with per-rank batch B/K then take the
same steps as one process with batch B (up to float rounding).

Gradients travel in buckets: parameters (in reverse registration order, roughly the order backward
finishes them) are grouped up to ``bucket_cap_mb``; each bucket's gradients are copied into one flat
buffer, all-reduced with one MPI call, and the parameters' ``.grad`` become views into it (no copy back).
BatchNorm running statistics stay per rank, as in PyTorch.
"""

from __future__ import annotations

import contextlib
import weakref

import numpy as np

from chainrule import distributed as dist
from chainrule.autograd import engine
from chainrule.autograd.grad_mode import is_grad_enabled, no_grad
from chainrule.nn.module import Module
from chainrule.tensor import Tensor

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """Wrap ``module`` so that its gradients are averaged over all ranks after every ``backward``.

    Args:
        module (Module): the model; the same architecture on every rank.
        device_ids, output_device, dim, process_group: accepted for PyTorch compatibility (CPU, one group).
        broadcast_buffers (bool): also copy rank 0's buffers at construction. Default: True.
        bucket_cap_mb (float): the largest gradient bucket, in MiB. Default: 25.
        find_unused_parameters (bool): accepted; a parameter without a gradient contributes zeros.

    Shape:
        Whatever ``module`` takes and returns.

    >>> dist.init_process_group("mpi")  # doctest: +SKIP
    >>> model = nn.parallel.DistributedDataParallel(nn.Linear(4, 2))  # doctest: +SKIP
    >>> model(x).pow(2).mean().backward()  # .grad is now the average over the ranks  # doctest: +SKIP
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=25, find_unused_parameters=False, **kwargs):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module, got {type(module).__name__}")
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: call chainrule.distributed.init_process_group('mpi') first")
        if not bucket_cap_mb or bucket_cap_mb <= 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be positive, got {bucket_cap_mb!r}")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.bucket_cap_mb = bucket_cap_mb
        self.require_backward_grad_sync = True
        self._pending = False
        with no_grad():
            for p in module.parameters():
                dist.broadcast(p, 0)
            if broadcast_buffers:
                for b in module.buffers():
                    dist.broadcast(b, 0)
        self._buckets = make_buckets([p for p in module.parameters() if p.requires_grad],
                                      int(bucket_cap_mb * 1024 * 1024))
        ref = weakref.ref(self)

        def after_backward():
            ddp = ref()
            if ddp is None:
                engine.post_backward_callbacks.remove(after_backward)
            elif ddp._pending:
                ddp._pending = False
                ddp._reduce_gradients()

        self._callback = after_backward
        engine.post_backward_callbacks.append(after_backward)

    def forward(self, *args, **kwargs):
        # the backward of this forward averages gradients unless inside no_sync()
        self._pending = self.require_backward_grad_sync and is_grad_enabled()
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Skip the averaging for backward passes of forwards run inside; gradients accumulate locally.

        The first forward/backward after the block averages the accumulated sum.

        >>> with ddp.no_sync():  # doctest: +SKIP
        ...     ddp(x1).sum().backward()
        >>> ddp(x2).sum().backward()  # averages the sum of both  # doctest: +SKIP
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def _reduce_gradients(self):
        average_gradients(self._buckets)

    def __del__(self):
        cb = self.__dict__.get("_callback")
        if cb is not None and cb in engine.post_backward_callbacks:
            engine.post_backward_callbacks.remove(cb)


def average_gradients(buckets, weight: float = 1.0) -> None:
    """Replace every parameter's ``.grad`` by the mean over the ranks of ``weight * .grad``, bucket by bucket.

    ``weight`` lets ranks whose batches differ in size contribute in proportion (``fit``'s last batch).
    """
    size = dist.get_world_size()
    for dtype, params, total in buckets:
        flat = np.empty(total, dtype=dtype)
        offset = 0
        for p in params:
            n = p._data.size
            if p.grad is None:  # unused in this forward: contributes zeros, as every rank must send the bucket
                flat[offset:offset + n] = 0
            else:
                flat[offset:offset + n] = p.grad._data.reshape(-1)
            offset += n
        dist.all_reduce(Tensor._wrap(flat), dist.ReduceOp.SUM)
        if weight != 1:
            flat *= weight / size
        elif size > 1:
            flat /= size
        offset = 0
        for p in params:  # the gradients become views into the reduced buffer: no copy back
            n = p._data.size
            p.grad = Tensor._wrap(flat[offset:offset + n].reshape(p._data.shape))
            offset += n


def make_buckets(params, cap_bytes):
    """(dtype, params, element count) groups in reverse registration order, each up to ``cap_bytes``."""
    buckets, current = [], {}
    for p in reversed(params):
        dtype = p._data.dtype
        group = current.setdefault(dtype, [[], 0])
        if group[0] and (group[1] + p._data.size) * dtype.itemsize > cap_bytes:
            buckets.append((dtype, group[0], group[1]))
            group = current[dtype] = [[], 0]
        group[0].append(p)
        group[1] += p._data.size
    buckets.extend((dtype, g[0], g[1]) for dtype, g in current.items() if g[0])
    return buckets
