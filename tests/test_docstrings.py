"""Students read ``help(x.sum)``: every public Tensor method and property says what it does."""

import inspect

import chainrule as cr


def test_every_public_tensor_method_has_a_docstring():
    missing = []
    for name in dir(cr.Tensor):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cr.Tensor, name)
        fn = attr.fget if isinstance(attr, property) else getattr(attr, "__func__", attr)
        if callable(fn) and not (fn.__doc__ or "").strip():
            missing.append(name)
    assert not missing, f"Tensor methods without a docstring: {missing}"
