"""Recurrent layers ``RNN``, ``LSTM`` and ``GRU`` (multi-layer, bidirectional, packed sequences).

Each direction of each layer is one node (``ops/rnn.py``): the input projection of all time steps is
one GEMM and the time loop runs inside that node, so a layer adds a handful of graph nodes whatever
the sequence length. Parameters, their names and shapes, the outputs and the numerics are PyTorch's.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from chainrule import dtypes
from chainrule.functions import cat, stack
from chainrule.nn import functional as F
from chainrule.nn import init
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.nn.utils.rnn import PackedSequence
from chainrule.ops.rnn import GATES, rnn_layer


class RNNBase(Module):
    """The shared machinery of ``RNN``, ``LSTM`` and ``GRU``; ``mode`` is 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name}: {arg} should be of type int, got: {type(value).__name__}")
        if hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be greater than zero, got {hidden_size}")
        if num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be greater than zero, got {num_layers}")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             f"element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=2)
        if isinstance(proj_size, bool) or not isinstance(proj_size, numbers.Integral) or proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to disable projections, "
                             f"got {proj_size!r}")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got proj_size={proj_size} "
                             f"and hidden_size={hidden_size}")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        dtype = np.dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        gates = GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        state = proj_size or hidden_size  # the size of h (an LSTM with projections carries a smaller h)
        self._flat_weights_names, self._names = [], []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else state * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (gates, layer_input), "weight_hh": (gates, state)}
                if bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                for prefix, shape in shapes.items():
                    setattr(self, prefix + suffix, Parameter(np.empty(shape, dtype=dtype)))
                    self._flat_weights_names.append(prefix + suffix)
                # per layer and direction: the names of w_ih, w_hh, b_ih, b_hh, w_hr (None when absent)
                self._names.append([p + suffix if p in shapes else None
                                    for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")])
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def flatten_parameters(self) -> None:
        """Accepted for PyTorch compatibility (cuDNN's weight layout); nothing to do on NumPy."""

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters grouped per layer and direction: [[w_ih, w_hh, b_ih, b_hh], ...]."""
        per = (4 if self.bias else 2) + (1 if self.proj_size else 0)
        flat = self._flat_weights
        return [flat[i:i + per] for i in range(0, len(flat), per)]

    def forward(self, input, hx=None):
        name = type(self).__name__
        lstm = self.mode == "LSTM"
        directions = 2 if self.bidirectional else 1
        packed = isinstance(input, PackedSequence)
        if packed:
            x = input.data
            batch_sizes = tuple(int(b) for b in np.asarray(input.batch_sizes._data))
            batch = batch_sizes[0]
            unbatched = False
        else:
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead")
            unbatched = input.dim() == 2
            x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
            steps, batch = x.shape[0], x.shape[1]
            if steps == 0:
                raise RuntimeError(f"{name}: Expected sequence length to be larger than 0 in RNN, got input of "
                                   f"shape {tuple(input.shape)}")
            batch_sizes = (batch,) * steps
            x = x.reshape(steps * batch, x.shape[2])
        self._check_input(x, name)
        cell_shape = (self.num_layers * directions, batch, self.hidden_size)
        hidden_shape = (cell_shape[0], batch, self.proj_size or self.hidden_size)
        h0 = c0 = None
        if hx is not None:
            h0, c0 = (hx if lstm else (hx, None))
            h0 = self._check_hidden(h0, hidden_shape, unbatched, "hx" if not lstm else "hx[0]", x)
            c0 = self._check_hidden(c0, cell_shape, unbatched, "hx[1]", x) if lstm else None
            if packed and input.sorted_indices is not None:
                order = np.asarray(input.sorted_indices._data)
                h0 = h0[:, order]
                c0 = c0[:, order] if lstm else None
        zeros = np.zeros(hidden_shape[1:], dtype=x.dtype)
        cell_zeros = np.zeros(cell_shape[1:], dtype=x.dtype) if lstm else None
        layer_input = x
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                w = [None if n is None else getattr(self, n) for n in self._names[k]]
                res = rnn_layer(self.mode, layer_input, zeros if h0 is None else h0[k],
                                (cell_zeros if c0 is None else c0[k]) if lstm else None,
                                w[0], w[1], w[2], w[3], batch_sizes, reverse=direction == 1, w_hr=w[4])
                outputs.append(res[0])
                h_n.append(res[1])
                if lstm:
                    c_n.append(res[2])
            layer_input = outputs[0] if directions == 1 else cat(outputs, dim=1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, p=self.dropout, training=True)
        h_n = stack(h_n)
        c_n = stack(c_n) if lstm else None
        if packed:
            if input.unsorted_indices is not None:
                back = np.asarray(input.unsorted_indices._data)
                h_n = h_n[:, back]
                c_n = c_n[:, back] if lstm else None
            output = PackedSequence(layer_input, input.batch_sizes, input.sorted_indices, input.unsorted_indices)
        else:
            output = layer_input.reshape(len(batch_sizes), batch, layer_input.shape[1])
            if unbatched:
                output, h_n = output.squeeze(1), h_n.squeeze(1)
                c_n = c_n.squeeze(1) if lstm else None
            elif self.batch_first:
                output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _check_input(self, x, name):
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {x.shape[-1]}")
        if x.dtype != self.weight_ih_l0.dtype:
            raise ValueError(f"{name}: input must have the type {self.weight_ih_l0.dtype}, got type {x.dtype}")

    def _check_hidden(self, h, expected, unbatched, what, x):
        name = type(self).__name__
        want = 2 if unbatched else 3
        if h.dim() != want:
            raise RuntimeError(f"{name}: for {'unbatched 2-D' if unbatched else 'batched 3-D'} input, {what} should "
                               f"also be {want}-D but got {h.dim()}-D tensor")
        given = list(h.shape)
        if unbatched:
            h = h.unsqueeze(1)
        if tuple(h.shape) != expected:
            shown = expected if not unbatched else (expected[0], expected[2])
            raise RuntimeError(f"{name}: Expected hidden size {shown}, got {given} for {what}")
        if h.dtype != x.dtype:
            raise ValueError(f"{name}: {what} must have the type {x.dtype}, got type {h.dtype}")
        return h

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """An Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), stacked in layers.

    Args:
        input_size (int): features per time step.
        hidden_size (int): features of the hidden state.
        num_layers (int): stacked layers, each reading the previous one's output. Default 1.
        nonlinearity (str): 'tanh' or 'relu'. Default 'tanh'.
        bias (bool): use b_ih and b_hh. Default True.
        batch_first (bool): input and output are (batch, seq, feature). Default False.
        dropout (float): dropout on each layer's output except the last, in training. Default 0.
        bidirectional (bool): add a layer reading the sequence backwards. Default False.

    Shape: input (L, N, H_in) or (N, L, H_in) with batch_first, (L, H_in) unbatched, or a
    PackedSequence; hx (D*num_layers, N, H_out). Output (L, N, D*H_out) and h_n (D*num_layers, N, H_out).

    >>> rnn = nn.RNN(10, 20, num_layers=2)
    >>> output, h_n = rnn(chainrule.randn(5, 3, 10))
    >>> tuple(output.shape), tuple(h_n.shape)
    ((5, 3, 20), (2, 3, 20))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """A long short-term memory layer (PyTorch's gates i, f, g, o), stacked in layers.

    ``c_t = f * c_{t-1} + i * g`` and ``h_t = o * tanh(c_t)``, with i, f, o sigmoids and g a tanh of
    ``x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh`` (the four gates stacked in that order in the weights).

    Args: as ``RNN`` without nonlinearity, and ``proj_size`` (int): when > 0, h_t is projected to this
    size by ``weight_hr_l[k]`` (proj_size, hidden_size), so outputs and h have proj_size features.

    Shape: as ``RNN``; ``hx`` and the second result are pairs (h, c), h with proj_size features when set.

    >>> lstm = nn.LSTM(10, 20, batch_first=True)
    >>> output, (h_n, c_n) = lstm(chainrule.randn(3, 5, 10))
    >>> tuple(output.shape), tuple(c_n.shape)
    ((3, 5, 20), (1, 3, 20))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """A gated recurrent unit layer (PyTorch's gates r, z, n), stacked in layers.

    ``n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))`` and ``h_t = (1 - z) * n + z * h_{t-1}``.

    Args: as ``RNN`` without nonlinearity. Shape: as ``RNN``.

    >>> gru = nn.GRU(10, 20, bidirectional=True)
    >>> output, h_n = gru(chainrule.randn(5, 3, 10))
    >>> tuple(output.shape), tuple(h_n.shape)
    ((5, 3, 40), (2, 3, 20))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)
