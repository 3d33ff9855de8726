"""Memory after backward: a freed graph keeps its shape (links, leaves), never the intermediate arrays."""

import gc
import tracemalloc

import numpy as np

import chainrule as cr
from chainrule import nn, optim


def _retained_loss_growth(steps: int) -> int:
    """Bytes still allocated after a training loop that keeps every loss Tensor (``losses.append(loss)``)."""
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 256), nn.ReLU(), nn.Linear(256, 256), nn.Tanh(), nn.Linear(256, 10))
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    x = cr.randn(32, 32)
    y = cr.tensor(np.arange(32) % 10)
    losses = []

    def train_step():
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss)

    train_step()
    optimizer.zero_grad()  # gradient buffers are not what is measured
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(steps):
            train_step()
        optimizer.zero_grad()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(losses) == steps + 1
    return after - before


def test_keeping_losses_after_backward_does_not_keep_their_activations():
    # each step's activations are 32 x 256 float32 arrays, 32 KiB each: before the fix 200 retained
    # losses kept about 25 MiB alive; now only the graph's links remain (about 2 KiB per step)
    growth = _retained_loss_growth(200)
    print(f"memory growth over 200 retained losses: {growth / 2**20:.2f} MiB")
    assert growth < 2**20, f"{growth / 2**20:.1f} MiB kept alive by 200 retained losses"


def test_freed_graph_keeps_its_shape_and_still_refuses_a_second_backward():
    w = cr.ones(3, requires_grad=True)
    h = (w * 2).exp()
    loss = h.sum()
    loss.backward()
    (mul, _), = loss.grad_fn.next_functions[0][0].next_functions
    assert loss.grad_fn.next_functions[0][0].name() == "ExpBackward"
    assert [f for f, _ in mul.next_functions] == [None, None]  # a leaf and a constant
    assert h._data is not None  # tensors the user holds keep their values
    try:
        loss.backward()
    except RuntimeError as e:
        assert "second time" in str(e)
    else:
        raise AssertionError("a second backward through a freed graph must raise")
