"""End to end: learn to continue sine waves with two stacked LSTM cells trained by L-BFGS, the shape of
the classic PyTorch "time sequence prediction" example (this is our own, smaller version). The same
program runs on chainrule and on PyTorch (``lib``) from the same weights; they must agree."""

from __future__ import annotations

import numpy as np
import torch
from oracle import assert_close
from test_nn_rnn import one_torch_thread  # noqa: F401 (a fixture: torch on one thread)

import chainrule as cr

HIDDEN, STEPS, WAVES = 12, 30, 6


def waves():
    rng = np.random.default_rng(0)
    shift = rng.integers(-20, 20, size=(WAVES, 1))
    t = np.arange(STEPS + 1)[None, :] + shift
    return np.sin(t / 4.0)  # (waves, steps + 1), float64


def build(lib):
    class Sequence(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm1 = lib.nn.LSTMCell(1, HIDDEN)
            self.lstm2 = lib.nn.LSTMCell(HIDDEN, HIDDEN)
            self.linear = lib.nn.Linear(HIDDEN, 1)

        def forward(self, input, future=0):
            outputs = []
            h1 = lib.zeros(input.size(0), HIDDEN, dtype=lib.double)
            c1 = lib.zeros(input.size(0), HIDDEN, dtype=lib.double)
            h2 = lib.zeros(input.size(0), HIDDEN, dtype=lib.double)
            c2 = lib.zeros(input.size(0), HIDDEN, dtype=lib.double)
            for x_t in input.chunk(input.size(1), dim=1):
                h1, c1 = self.lstm1(x_t, (h1, c1))
                h2, c2 = self.lstm2(h1, (h2, c2))
                output = self.linear(h2)
                outputs += [output]
            for _ in range(future):  # feed the predictions back in
                h1, c1 = self.lstm1(output, (h1, c1))
                h2, c2 = self.lstm2(h1, (h2, c2))
                output = self.linear(h2)
                outputs += [output]
            return lib.stack(outputs, 1).squeeze(2)

    return Sequence().double()


def train(lib, model, data, steps=4):
    input, target = lib.tensor(data[:, :-1]), lib.tensor(data[:, 1:])
    criterion = lib.nn.MSELoss()
    optimizer = lib.optim.LBFGS(model.parameters(), lr=0.8, max_iter=8)
    losses = []
    for _ in range(steps):
        def closure():
            optimizer.zero_grad()
            loss = criterion(model(input), target)
            loss.backward()
            return loss

        losses.append(optimizer.step(closure).item())
    with lib.no_grad():
        future = model(input[:, :10], future=5)
    return losses, future


def test_sine_waves_lstm_cells_lbfgs_agree_with_torch():
    data = waves()
    torch.manual_seed(0)
    t_model = build(torch)
    model = build(cr)
    model.load_state_dict({k: cr.tensor(v.detach().numpy().copy()) for k, v in t_model.state_dict().items()})
    losses, future = train(cr, model, data)
    t_losses, t_future = train(torch, t_model, data)
    assert losses[-1] < 0.2 * losses[0]  # it learns
    np.testing.assert_allclose(losses, t_losses, rtol=1e-7)
    assert future.shape == (WAVES, 15)
    assert_close(future, t_future, rtol=1e-6, atol=1e-8)
