"""A training step without the autograd graph, for the commonest model: an MLP.

``fit`` trains a ``Sequential`` of ``Linear`` layers with ``ReLU`` and ``Dropout`` between them (a
``Flatten`` may come first) under ``nn.CrossEntropyLoss()`` or ``nn.MSELoss()`` with their default
arguments through this straight line: each layer's op (``ops.matmul.LinearRelu`` for a Linear and its
ReLU, ``Linear``, ``ops.nn.Dropout`` with ``F.dropout``'s mask) and the loss's op run their own
``forward`` in order, then their own ``backward`` in reverse, and the weights' gradients land in
``.grad`` as ``loss.backward()`` puts them there. The same methods on the same arrays in the same
order, with the same random draws, so the same bits (tests/test_chain_step.py); what is left out is
what a general graph needs and a chain does not: an ``Op`` node and a ``Tensor`` per op, the argument
checks of ``F.cross_entropy`` after the first batch, the topological sort, the pending-gradient
bookkeeping. On scikit-learn's digits (64-100-10, batch 200) that was about a fifth of the step.

Anything else takes ``fit``'s ordinary step, which stays the reference: another layer or loss, a loss
with arguments, hooks on a module or a tensor, anomaly detection, callbacks that run before backward
(``TerminateOnNaN`` excepted), data-parallel training, a batch whose inputs, targets or dtypes do not
fit, and every step while ``enabled`` is False (or ``CHAINRULE_CHAIN=0`` is set). The first batch of
every ``fit`` also takes the ordinary step, so that its checks and warnings (class indices, shapes, a
Softmax before the loss) run as always. The non-finite guard (``check_finite=True``) and
``TerminateOnNaN`` work as before: a NaN loss still stops the fit before the update, and the
parameters are those of the ordinary step; only that step's gradients are already in ``.grad``.
"""

from __future__ import annotations

import os

import numpy as np

from chainrule import nn
from chainrule.autograd import hooks
from chainrule.autograd.grad_mode import GradMode
from chainrule.autograd.gradients import Gradients
from chainrule.autograd.quiet import IGNORE, reset_state, set_state
from chainrule.nn.functional import _dropout_mask
from chainrule.ops.loss import MSE, CrossEntropy
from chainrule.ops.matmul import Linear, LinearRelu
from chainrule.ops.nn import Dropout
from chainrule.tensor import Tensor

enabled = os.environ.get("CHAINRULE_CHAIN", "1") != "0"


