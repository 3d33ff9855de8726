import signal

import pytest


@pytest.fixture
def no_hang():
    """Fail (instead of hanging forever) if the test blocks for more than 10 s, e.g. reading a FIFO."""
    def timeout(signum, frame):
        raise TimeoutError("blocked for 10 s (a FIFO opened for reading?)")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


TOY = ["train", "--dataset", "xor", "--subset", "40", "--epochs", "1", "--hidden", "4", "--quiet"]


@pytest.fixture(scope="session")
def toy_run(tmp_path_factory):
    """A finished `chainrule train` run folder on a toy set (trained once per session); copy it before damaging it."""
    from chainrule.cli import main

    out = tmp_path_factory.mktemp("toy-runs")
    assert main([*TOY, "--out", str(out), "--name", "good"]) == 0
    return out / "good"
