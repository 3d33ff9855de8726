"""``set_num_threads`` / ``get_num_threads``: how many threads NumPy's BLAS uses, as in PyTorch.

The matrix products run on BLAS (OpenBLAS in NumPy's wheels). On an idle machine two threads make
them about twice as fast; on a busy one, threads waiting for a core another process holds make
them 20-40 times slower (``docs/performance.md``). ``set_num_threads(1)`` avoids that cliff.
The library that finds and sets BLAS thread pools is threadpoolctl (scikit-learn's), an optional
extra (``pip install chainrule[threads]``, included in ``all``).
"""

from __future__ import annotations

_controller = None
_MAX_THREADS = 2**16


def _blas():
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            raise ImportError(
                "set_num_threads / get_num_threads need threadpoolctl: pip install chainrule[threads] "
                "(or start Python with OPENBLAS_NUM_THREADS=1)"
            ) from None
        _controller = ThreadpoolController()
    return _controller.select(user_api="blas")


def set_num_threads(num_threads: int) -> None:
    """Use ``num_threads`` threads for matrix products (BLAS), like ``torch.set_num_threads``.

    >>> chainrule.set_num_threads(1)    # steady speed on a machine shared with other jobs
    """
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {num_threads!r}")
    if num_threads > _MAX_THREADS:  # BLAS takes a C int; far fewer threads than this are ever useful
        raise ValueError(f"set_num_threads: expected at most {_MAX_THREADS} threads, got {num_threads}")
    _blas().limit(limits=num_threads)


def get_num_threads() -> int:
    """The number of threads matrix products use (the largest over the BLAS libraries loaded)."""
    info = _blas().info()
    return max((lib["num_threads"] for lib in info), default=1)
