"""Collective communication across processes, with ``torch.distributed``'s names, on MPI (mpi4py).

MPI does the networking (Open MPI through the ``mpi`` extra: ``pip install chainrule[mpi]``, and the
Debian packages ``openmpi-bin libopenmpi-dev``); this module only maps PyTorch's calls onto it. Start
K processes with ``mpirun -n K python train.py``; every process calls ``init_process_group("mpi")``.

Collectives work in place on a tensor's NumPy buffer (no copy when it is contiguous and writable),
block until done (``async_op=True`` is not supported) and return None, as PyTorch's do.

>>> import chainrule as torch, chainrule.distributed as dist  # doctest: +SKIP
>>> dist.init_process_group(backend="mpi")  # doctest: +SKIP
>>> t = torch.ones(3) * (dist.get_rank() + 1)  # doctest: +SKIP
>>> dist.all_reduce(t, op=dist.ReduceOp.SUM)  # doctest: +SKIP
>>> t  # with 2 ranks  # doctest: +SKIP
tensor([3., 3., 3.])
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ReduceOp", "is_available", "is_initialized", "is_mpi_available", "init_process_group", "destroy_process_group",
    "get_rank", "get_world_size", "get_backend", "barrier", "all_reduce", "broadcast", "all_gather",
]

_comm = None  # the MPI communicator once init_process_group has run


class ReduceOp:
    """How ``all_reduce`` combines the tensors: ``SUM``, ``AVG`` (floating point), ``MAX``, ``MIN``, ``PRODUCT``."""

    SUM = "sum"
    AVG = "avg"
    MAX = "max"
    MIN = "min"
    PRODUCT = "product"


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ImportError("chainrule.distributed needs mpi4py and an MPI runtime: pip install 'chainrule[mpi]' "
                          "(and apt-get install openmpi-bin libopenmpi-dev)") from e
    return MPI


def is_available() -> bool:
    """True: the module exists (the MPI backend itself may still be missing, see ``is_mpi_available``)."""
    return True


def is_mpi_available() -> bool:
    """Whether mpi4py (and so the ``"mpi"`` backend) can be imported."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_initialized() -> bool:
    """Whether ``init_process_group`` has been called (and ``destroy_process_group`` not since)."""
    return _comm is not None


def init_process_group(backend: str | None = "mpi", init_method=None, timeout=None, world_size: int = -1,
                       rank: int = -1, store=None, group_name: str = "") -> None:
    """Join the process group of all processes ``mpirun`` started.

    Args:
        backend (str): only ``"mpi"`` (``None`` means it too). MPI knows the rank and the world size
            itself, so ``world_size`` and ``rank``, if given, must agree with it.
        init_method, timeout, store, group_name: accepted for PyTorch compatibility; MPI ignores them.

    >>> dist.init_process_group("mpi")  # doctest: +SKIP
    """
    global _comm
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(f"init_process_group: chainrule supports backend='mpi' only, got {backend!r}")
    if _comm is not None:
        raise RuntimeError("init_process_group: trying to initialize the default process group twice!")
    comm = _mpi().COMM_WORLD
    if world_size not in (-1, comm.Get_size()):
        raise ValueError(f"init_process_group: world_size={world_size} but mpirun started {comm.Get_size()} processes")
    if rank not in (-1, comm.Get_rank()):
        raise ValueError(f"init_process_group: rank={rank} but MPI says this process is rank {comm.Get_rank()}")
    _comm = comm


def destroy_process_group(group=None) -> None:
    """Leave the process group. MPI itself stays up until the process exits (it cannot be started twice)."""
    global _comm
    _comm = None


def _group():
    if _comm is None:
        raise RuntimeError("Default process group has not been initialized, please make sure to call "
                           "init_process_group.")
    return _comm


def get_backend(group=None) -> str:
    """``"mpi"``."""
    _group()
    return "mpi"


def get_rank(group=None) -> int:
    """This process's rank, 0 … world_size - 1."""
    return _group().Get_rank()


def get_world_size(group=None) -> int:
    """The number of processes in the group."""
    return _group().Get_size()


def barrier(group=None, async_op: bool = False, device_ids=None) -> None:
    """Wait until every rank has reached this call."""
    _sync(async_op, "barrier")
    _group().Barrier()


