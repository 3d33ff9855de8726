"""nn.RNNCell / LSTMCell / GRUCell against PyTorch in float64, driven over several time steps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from oracle import assert_close
from test_nn_rnn import TOL, one_torch_thread, pair, twin, weighted_sum  # noqa: F401 (a fixture)

import chainrule as cr
from chainrule import nn


@pytest.mark.parametrize("mode", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_over_time_match_torch(mode, bias, batched):
    c, t = twin(mode, 3, 4, bias=bias)
    rng = np.random.default_rng(0)
    xs = [pair(rng.standard_normal((2, 3) if batched else (3,))) for _ in range(4)]
    h0, th0 = pair(rng.standard_normal((2, 4) if batched else (4,)))
    lstm = mode == "LSTMCell"
    state, t_state = ((h0, h0 * 0.5), (th0, th0 * 0.5)) if lstm else (h0, th0)
    outs, t_outs = [], []
    for x, tx in xs:
        state, t_state = c(x, state), t(tx, t_state)
        outs.append(state[0] if lstm else state)
        t_outs.append(t_state[0] if lstm else t_state)
    if lstm:
        outs.append(state[1])
        t_outs.append(t_state[1])
    assert_close(outs, t_outs, **TOL)
    loss, t_loss = weighted_sum(outs, t_outs, rng)
    loss.backward()
    t_loss.backward()
    for i, (x, tx) in enumerate(xs + [(h0, th0)]):
        assert_close(x.grad, tx.grad, what=f"gradient of input {i}", **TOL)
    for name, p in t.named_parameters():
        assert_close(getattr(c, name).grad, p.grad, what=f"gradient of {name}", **TOL)


@pytest.mark.parametrize("mode", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_default_state_names_and_repr(mode):
    c, t = twin(mode, 3, 4)
    x = np.random.default_rng(1).standard_normal((2, 3))
    assert_close(c(cr.tensor(x)), t(torch.tensor(x)), **TOL)
    assert list(c.state_dict()) == list(t.state_dict())
    assert repr(c) == repr(t)
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu", bias=False)) == repr(
        torch.nn.RNNCell(3, 4, nonlinearity="relu", bias=False))


def test_cell_errors():
    cell = nn.LSTMCell(3, 4)
    with pytest.raises(ValueError, match="1D or 2D"):
        cell(cr.zeros(1, 2, 3))
    with pytest.raises(RuntimeError, match="input_size"):
        cell(cr.zeros(2, 5))
    with pytest.raises(RuntimeError, match="hx"):
        cell(cr.zeros(2, 3), (cr.zeros(3, 4), cr.zeros(3, 4)))
