"""ops/_jit.load_kernels: every compiled fast path loads its kernels by one rule, or falls back to NumPy."""

import pytest

from chainrule.ops import _jit, matmul


def test_a_kernel_module_is_returned_after_its_warm_up_ran():
    seen = []
    kernels = _jit.load_kernels("chainrule.ops._jit", seen.append, "test kernels")
    assert kernels is _jit and seen == [_jit]


def test_the_switch_and_a_missing_module_mean_numpy_without_a_warning(monkeypatch, recwarn):
    monkeypatch.setenv("CHAINRULE_JIT", "0")
    assert _jit.load_kernels("chainrule.ops._jit", lambda k: None, "test kernels") is False
    monkeypatch.delenv("CHAINRULE_JIT")
    assert _jit.load_kernels("chainrule.ops._no_such_kernels", lambda k: None, "test kernels") is False
    assert not recwarn.list


def test_a_failing_warm_up_warns_once_naming_the_kernels_and_falls_back():
    def broken(k):
        raise RuntimeError("LLVM said no")

    with pytest.warns(RuntimeWarning, match=r"numba test kernels unavailable \(LLVM said no\); using NumPy"):
        assert _jit.load_kernels("chainrule.ops._jit", broken, "test kernels") is False


def test_a_fast_path_built_on_it_switches_off_with_chainrule_jit_0(monkeypatch):
    monkeypatch.setenv("CHAINRULE_JIT", "0")
    monkeypatch.setattr(matmul._kernels, "loaded", None)  # not tried yet
    assert matmul._kernels() is None
    monkeypatch.delenv("CHAINRULE_JIT")
    monkeypatch.setattr(matmul._kernels, "loaded", None)
    assert matmul._kernels() is None or hasattr(matmul._kernels(), "bias_relu_transposed")
