"""Gradients as values: ``autograd.grad`` (PyTorch) and ``grad(f)`` / ``value_and_grad(f)``.

"We can differentiate programs": ``grad(f)`` turns a Python function of tensors into the function
that returns its gradient, so ``grad(lambda w: ((x @ w - y) ** 2).mean())(w0)`` is dL/dw at w0.
"""

from __future__ import annotations

import functools

import numpy as np

from chainrule.autograd import engine, op
from chainrule.autograd.grad_mode import enable_grad


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None):
    """d(outputs)/d(inputs) as a tuple of tensors, without touching any ``.grad``.

    Args:
        outputs: a tensor or a sequence of tensors to differentiate.
        inputs: a tensor or a sequence of tensors to differentiate with respect to.
        grad_outputs: the vector in the vector-Jacobian product (default: ones, for scalars).
        retain_graph (bool): keep the graph for another backward. Default False.
        allow_unused (bool): return None for an input the outputs do not depend on (else raise).

    >>> x = chainrule.tensor(3.0, requires_grad=True)
    >>> chainrule.autograd.grad(x ** 2, x)
    (tensor(6.),)
    """
    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not supported: backward runs on raw arrays")
    outputs = [outputs] if isinstance(outputs, op.Tensor) else list(outputs)
    single = isinstance(inputs, op.Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, op.Tensor):
        grad_outputs = [grad_outputs] * len(outputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"autograd.grad: input {i} does not require grad; create it with requires_grad=True")
    roots, seeds = [], []
    for o, go in zip(outputs, grad_outputs):
        if not o.requires_grad:
            raise RuntimeError("autograd.grad: an output does not require grad (was it computed under no_grad()?)")
        roots.append(o)
        seeds.append(engine.seed_gradient(o, go))
    result = engine.run_backward(roots, seeds, retain_graph=bool(retain_graph), capture=inputs)
    out = []
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"autograd.grad: input {i} was not used to compute the outputs; pass allow_unused=True "
                "to get None for it"
            )
        out.append(None if g is None else op.Tensor._wrap(np.array(g, copy=True)))
    return tuple(out)


def _as_params(args, argnums):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    args = list(args)
    for i in nums:
        a = args[i]
        if not isinstance(a, op.Tensor):
            a = op.Tensor([a]).reshape(()) if isinstance(a, int) else op.Tensor(a)  # Tensor(3) would be a size
        if not a.is_floating_point():
            raise TypeError(f"grad(f): argument {i} must be a floating point tensor, got dtype {a.dtype}")
        args[i] = a.detach().requires_grad_()
    return args, nums


def value_and_grad(f, argnums=0):
    """Return a function computing ``(f(*args), df/dargs[argnums])``; ``f`` must return a scalar."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        args, nums = _as_params(args, argnums)
        with enable_grad():
            value = f(*args, **kwargs)
        if not isinstance(value, op.Tensor) or value.numel() != 1:
            raise TypeError("grad(f): f must return a tensor with a single element (a scalar loss)")
        if not value.requires_grad:
            grads = tuple(op.Tensor._wrap(np.zeros_like(args[i]._data)) for i in nums)
        else:
            grads = grad(value, [args[i] for i in nums], allow_unused=True)
            grads = tuple(op.Tensor._wrap(np.zeros_like(args[i]._data)) if g is None else g for i, g in zip(nums, grads))
        return value.detach(), (grads[0] if isinstance(argnums, int) else grads)

    return wrapper


def grad_of(f, argnums=0):
    """Return a function computing the gradient of scalar-valued ``f`` with respect to ``argnums``.

    >>> df = chainrule.grad(lambda x: (x ** 3).sum())
    >>> df(chainrule.tensor([2.0]))
    tensor([12.])
    """
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return vg(*args, **kwargs)[1]

    return wrapper