def _sync(async_op, where):
    if async_op:
        raise NotImplementedError(f"{where}: async_op=True is not supported by chainrule's MPI backend")


def _buffer(tensor, where):
    """The tensor's array, and whether it can be handed to MPI directly (contiguous and writable)."""
    arr = getattr(tensor, "_data", None)
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{where}: expected a chainrule Tensor, got {type(tensor).__name__}")
    return arr, arr.flags.c_contiguous and arr.flags.writeable


def _mpi_op(op, where):
    MPI = _mpi()
    table = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.MAX: MPI.MAX, ReduceOp.MIN: MPI.MIN,
             ReduceOp.PRODUCT: MPI.PROD}
    if op not in table:
        raise ValueError(f"{where}: op must be a ReduceOp (SUM, AVG, MAX, MIN, PRODUCT), got {op!r}")
    return table[op]


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False) -> None:
    """Combine ``tensor`` over all ranks with ``op``; every rank gets the result, written into ``tensor``.

    Args:
        tensor (Tensor): input and output; its buffer is reduced in place when contiguous.
        op (ReduceOp): ``SUM`` (default), ``AVG``, ``MAX``, ``MIN`` or ``PRODUCT``.

    >>> dist.all_reduce(t, op=dist.ReduceOp.AVG)  # doctest: +SKIP
    """
    _sync(async_op, "all_reduce")
    comm, mpi_op = _group(), _mpi_op(op, "all_reduce")
    arr, direct = _buffer(tensor, "all_reduce")
    if op == ReduceOp.AVG and arr.dtype.kind not in "fc":
        raise RuntimeError(f"all_reduce: ReduceOp.AVG needs a floating point tensor, got {arr.dtype}")
    buf = arr if direct else np.ascontiguousarray(arr)
    comm.Allreduce(_mpi().IN_PLACE, buf, op=mpi_op)
    if op == ReduceOp.AVG:
        buf /= comm.Get_size()
    if not direct:
        _write_back(tensor, arr, buf)


def _write_back(tensor, arr, buf):
    if arr.flags.writeable:
        np.copyto(arr, buf)
    else:  # a read-only buffer (e.g. np.broadcast_to): the tensor takes the new array
        tensor._data = buf


def broadcast(tensor, src: int = 0, group=None, async_op: bool = False) -> None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank (same shape and dtype everywhere)."""
    _sync(async_op, "broadcast")
    comm = _group()
    if not 0 <= int(src) < comm.Get_size():
        raise ValueError(f"broadcast: src must be a rank in 0..{comm.Get_size() - 1}, got {src}")
    arr, direct = _buffer(tensor, "broadcast")
    buf = arr if direct else np.ascontiguousarray(arr)
    comm.Bcast(buf, root=int(src))
    if not direct:
        _write_back(tensor, arr, buf)


def all_gather(tensor_list, tensor, group=None, async_op: bool = False) -> None:
    """Fill ``tensor_list[r]`` with rank r's ``tensor``, on every rank.

    Args:
        tensor_list (list of Tensor): ``world_size`` tensors shaped like ``tensor``, overwritten.
        tensor (Tensor): this rank's contribution.
    """
    _sync(async_op, "all_gather")
    comm = _group()
    arr, _ = _buffer(tensor, "all_gather")
    if len(tensor_list) != comm.Get_size():
        raise ValueError(f"all_gather: tensor_list must hold world_size={comm.Get_size()} tensors, "
                         f"got {len(tensor_list)}")
    for t in tensor_list:
        out, _ = _buffer(t, "all_gather")
        if out.shape != arr.shape or out.dtype != arr.dtype:
            raise ValueError(f"all_gather: every output must be {tuple(arr.shape)} {arr.dtype} like the input, "
                             f"got {tuple(out.shape)} {out.dtype}")
    recv = np.empty((comm.Get_size(),) + arr.shape, dtype=arr.dtype)
    comm.Allgather(np.ascontiguousarray(arr), recv)
    for t, part in zip(tensor_list, recv):
        _write_back(t, t._data, part)


def _rank_or_zero() -> int:
    """This process's rank when a group is up, else 0 (for "only rank 0 prints" decisions)."""
    return _comm.Get_rank() if _comm is not None else 0
