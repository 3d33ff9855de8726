"""``Module``: the base class of every layer and model, as ``torch.nn.Module``.

A module finds its parameters by walking attributes: assigning a ``Parameter`` registers it in
``_parameters``, assigning a ``Module`` registers it in ``_modules`` (a child), and ``register_buffer``
adds non-learnable state such as BatchNorm's running statistics to ``_buffers``. Everything else
(``parameters()``, ``state_dict()``, ``train()``, ``to()``, ``__repr__``) is a walk over those three
dicts in registration order, which gives PyTorch's key names (``"0.weight"``, ``"bn.running_mean"``).

Speed note: registered parameters, buffers and children are also kept in the instance ``__dict__``,
so ``self.weight`` in ``forward`` is a plain attribute read instead of a ``__getattr__`` fallback.
Change them through attribute assignment, ``register_*`` or ``del``, not by editing the dicts.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple

import numpy as np

from chainrule import devices as _devices
from chainrule.autograd.grad_mode import GradMode, no_grad
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find and the keys it did not use."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


_HOOK_KINDS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")


class RemovableHandle:
    """Returned by ``register_forward_hook`` and the others; ``handle.remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, module, hooks):
        self.id = next(RemovableHandle._ids)
        self._module, self._hooks = module, hooks

    def remove(self):
        self._hooks.pop(self.id, None)
        d = self._module.__dict__
        self._module._has_hooks = any(d.get(kind) for kind in _HOOK_KINDS)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _addindent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _to_array(value):
    """The NumPy array behind a chainrule tensor, a NumPy array, a number or a torch-like tensor."""
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # torch.Tensor, without importing torch
        value = value.detach()
        return value.cpu().numpy() if hasattr(value, "cpu") else value.numpy()
    return np.asarray(value)


def _shape_str(shape):
    return f"Size({list(shape)})"


