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
    with pytest.raises(ImportError, match=r"chainrule\[threads\]"):
        cr.get_num_threads()


def test_cli_threads_option_sets_blas_threads(tmp_path, monkeypatch):
    from chainrule.cli import main

    calls = []
    monkeypatch.setattr(cr, "set_num_threads", calls.append)
    assert main(["train", "--dataset", "xor", "--epochs", "1", "--subset", "64", "--threads", "1", "--quiet",
                 "--out", str(tmp_path)]) == 0
    assert calls == [1]
