"""How many threads NumPy's BLAS uses: ``set_num_threads`` / ``get_num_threads`` as in PyTorch, and
an adaptive default that keeps training steady when another process takes a core.

The matrix products run on BLAS (OpenBLAS in NumPy's wheels). On an idle 2-core machine two threads
make an MLP's products about 1.8 times as fast as one. But when another process keeps a core busy,
each product waits for the thread that shares a core with it (the scheduler hands out milliseconds,
the product needs tens of microseconds), and epochs get 5-40 times slower (``docs/performance.md``).

So by default chainrule watches the machine: every quarter second of wall time (checked from the
matrix-product ops, at the cost of one clock read per call), it reads how much CPU time *other*
processes used on the cores this process may run on (``/proc/stat`` minus our own ``os.times()``),
and gives BLAS only the cores that are free: fewer threads at once when another process takes a
core, the default again after about a second of calm. ``set_num_threads(n)``, ``--threads N``,
``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` or ``CHAINRULE_ADAPT_THREADS=0`` fix the count instead.
Thread pools are found with threadpoolctl (scikit-learn's); without it, or off Linux, BLAS keeps
its own default.
"""

from __future__ import annotations

import math
import os
import time

_controller = None


def _blas():
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            raise ImportError(
                "set_num_threads / get_num_threads need threadpoolctl, one of chainrule's dependencies: "
                "pip install threadpoolctl "
                "(or start Python with OPENBLAS_NUM_THREADS=1)"
            ) from None
        _controller = ThreadpoolController()
    return _controller.select(user_api="blas")


def set_num_threads(num_threads: int) -> None:
    """Use ``num_threads`` threads for matrix products (BLAS), like ``torch.set_num_threads``.

    This also turns off the adaptive default (see the module's docstring).

    >>> chainrule.set_num_threads(1)    # one thread, whatever the machine's load
    """
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {num_threads!r}")
    governor.enabled = False
    _blas().limit(limits=num_threads)


def get_num_threads() -> int:
    """The number of threads matrix products use (the largest over the BLAS libraries loaded)."""
    info = _blas().info()
    return max((lib["num_threads"] for lib in info), default=1)


class Governor:
    """Gives NumPy's BLAS as many threads as there are free cores, re-checked every ``interval`` s.

    ``poll()`` is called before large matrix products; it returns at once unless ``interval`` has
    passed. Fewer threads take effect at the first check that sees a busy core; more threads only
    after ``calm_checks`` checks in a row agree, so a short burst elsewhere does not flip-flop.
    """

    interval = 0.25  # seconds of wall time between checks (the first after 0.1 s)
    calm_checks = 4  # checks in a row that must see free cores before threads are added back
    margin = 0.3  # a core counts as taken when other processes use more than this fraction of it

    def __init__(self):
        self.enabled = os.environ.get("CHAINRULE_ADAPT_THREADS", "1") != "0" and not any(
            os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"))
        self.next_check = 0.0
        self.lib = None  # NumPy's BLAS (threadpoolctl's controller for it), found on the first poll
        self.last = None  # (wall time, busy CPU seconds on our cores, our CPU seconds)
        self.calm = 0
        self.switches = 0  # how many times the count changed (for tests and benchmarks)

    def poll(self) -> None:
        if self.enabled and time.monotonic() >= self.next_check:
            self.check()

    def check(self) -> None:
        now = time.monotonic()
        self.next_check = now + self.interval
        if self.lib is None and not self._start():
            return
        try:
            sample = (now, *_cpu_seconds(self.cpus))
        except (OSError, ValueError, IndexError):  # /proc gone or unreadable: leave BLAS as it is
            self.enabled = False
            return
        if self.last is None:
            self.last, self.next_check = sample, now + 0.1
            return
        wall, busy, ours = (b - a for a, b in zip(self.last, sample))
        self.last = sample
        if wall <= 0:
            return
        others = max(0.0, (busy - ours) / wall)  # cores' worth of CPU other processes used
        want = max(1, min(self.max_threads, len(self.cpus) - math.ceil(others - self.margin)))
        self.apply(want)

    def apply(self, want: int) -> None:
        """Set the thread count to ``want`` now if that is fewer, after ``calm_checks`` agreeing checks if more."""
        current = self.threads
        if self.lib.get_num_threads() != current:  # someone else set the count: leave it to them
            self.enabled = False
            return
        if want > current:
            self.calm += 1
            if self.calm < self.calm_checks:
                return
        self.calm = 0
        if want != current:
            self.lib.set_num_threads(want)
            self.threads = want
            self.switches += 1

    def _start(self) -> bool:
        """Find NumPy's BLAS and the cores we may use; False (and stay off) where that is impossible."""
        try:
            self.cpus = sorted(os.sched_getaffinity(0))
            _cpu_seconds(self.cpus)
            from threadpoolctl import ThreadpoolController
        except (ImportError, OSError, AttributeError, ValueError):
            self.enabled = False
            return False
        blas = ThreadpoolController().select(user_api="blas").lib_controllers
        # NumPy's own BLAS (its wheels bundle one), not one another library loaded; else the only one
        libs = [lc for lc in blas if "numpy" in lc.filepath] or (blas if len(blas) == 1 else [])
        if not libs or libs[0].num_threads <= 1 or len(self.cpus) <= 1:
            self.enabled = False
            return False
        self.lib = libs[0]
        self.threads = self.max_threads = libs[0].num_threads
        return True


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(cpus):
    """(busy seconds of the machine's cores in ``cpus``, this process's CPU seconds), from /proc/stat."""
    with open("/proc/stat", "rb") as f:
        text = f.read()
    busy = 0
    wanted = {b"cpu%d" % c for c in cpus}
    for line in text.split(b"\n"):
        if not line.startswith(b"cpu"):
            break
        fields = line.split()
        if fields[0] in wanted:  # user nice system idle iowait irq softirq steal ...
            v = [int(x) for x in fields[1:9]]
            busy += v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    t = os.times()
    return busy / _TICK, t.user + t.system


governor = Governor()
poll = governor.poll
