"""Tensor methods that convert and describe: dtypes (``x.float()``, ``x.to(...)``), devices (``x.cuda()``),
legacy type names (``x.type()``), sizes and memory layout, ``new_*`` factories and random fills.

``Tensor`` (chainrule/tensor.py) inherits them from ``ConversionMethods``; they live in this file only to keep
each file short enough to read. Every method is still documented as ``help(chainrule.Tensor.<name>)``.
"""

from __future__ import annotations

import numpy as np

from chainrule import devices as _device
from chainrule import dtypes
from chainrule.arguments import check_device as _check_device
from chainrule.arguments import shape as _shape_arg
from chainrule.ops.elementwise import Copy
from chainrule.tensor_helpers import _as_array

Tensor = None  # the Tensor class, handed over by chainrule.tensor once it exists (as to the ops; see its end)

_LEGACY_NAMES = {dtypes.float32: "FloatTensor", dtypes.float64: "DoubleTensor", dtypes.float16: "HalfTensor",
                 dtypes.int64: "LongTensor", dtypes.int32: "IntTensor", dtypes.int16: "ShortTensor",
                 dtypes.int8: "CharTensor", dtypes.uint8: "ByteTensor", dtypes.bool: "BoolTensor"}


class ConversionMethods:
    """Conversion, description and new-tensor methods of ``Tensor``."""

    __slots__ = ()  # Tensor's instances keep no __dict__

    # -- dtype and device conversion ---------------------------------------------------------------
    def to(self, *args, dtype=None, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(other_tensor)`` or ``to('cpu')``: a cast that keeps the graph."""
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, _device.device)) or a is None:
                _check_device(a)
            else:
                dtype = a
        _check_device(kwargs.get("device"))
        if dtype is None or np.dtype(dtype) == self._data.dtype:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind not in "fc":  # integer and bool results carry no gradient, as in torch
            return Tensor._wrap(self._data.astype(dtype))
        return Copy.apply(self, dtype=dtype)

    def float(self) -> Tensor:
        """This tensor as float32 (itself if it is float32 already); gradients flow through the cast."""
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        """This tensor as float64 (itself if it is float64 already); gradients flow through the cast."""
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        """This tensor as float16 (itself if it is float16 already); gradients flow through the cast."""
        return self.to(dtypes.float16)

    def long(self) -> Tensor:
        """An int64 copy of this tensor, without gradient (itself if it is int64 already)."""
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        """An int32 copy of this tensor, without gradient (itself if it is int32 already)."""
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        """A bool copy of this tensor, without gradient (itself if it is bool already)."""
        return self.to(dtypes.bool)

    def type_as(self, other) -> Tensor:
        """This tensor cast to ``other``'s dtype."""
        return self.to(other.dtype)

    def cpu(self) -> Tensor:
        """This tensor (chainrule tensors always live on the CPU)."""
        return self

    def contiguous(self) -> Tensor:
        """This tensor (NumPy handles the memory layout)."""
        return self

    def clone(self) -> Tensor:
        """A copy with its own memory that stays in the graph (gradients flow back to this tensor)."""
        return Copy.apply(self)

    def cuda(self, device=None, non_blocking=False):
        """Raises ``DeviceError``: chainrule runs on the CPU only (``.to(device)`` with a CPU device works)."""
        _device.check("cuda" if device is None else device if isinstance(device, (str, _device.device)) else f"cuda:{device}", "Tensor.cuda")
        return self

    @property
    def is_cpu(self) -> bool:
        """Always True: chainrule computes on the CPU."""
        return True

    @property
    def is_cuda(self) -> bool:
        """Always False: chainrule has no GPU tensors."""
        return False

    def get_device(self) -> int:
        """-1, PyTorch's answer for a CPU tensor."""
        return -1

    def type(self, dtype=None, non_blocking=False):
        """Without arguments the legacy type name (``'torch.FloatTensor'``); else a cast to ``dtype``.

        ``dtype`` may be a dtype or a name such as ``'torch.DoubleTensor'``.
        """
        if dtype is None:
            return "torch." + _LEGACY_NAMES.get(self._data.dtype, "Tensor")
        if isinstance(getattr(dtype, "dtype", None), np.dtype):  # a legacy type: x.type(torch.LongTensor)
            dtype = dtype.dtype
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            if ".cuda." in dtype:
                _device.check("cuda", "Tensor.type")
            target = next((d for d, n in _LEGACY_NAMES.items() if n == name), None)
            if target is None:
                raise ValueError(f"invalid type: {dtype!r}")
            dtype = target
        return self.to(dtype)

    # -- sizes and memory layout -------------------------------------------------------------------
    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating-point type."""
        return self._data.dtype.kind == "f"

    def nelement(self) -> int:
        """The number of elements (as ``numel()``)."""
        return self._data.size

    def __format__(self, format_spec):
        # as PyTorch: a 0-d tensor formats like its number (f"{loss:.4f}"); others only with an empty spec
        if self._data.ndim == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def is_contiguous(self, memory_format=None) -> bool:
        """Always True: chainrule's ops need no particular memory layout."""
        return True

    def is_complex(self) -> bool:
        """Whether the dtype is complex."""
        return self._data.dtype.kind == "c"

    def is_signed(self) -> bool:
        """Whether the dtype holds negative values."""
        return self._data.dtype.kind in "if"

    def ndimension(self) -> int:
        """The number of dimensions (as ``dim()``)."""
        return self._data.ndim

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes held by the elements."""
        return self._data.nbytes

    def is_same_size(self, other) -> bool:
        """Whether the two tensors have the same shape."""
        return self.shape == other.shape

    # -- new tensors like this one -----------------------------------------------------------------
    def new_tensor(self, data, dtype=None, requires_grad=False, device=None):
        """A new tensor from ``data`` with this tensor's dtype."""
        t = Tensor._wrap(np.array(_as_array(data), dtype=dtype or self._data.dtype))
        return t.requires_grad_(requires_grad) if requires_grad else t

    def new_zeros(self, *size, dtype=None, requires_grad=False, device=None):
        """A tensor of zeros of ``size`` with this tensor's dtype."""
        return Tensor._wrap(np.zeros(_shape_arg(size), dtype or self._data.dtype)).requires_grad_(requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False, device=None):
        """A tensor of ones of ``size`` with this tensor's dtype."""
        return Tensor._wrap(np.ones(_shape_arg(size), dtype or self._data.dtype)).requires_grad_(requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False, device=None):
        """A tensor of ``size`` filled with ``fill_value``, with this tensor's dtype."""
        return Tensor._wrap(np.full(_shape_arg((size,)), fill_value, dtype or self._data.dtype)).requires_grad_(requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False, device=None):
        """An uninitialised tensor of ``size`` with this tensor's dtype."""
        return Tensor._wrap(np.empty(_shape_arg(size), dtype or self._data.dtype)).requires_grad_(requires_grad)

    # -- random samples and fills (no graph) -------------------------------------------------------
    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """Category indices drawn with probabilities proportional to ``self`` (see ``chainrule.multinomial``)."""
        from chainrule.sampling import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def bernoulli(self, p=None, *, generator=None):
        """0/1 samples with the probabilities in ``self`` (or ``p``), same dtype."""
        from chainrule.sampling import bernoulli

        return bernoulli(self, p, generator=generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 1 (probability ``p``, a number or tensor) or 0, in place."""
        from chainrule.sampling import bernoulli

        self._check_inplace()
        self._data[...] = bernoulli(self, p, generator=generator)._data
        return self

    def exponential_(self, lambd=1.0, *, generator=None):
        """Fill with exponential samples of rate ``lambd``, in place."""
        from chainrule.random import rng_of

        self._check_inplace()
        self._data[...] = rng_of(generator).exponential(1.0 / lambd, self._data.shape)
        return self

    def random_(self, from_=0, to=None, *, generator=None):
        """Fill with integers drawn uniformly from ``[from_, to)`` (``random_(to)`` means ``[0, to)``)."""
        from chainrule.random import rng_of

        if to is None:
            from_, to = 0, from_
        self._check_inplace()
        self._data[...] = rng_of(generator).integers(from_, to, self._data.shape)
        return self

