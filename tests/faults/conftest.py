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
