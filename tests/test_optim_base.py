"""The Optimizer base's helpers for subclasses: parameters with gradients and lazy state; one validator."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.optim import Optimizer


class SignSGD(Optimizer):
    """A custom optimizer written the way the built-in ones are: p <- p - lr * sign(g), counting steps."""

    def __init__(self, params, lr=0.1, eps=0.0):
        self._check_non_negative(eps=eps)
        super().__init__(params, dict(lr=lr))

    def step(self, closure=None):
        for p, state, group in self._params_with_grad(lambda p, group: {"step": 0}):
            state["step"] += 1
            p._data -= group["lr"] * np.sign(p.grad._data)


def test_params_with_grad_skips_params_without_grad_and_makes_state_once():
    a, b = cr.ones(2, requires_grad=True), cr.ones(3, requires_grad=True)
    opt = SignSGD([{"params": [a]}, {"params": [b], "lr": 0.5}])
    (a * 2).sum().backward()
    opt.step()
    opt.step()
    assert np.allclose(a.tolist(), [0.8, 0.8]) and opt.state[a] == {"step": 2}
    assert b not in opt.state and b.tolist() == [1.0, 1.0, 1.0]  # no gradient: untouched, no state
    b.grad = cr.ones(3)
    opt.step()
    assert b.tolist() == [0.5, 0.5, 0.5] and opt.state[b] == {"step": 1}


def test_check_non_negative_raises_pytorchs_message():
    with pytest.raises(ValueError, match=r"^Invalid epsilon value: -1.0$"):
        SignSGD([cr.ones(1, requires_grad=True)], eps=-1.0)
    with pytest.raises(ValueError, match="Invalid weight_decay value: nan"):
        Optimizer._check_non_negative(weight_decay=float("nan"))
