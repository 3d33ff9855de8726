import builtins

import numpy as np
import pytest

import chainrule as cr
from chainrule import threads

pytest.importorskip("threadpoolctl")


def test_set_and_get_num_threads_round_trip():
    before = cr.get_num_threads()
    try:
        cr.set_num_threads(1)
        assert cr.get_num_threads() == 1
        a = np.ones((64, 64), np.float32)
        np.testing.assert_allclose(a @ a, 64.0)  # products still work, on one thread
    finally:
        cr.set_num_threads(before)
    assert cr.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="positive int"):
        cr.set_num_threads(bad)


def test_missing_threadpoolctl_says_what_to_install(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "threadpoolctl":
            raise ImportError("hidden")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(threads, "_controller", None)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match="pip install threadpoolctl"):
        cr.get_num_threads()


def test_cli_threads_option_sets_blas_threads(tmp_path, monkeypatch):
    from chainrule.cli import main

    calls = []
    monkeypatch.setattr(cr, "set_num_threads", calls.append)
    assert main(["train", "--dataset", "xor", "--epochs", "1", "--subset", "64", "--threads", "1", "--quiet",
                 "--out", str(tmp_path)]) == 0
    assert calls == [1]


class FakeBlas:
    filepath = "numpy.libs/libopenblas.so"

    def __init__(self, n=2):
        self.num_threads = n
        self.calls = []

    def get_num_threads(self):
        return self.num_threads

    def set_num_threads(self, n):
        self.calls.append(n)
        self.num_threads = n


def _governor(monkeypatch, usage):
    """A governor over a fake 2-core machine whose other processes use ``usage[i]`` cores in window i."""
    clock = {"t": 0.0, "busy": 0.0, "ours": 0.0, "i": 0}

    def fake_cpu_seconds(cpus):
        return clock["busy"], clock["ours"]

    def advance(window=0.25):
        others = usage[min(clock["i"], len(usage) - 1)]
        clock["i"] += 1
        clock["t"] += window
        clock["ours"] += window * 1.0
        clock["busy"] += window * (1.0 + others)

    monkeypatch.setattr(threads, "_cpu_seconds", fake_cpu_seconds)
    monkeypatch.setattr(threads.time, "monotonic", lambda: clock["t"])
    g = threads.Governor()
    g.enabled = True
    g.cpus, g.lib = [0, 1], FakeBlas(2)
    g.threads = g.max_threads = 2
    g.check()  # the first sample
    return g, advance


def test_governor_drops_to_one_thread_at_once_when_another_process_takes_a_core(monkeypatch):
    g, advance = _governor(monkeypatch, [0.0, 1.0, 1.0])
    advance()
    g.check()
    assert g.lib.num_threads == 2  # calm: both cores
    advance()
    g.check()
    assert g.lib.num_threads == 1 and g.lib.calls == [1]  # a core taken: one thread at the first check


def test_governor_restores_threads_only_after_a_calm_second(monkeypatch):
    g, advance = _governor(monkeypatch, [1.0] + [0.0] * 10)
    advance()
    g.check()
    assert g.lib.num_threads == 1
    for _ in range(g.calm_checks - 1):  # a short lull is not enough
        advance()
        g.check()
        assert g.lib.num_threads == 1
    advance()
    g.check()
    assert g.lib.num_threads == 2 and g.lib.calls == [1, 2]


def test_governor_ignores_a_little_background_load(monkeypatch):
    g, advance = _governor(monkeypatch, [0.2] * 6)
    for _ in range(6):
        advance()
        g.check()
    assert g.lib.calls == []


def test_governor_only_checks_once_per_interval(monkeypatch):
    g, advance = _governor(monkeypatch, [1.0])
    advance(0.05)  # sooner than the first interval (0.1 s): poll does nothing
    g.poll()
    assert g.lib.calls == []
    advance(0.25)
    g.poll()
    assert g.lib.calls == [1]


def test_governor_stands_down_when_someone_else_sets_the_count(monkeypatch):
    g, advance = _governor(monkeypatch, [1.0])
    g.lib.num_threads = 1  # e.g. threadpoolctl's threadpool_limits in user code
    g.threads = 2
    advance()
    g.check()
    assert not g.enabled and g.lib.calls == []


def test_set_num_threads_turns_the_governor_off(monkeypatch):
    monkeypatch.setattr(threads.governor, "enabled", True)
    before = cr.get_num_threads()
    try:
        cr.set_num_threads(before)
        assert threads.governor.enabled is False
    finally:
        cr.set_num_threads(before)


THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "CHAINRULE_ADAPT_THREADS")


@pytest.mark.parametrize("env", THREAD_ENV)
def test_an_explicit_thread_setting_in_the_environment_turns_the_governor_off(monkeypatch, env):
    for name in THREAD_ENV:
        monkeypatch.delenv(name, raising=False)  # conftest.py turns the governor off for the other tests
    assert threads.Governor().enabled is True
    monkeypatch.setenv(env, "1" if env != "CHAINRULE_ADAPT_THREADS" else "0")
    assert threads.Governor().enabled is False


def test_cpu_seconds_reads_this_machine():
    import os

    if not os.path.exists("/proc/stat"):
        pytest.skip("no /proc/stat here; the governor stays off")
    busy, ours = threads._cpu_seconds(sorted(os.sched_getaffinity(0)))
    sum(i * i for i in range(200_000))  # burn a little CPU
    busy2, ours2 = threads._cpu_seconds(sorted(os.sched_getaffinity(0)))
    assert busy2 >= busy >= 0 and ours2 >= ours > 0


def test_governor_switches_itself_off_when_proc_stat_cannot_be_read(monkeypatch):
    g, advance = _governor(monkeypatch, [1.0])

    def broken(cpus):
        raise OSError("no /proc here")

    monkeypatch.setattr(threads, "_cpu_seconds", broken)
    advance()
    g.poll()  # must not raise inside a matrix product
    assert not g.enabled and g.lib.calls == []
