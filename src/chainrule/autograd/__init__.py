"""Reverse-mode automatic differentiation: ``Op``, PyTorch's custom ``Function``, the backward engine,
grad modes and checks.

Imports go one way: nothing here imports ``chainrule.tensor`` or the ops. ``chainrule.tensor``
imports the ops, the ops import ``autograd.op``, and ``tensor.py`` hands its class to
``op.bind_tensor`` once; code here that makes or checks tensors reads it as ``op.Tensor``.
"""

from chainrule.autograd.anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from chainrule.autograd.function import Function, FunctionCtx, once_differentiable
from chainrule.autograd.functional import grad, grad_of, value_and_grad
from chainrule.autograd.grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from chainrule.autograd.gradcheck import GradcheckError, gradcheck
from chainrule.autograd.op import Op

__all__ = [
    "AnomalyError", "Op", "Function", "FunctionCtx", "once_differentiable", "GradcheckError", "detect_anomaly",
    "is_anomaly_enabled", "enable_grad", "grad",
    "grad_of", "gradcheck", "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled", "value_and_grad",
]
