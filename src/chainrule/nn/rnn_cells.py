"""One time step of a recurrent layer: ``RNNCell``, ``LSTMCell``, ``GRUCell``.

A cell call is one fused node (the same op as the layers, run for a single step), so a Python loop
over time steps costs one node per step instead of a dozen.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from chainrule import dtypes
from chainrule.nn import init
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.ops.rnn import GATES, rnn_layer


class RNNCellBase(Module):
    """Parameters ``weight_ih`` (gates*hidden, input), ``weight_hh`` (gates*hidden, hidden), and the biases
    ``bias_ih``, ``bias_hh`` (gates*hidden,); gates is 1 (RNN), 4 (LSTM) or 3 (GRU)."""

    def __init__(self, mode, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name}: {arg} should be of type int, got: {type(value).__name__}")
        if hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be greater than zero, got {hidden_size}")
        self.mode, self.input_size, self.hidden_size, self.bias = mode, input_size, hidden_size, bias
        dtype = np.dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        gates = GATES[mode] * hidden_size
        self.weight_ih = Parameter(np.empty((gates, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((gates, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(gates, dtype=dtype))
            self.bias_hh = Parameter(np.empty(gates, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _step(self, input, hx):
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected "
                               f"{self.input_size}")
        unbatched = input.dim() == 1
        x = input.unsqueeze(0) if unbatched else input
        batch = x.shape[0]
        lstm = self.mode == "LSTM"
        if hx is None:
            zeros = np.zeros((batch, self.hidden_size), dtype=x.dtype)
            h0, c0 = zeros, (zeros if lstm else None)
        else:
            h0, c0 = hx if lstm else (hx, None)
            h0 = self._check_hidden(h0, unbatched, batch, "hx[0]" if lstm else "hx")
            c0 = self._check_hidden(c0, unbatched, batch, "hx[1]") if lstm else None
        out = rnn_layer(self.mode, x, h0, c0, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                        (batch,), keep=(1,) if lstm else ())
        if unbatched:
            out = tuple(o.squeeze(0) for o in out)
        return out

    def _check_hidden(self, h, unbatched, batch, what):
        name = type(self).__name__
        h = h.unsqueeze(0) if unbatched and h.dim() == 1 else h
        if tuple(h.shape) != (batch, self.hidden_size):
            raise RuntimeError(f"{name}: {what} has shape {tuple(h.shape)}, expected ({batch}, {self.hidden_size}) "
                               "(batch, hidden_size)")
        return h

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    Args:
        input_size (int), hidden_size (int), bias (bool, default True), nonlinearity ('tanh' or 'relu').

    Shape: input (N, H_in) or (H_in,); hx (N, H_out) or (H_out,), zeros when omitted; output like hx.

    >>> cell = nn.RNNCell(10, 20)
    >>> cell(chainrule.randn(3, 10)).shape
    Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, bias,
                         device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self._step(input, hx)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o): returns ``(h', c')``.

    Args:
        input_size (int), hidden_size (int), bias (bool, default True).

    Shape: input (N, H_in) or (H_in,); hx a pair (h, c) of (N, H_out) or (H_out,), zeros when omitted.

    >>> cell = nn.LSTMCell(10, 20)
    >>> h, c = cell(chainrule.randn(3, 10))
    >>> h.shape, c.shape
    (Size([3, 20]), Size([3, 20]))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx)


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n): ``h' = (1 - z) * n + z * h``.

    Args:
        input_size (int), hidden_size (int), bias (bool, default True).

    Shape: as ``RNNCell``.

    >>> cell = nn.GRUCell(10, 20)
    >>> cell(chainrule.randn(3, 10)).shape
    Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx)[0]
