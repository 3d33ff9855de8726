"""``Module.register_full_backward_hook`` and ``register_full_backward_pre_hook``, as in PyTorch.

A module with backward hooks runs its forward between two identity functions: one on its tensor
inputs, one on its tensor outputs. The backward of the output identity receives ``grad_output`` and runs
the pre-hooks (which may replace it); the backward of the input identity receives ``grad_input`` (the
gradient with respect to each tensor input) and runs the full hooks ``hook(module, grad_input,
grad_output)`` (which may replace it). When no input requires a gradient, the full hooks run at the
output with ``grad_input`` all None, as PyTorch does.
"""

from __future__ import annotations

from chainrule.autograd.function import Function
from chainrule.tensor import Tensor


class _HookPoint(Function):
    """Identity on a module's tensor inputs or outputs; its backward calls ``call.at_inputs`` / ``at_outputs``."""

    @staticmethod
    def forward(ctx, at, *tensors):
        ctx.at = at
        ctx.set_materialize_grads(False)  # an input or output no gradient reached is None, not zeros
        return tensors[0] if len(tensors) == 1 else tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.at(grads))


def _replace(old: tuple, new, what: str, module) -> tuple:
    """A hook's result (None: keep ``old``) as a tuple of ``old``'s length."""
    if new is None:
        return old
    new = tuple(new) if isinstance(new, (tuple, list)) else (new,)
    if len(new) != len(old):
        raise RuntimeError(f"backward hook of {type(module).__name__} returned {len(new)} values for {what}, "
                           f"expected {len(old)}")
    for i, (a, b) in enumerate(zip(old, new)):  # named here: the engine would blame an internal node
        if b is None:
            continue
        if not hasattr(b, "shape") or not hasattr(b, "detach"):
            raise TypeError(f"backward hook of {type(module).__name__} returned {type(b).__name__} as {what}[{i}]; "
                            "expected a Tensor or None")
        if a is not None and tuple(b.shape) != tuple(a.shape):
            raise RuntimeError(f"backward hook of {type(module).__name__} returned {what}[{i}] of shape "
                               f"{tuple(b.shape)}; expected {tuple(a.shape)}")
    return new


class BackwardCall:
    """One forward call of a module with backward hooks: wraps its inputs and outputs, runs the hooks."""

    def __init__(self, module, args):
        self.module = module
        self.n_inputs = sum(isinstance(a, Tensor) for a in args)
        self.grad_output = None
        self.inputs_hooked = False

    def wrap_inputs(self, args: tuple) -> tuple:
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not index:
            return args
        self.inputs_hooked = True
        out = _HookPoint.apply(self.at_inputs, *(args[i] for i in index))
        out = out if isinstance(out, tuple) else (out,)
        args = list(args)
        for i, t in zip(index, out):
            args[i] = t
        return tuple(args)

    def wrap_outputs(self, output):
        single = isinstance(output, Tensor)
        items = (output,) if single else output
        if not isinstance(items, (tuple, list)) or not any(isinstance(t, Tensor) and t.requires_grad for t in items):
            return output
        index = [i for i, t in enumerate(items) if isinstance(t, Tensor) and t.requires_grad]
        out = _HookPoint.apply(self.at_outputs, *(items[i] for i in index))
        out = out if isinstance(out, tuple) else (out,)
        items = list(items)
        for i, t in zip(index, out):
            items[i] = t
        return items[0] if single else type(output)(items)

    def at_outputs(self, grads: tuple) -> tuple:
        module = self.module
        for hook in list(module.__dict__.get("_backward_pre_hooks", {}).values()):
            grads = _replace(grads, hook(module, grads), "grad_output", module)
        self.grad_output = grads
        if not self.inputs_hooked:  # nothing to differentiate at the inputs: the full hooks run now
            self.run_full_hooks((None,) * self.n_inputs)
        return grads

    def at_inputs(self, grads: tuple) -> tuple:
        return self.run_full_hooks(grads)

    def run_full_hooks(self, grad_input: tuple) -> tuple:
        module = self.module
        for hook in list(module.__dict__.get("_backward_hooks", {}).values()):
            grad_input = _replace(grad_input, hook(module, grad_input, self.grad_output), "grad_input", module)
        return grad_input