class ChainStep:
    """Forward and backward of a ``Sequential`` MLP and its loss, op by op; see the module docstring."""

    def __init__(self, model, flatten, layers, loss_fn, loss_op):
        self.model, self.flatten, self.layers, self.loss_fn, self.loss_op = model, flatten, layers, loss_fn, loss_op
        self.modules = [model, loss_fn, *model._modules.values()]
        self.linears = [layer for op, layer in layers if op is not Dropout]
        self.calls = 0  # steps taken this way (for tests)

    @classmethod
    def of(cls, model, loss_fn):
        """The chain step for ``model`` and ``loss_fn``, or None where ``fit``'s ordinary step must run."""
        if not enabled or type(model) is not nn.Sequential or not nn.Sequential.fuse_linear_relu:
            return None
        if type(loss_fn) is nn.CrossEntropyLoss:
            if not (loss_fn.weight is None and loss_fn.ignore_index == -100 and loss_fn.reduction == "mean"
                    and loss_fn.label_smoothing == 0.0):
                return None
            loss_op = CrossEntropy
        elif type(loss_fn) is nn.MSELoss and loss_fn.reduction == "mean" and getattr(loss_fn, "weight", None) is None:
            loss_op = MSE
        else:
            return None
        modules = list(model._modules.values())
        flatten = bool(modules) and type(modules[0]) is nn.Flatten and modules[0].start_dim == 1 and (
            modules[0].end_dim == -1)
        if flatten:
            modules = modules[1:]
        layers, i = [], 0
        while i < len(modules):
            if type(modules[i]) is nn.Dropout:
                layers.append((Dropout, modules[i]))
                i += 1
                continue
            if type(modules[i]) is not nn.Linear:
                return None
            relu = i + 1 < len(modules) and type(modules[i + 1]) is nn.ReLU
            layers.append((LinearRelu if relu else Linear, modules[i]))
            i += 2 if relu else 1
        if not any(op is not Dropout for op, _ in layers):
            return None
        return cls(model, flatten, layers, loss_fn, loss_op)

    def __call__(self, x, y):
        """One step's forward and backward: ``(output, loss value)`` with the gradients added to ``.grad``,
        or None (nothing done) where this batch needs the ordinary step."""
        if not (GradMode.enabled and not GradMode.anomaly and not hooks.leaf_hooks and isinstance(x, Tensor)
                and isinstance(y, Tensor) and not x._requires_grad and x._ctx is None):
            return None
        if any(m._has_hooks for m in self.modules):
            return None
        a, t = x._data, y._data
        if self.flatten:
            if a.ndim < 2:
                return None
            a = a.reshape(a.shape[0], -1)
        linears = self.linears
        first = linears[0].weight._data
        if a.ndim != 2 or a.dtype != first.dtype or a.shape[1] != first.shape[1]:
            return None
        if self.loss_op is CrossEntropy:
            if t.ndim != 1 or t.dtype.kind not in "iu" or len(t) != len(a):
                return None
        elif t.shape != (len(a), linears[-1].out_features) or t.dtype != first.dtype:
            return None
        flows = False  # does the output so far depend on a parameter that requires grad?
        for layer in linears:
            w, b = layer.weight, layer.bias
            if w._data.dtype != a.dtype or (b is not None and b._data.dtype != a.dtype):
                return None
            flows = flows or w._requires_grad or (b is not None and b._requires_grad)
        if not flows:  # loss.backward() raises there: let the ordinary step say so
            return None
        token = set_state(IGNORE)  # as Op.apply and the engine: inf and nan are results, not warnings
        try:
            forward = self._forward(a, t)
            if forward is None:
                return None
            self.calls += 1
            return self._backward(*forward)
        finally:
            reset_state(token)

    def _forward(self, a, t):
        nodes, flows = [], False
        try:
            for op, layer in self.layers:
                if op is Dropout:  # as nn.Dropout: nothing in eval mode or at p = 0, else F.dropout's mask
                    node = None
                    if layer.training and layer.p != 0.0:
                        node = Dropout.__new__(Dropout)
                        node.needs_input_grad = [flows, False]
                        a = node.forward(a, _dropout_mask(a, layer.p))
                    nodes.append(node)
                    continue
                w, b = layer.weight, layer.bias
                node = op.__new__(op)
                node.needs_input_grad = [flows, w._requires_grad, b is not None and b._requires_grad]
                flows = flows or w._requires_grad or (b is not None and b._requires_grad)
                a = node.forward(a, w._data, None if b is None else b._data)
                nodes.append(node)
        except ValueError:  # layers that do not fit together: the ordinary step explains it
            return None
        loss_node = self.loss_op.__new__(self.loss_op)
        loss_node.needs_input_grad = [True, False]
        loss = np.asarray(loss_node.forward(a, t))
        return nodes, loss_node, loss, a

    def _backward(self, nodes, loss_node, loss, output):
        grads = Gradients()  # the engine's bookkeeping of leaf gradients (.grad buffers never shared)
        g = loss_node.backward(np.ones(loss.shape, loss.dtype))[0]  # the seed loss.backward() gives
        for node, (op, layer) in zip(reversed(nodes), reversed(self.layers)):
            if op is Dropout:
                if node is not None:
                    g = node.backward(g)[0] if node.needs_input_grad[0] else None
                if g is None:
                    break
                continue
            gx, gw, gb = (list(node.backward(g)) + [None])[:3]
            if gw is not None:
                grads.leaf(layer.weight, gw)
            if gb is not None:
                grads.leaf(layer.bias, gb)
            g = gx
            if g is None:  # nothing before this layer needs a gradient
                break
        return Tensor._wrap(output), loss.item()

