"""chainrule: a small, fast deep-learning library on NumPy with PyTorch's API.

>>> import chainrule as torch
>>> x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x ** 2).sum().backward()
>>> x.grad
tensor([2., 4., 6.])
"""

from chainrule import autograd
from chainrule.autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from chainrule.autograd.functional import grad_of as grad
from chainrule.autograd.functional import value_and_grad
from chainrule.creation import (
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones, ones_like,
    rand, rand_like, randint, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from chainrule.dtypes import (
    bool, double, float, float16, float32, float64, get_default_dtype, half, int, int8, int16, int32,
    int64, long, set_default_dtype, short, uint8,
)
from chainrule.functions import *  # noqa: F403
from chainrule.functions import concat, concatenate  # noqa: F401
from chainrule.tensor import Size, Tensor
from chainrule.threads import get_num_threads, set_num_threads
from chainrule.random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from chainrule.arith import *  # noqa: F403 - add/mul/... with out=, mm, bmm, einsum ... (after functions: matmul(out=))
from chainrule.tensor_functions import *  # noqa: F403 - floor, sort, topk, gather, hstack, meshgrid, pi ...
from chainrule.devices import device, get_default_device, set_default_device
from chainrule.legacy import *  # noqa: F403 - FloatTensor, LongTensor ... (legacy constructors)
from chainrule.sampling import bernoulli, multinomial, normal, poisson

__version__ = "0.1.0"


_LAZY_MODULES = ("nn", "optim", "data", "utils", "train", "viz", "io", "models", "cli", "linalg", "cuda", "backends",
                 "accelerator", "distributions", "distributed")
_LAZY_NAMES = ("summary", "save", "load", "load_run")


def __dir__():
    # the lazily imported subpackages and functions too, so that tab completion finds them
    return sorted(set(globals()) | set(_LAZY_MODULES) | set(_LAZY_NAMES))


def __getattr__(name):
    # Subpackages that pull in more code are imported on first use, keeping `import chainrule` fast.
    import importlib

    if name in _LAZY_MODULES:
        return importlib.import_module(f"chainrule.{name}")
    if name == "vision":  # torchvision's shape: models, datasets, transforms
        return importlib.import_module("chainrule.vision")
    if name == "summary":
        return importlib.import_module("chainrule.nn.summary").summary
    if name in ("save", "load"):  # torch.save / torch.load, on safetensors (chainrule/io/serialize.py)
        return getattr(importlib.import_module("chainrule.io.serialize"), name)
    if name == "load_run":  # a run folder of `chainrule train` (chainrule/cli/load.py)
        return importlib.import_module("chainrule.cli.load").load_run
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