class Module:
    """Base class for all layers and models: subclass it, create layers in ``__init__``, write ``forward``.

    >>> class TwoLayerNet(nn.Module):
    ...     def __init__(self, D_in, H, D_out):
    ...         super().__init__()
    ...         self.linear1 = nn.Linear(D_in, H)
    ...         self.linear2 = nn.Linear(H, D_out)
    ...     def forward(self, x):
    ...         return self.linear2(self.linear1(x).relu())
    >>> model = TwoLayerNet(4, 8, 2)
    >>> [name for name, _ in model.named_parameters()]
    ['linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias']
    """

    training: bool
    _has_hooks = False  # class default: no hook bookkeeping on the hot path until one is registered

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments; "
                            "Module.__init__() takes none")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}

    # -- calling ------------------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if self._has_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        backward = None
        if (self.__dict__.get("_backward_hooks") or self.__dict__.get("_backward_pre_hooks")) and GradMode.enabled:
            from chainrule.nn.backward_hooks import BackwardCall

            backward = BackwardCall(self, args)
            args = backward.wrap_inputs(args)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output if backward is None else backward.wrap_outputs(output)

    def register_forward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every forward; a non-None result replaces the output."""
        return self._add_hook("_forward_hooks", hook)

    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, args)`` before every forward; a non-None result replaces the arguments."""
        return self._add_hook("_forward_pre_hooks", hook)

    def register_full_backward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when the gradients with respect to the module's
        tensor inputs are computed (tuples of tensors, None where none); a non-None result replaces grad_input."""
        return self._add_hook("_backward_hooks", hook)

    def register_full_backward_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradients of the module's outputs are known, before
        the module's own backward; a non-None result replaces grad_output."""
        return self._add_hook("_backward_pre_hooks", hook)

    def _add_hook(self, kind, hook):
        d = self.__dict__
        for name in _HOOK_KINDS:
            d.setdefault(name, {})
        handle = RemovableHandle(self, d[kind])
        d[kind][handle.id] = hook
        d["_has_hooks"] = True
        return handle

    # -- registration -------------------------------------------------------------------------------
    def _check_name(self, name, kind):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f'{kind} name can\'t be empty or contain ".", got: {name!r}')

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a declared but absent parameter such as ``bias=False``)."""
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(chainrule.nn.Parameter or None required)")
        self._parameters[name] = param
        self.__dict__[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add non-learnable state (e.g. ``running_mean``); persistent buffers go into ``state_dict``."""
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(chainrule.Tensor or None required)")
        self._buffers[name] = tensor
        self.__dict__[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module, reachable as ``self.<name>`` and named ``<name>.`` in ``state_dict``."""
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module
        self.__dict__[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(chainrule.nn.Parameter or None expected)")
            self.register_parameter(name, None)
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep="_modules")
            self.add_module(name, value)
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(chainrule.nn.Module or None expected)")
            self.add_module(name, None)
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(chainrule.Tensor or None expected)")
            d["_buffers"][name] = value
            d[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name, keep):
        for kind in ("_parameters", "_buffers", "_modules"):
            if kind != keep:
                self.__dict__[kind].pop(name, None)
        self._non_persistent_buffers_set.discard(name)
        self.__dict__.pop(name, None)

    def __getattr__(self, name):
        # Only reached when normal lookup fails: registered entries normally live in __dict__ too.
        d = self.__dict__
        for kind in ("_parameters", "_buffers", "_modules"):
            entries = d.get(kind)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        found = False
        for kind in ("_parameters", "_buffers", "_modules"):
            if name in d.get(kind, ()):
                del d[kind][name]
                found = True
        d.get("_non_persistent_buffers_set", set()).discard(name)
        if found:
            d.pop(name, None)
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    # -- walking the tree ---------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """Yield ``(name, module)`` for this module (name ``""``) and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self):
        """Yield this module and every descendant (each once)."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield ``(name, child)`` for the direct children (each once)."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, kind, prefix, recurse, remove_duplicate):
        seen = set()
        if recurse:
            modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        else:
            modules = [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in module.__dict__[kind].items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """Yield ``(name, parameter)`` pairs such as ``("0.weight", Parameter)``, each parameter once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        """Yield every learnable parameter (each once), in registration order: pass it to an optimizer."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The descendant named ``target`` (e.g. ``"encoder.0"``); ``""`` is this module."""
        module = self
        for item in target.split(".") if target else []:
            if item not in module._modules:
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = module._modules[item]
        return module

    def get_parameter(self, target: str) -> Parameter:
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters:
            raise AttributeError(f"{module._get_name()} has no parameter `{name}`")
        return module._parameters[name]

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` on every child (recursively), then on this module; return self.

        >>> model.apply(lambda m: nn.init.zeros_(m.bias) if isinstance(m, nn.Linear) else None)
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- modes and gradients ------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout active, BatchNorm on batch statistics) here and in every child."""
        if not isinstance(mode, bool):
            raise ValueError(f"train(mode): training mode is expected to be boolean, got {mode!r}")
        self.__dict__["training"] = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode; the same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradient recording on or off for every parameter (freezing layers)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad`` to None (default) or to zeros in place."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad._data[...] = 0

    # -- dtype --------------------------------------------------------------------------------------
    def to(self, *args, **kwargs) -> Module:
        """Cast floating parameters and buffers in place: ``to(chainrule.float64)``, ``to("cpu")``.

        The Parameter objects are kept (only their arrays change), so an optimizer built before the
        cast stays valid. Devices other than the CPU are not supported.
        """
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif a is None or isinstance(a, (str, _devices.device)):
                device = a
            else:
                dtype = a
        _devices.check(device, "Module.to")
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
        return self._cast(dtype)

    def _cast(self, dtype):
        with no_grad():
            for t in itertools.chain(self.parameters(), self.buffers()):
                if t._data.dtype.kind == "f" and t._data.dtype != dtype:
                    t._data = t._data.astype(dtype)
                    if t.grad is not None:
                        t.grad._data = t.grad._data.astype(dtype)
        return self

    def float(self) -> Module:
        return self._cast(np.dtype(np.float32))

    def double(self) -> Module:
        return self._cast(np.dtype(np.float64))

    def half(self) -> Module:
        return self._cast(np.dtype(np.float16))

    def cpu(self) -> Module:
        return self

    def cuda(self, device=None) -> Module:
        """Raises ``DeviceError`` (a RuntimeError): chainrule runs on the CPU only."""
        _devices.check("cuda" if device is None else device if isinstance(device, (str, _devices.device)) else f"cuda:{device}", "Module.cuda")
        return self

    def type(self, dst_type) -> Module:
        return self._cast(np.dtype(dst_type))

    # -- state_dict ---------------------------------------------------------------------------------
    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """An ``OrderedDict`` of every parameter and persistent buffer, named like PyTorch's.

        The values are detached tensors sharing memory with the module (``keep_vars=True`` gives the
        Parameters themselves). Keys: ``"0.weight"``, ``"fc1.bias"``, ``"bn.running_mean"``, ...
        """
        if args:  # PyTorch's deprecated positional form state_dict(destination, prefix, keep_vars)
            destination, prefix, keep_vars = (list(args) + [destination, prefix, keep_vars][len(args):])[:3]
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else Tensor._wrap(p._data)
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else Tensor._wrap(b._data)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, strict, missing_keys, unexpected_keys, error_msgs,
                              assign: bool = False):
        """Copy this module's own entries (not its children's) from ``state_dict``; subclasses may adapt keys."""
        persistent = {k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set}
        for name, target in itertools.chain(self._parameters.items(), persistent.items()):
            if target is None:
                continue
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
                continue
            try:
                src = _to_array(state_dict[key])
            except Exception as exc:  # noqa: BLE001 - reported like a shape error, with the key
                error_msgs.append(f'While copying the parameter named "{key}", could not convert the '
                                  f"value of type {type(state_dict[key]).__name__}: {exc}")
                continue
            if src.shape != target._data.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {_shape_str(src.shape)} "
                                  f"from checkpoint, the shape in current model is {_shape_str(target._data.shape)}.")
                continue
            if assign:
                self._assign_loaded(name, state_dict[key], src, target)
            else:
                target._data[...] = src  # in place: optimizers and views holding the array stay valid
        # unexpected keys are collected either way; only `strict` turns them into an error
        local = {name for name, v in itertools.chain(self._parameters.items(), persistent.items()) if v is not None}
        for key in state_dict:
            if key.startswith(prefix):
                parts = key[len(prefix):].split(".", 1)
                if (parts[0] not in self._modules) if len(parts) > 1 else (parts[0] not in local):
                    unexpected_keys.append(key)

    def _assign_loaded(self, name, value, array, current) -> None:
        """``load_state_dict(assign=True)``: take the state dict's tensor (its dtype and memory) as ``name``.

        As in PyTorch, a parameter stays a Parameter and keeps the module's ``requires_grad``.
        """
        if name in self._parameters:
            if isinstance(value, Parameter):
                value.requires_grad_(current.requires_grad)
            else:
                value = Parameter(array, requires_grad=current.requires_grad)
        elif not isinstance(value, Tensor):
            value = Tensor._wrap(array)
        setattr(self, name, value)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy parameters and buffers from ``state_dict`` into this module, in place.

        Values may be chainrule tensors, NumPy arrays or torch tensors. With ``strict=True`` (default)
        missing or unexpected keys raise; otherwise they are returned as
        ``IncompatibleKeys(missing_keys, unexpected_keys)``. A shape mismatch always raises. With
        ``assign=True`` the module takes the state dict's tensors themselves (their dtype, sharing
        their memory) instead of copying into its own; parameters keep the module's ``requires_grad``.
        An optimizer built before then still holds the old parameters: build it afterwards.

        >>> model.load_state_dict({k: v.numpy() for k, v in torch_model.state_dict().items()})
        <All keys matched successfully>
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        missing, unexpected, errors = [], [], []
        for prefix, module in self.named_modules(remove_duplicate=False):
            module._load_from_state_dict(state_dict, prefix + "." if prefix else "", strict,
                                         missing, unexpected, errors, **({"assign": True} if assign else {}))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(self._get_name(), "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    # -- printing -----------------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside this layer's parentheses in ``repr``, e.g. ``in_features=4, out_features=2``."""
        return ""

    def _repr_html_(self):  # Jupyter: the layers and parameter counts as a table
        from chainrule.utils.html import module_html

        return module_html(self)

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"
