"""scaled_dot_product_attention and nn.MultiheadAttention against PyTorch (float64): outputs, attention
weights and gradients, with masks, batch_first and unbatched input."""

import numpy as np
import pytest
import torch
from oracle import check_op

import chainrule as cr

rng = np.random.default_rng(0)
CAUSAL_BOOL = np.tril(np.ones((4, 5), dtype=bool))
FLOAT_MASK = rng.normal(size=(4, 5))


def SDPA(lib):
    return (torch.nn.functional if lib is torch else cr.nn.functional).scaled_dot_product_attention


@pytest.mark.parametrize("kw", [
    {}, {"scale": 0.3}, {"attn_mask": CAUSAL_BOOL}, {"attn_mask": FLOAT_MASK},
])
def test_sdpa_matches_torch(kw):
    def fn(q, k, v, lib):
        extra = {name: (lib.tensor(m) if isinstance(m, np.ndarray) else m) for name, m in kw.items()}
        return SDPA(lib)(q, k, v, **extra)

    check_op([(2, 3, 4, 6), (2, 3, 5, 6), (2, 3, 5, 7)], fn)


def test_sdpa_causal():
    check_op([(2, 4, 6), (2, 4, 6), (2, 4, 3)], lambda q, k, v, lib: SDPA(lib)(q, k, v, is_causal=True))


def _pair(batch_first, bias=True):
    theirs = torch.nn.MultiheadAttention(6, 2, bias=bias, batch_first=batch_first).double()
    ours = cr.nn.MultiheadAttention(6, 2, bias=bias, batch_first=batch_first).double()
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("case", ["plain", "batch_first", "masks", "per_head", "unbatched", "no_bias", "causal"])
def test_multihead_attention_matches_torch(case):
    batch_first = case in ("batch_first", "masks")
    ours, theirs = _pair(batch_first, bias=case != "no_bias")
    shape_q, shape_kv = ((3, 4, 6), (3, 5, 6)) if batch_first else ((4, 3, 6), (5, 3, 6))
    if case == "unbatched":
        shape_q, shape_kv = (4, 6), (5, 6)
    if case == "causal":
        shape_kv = shape_q
    q, k, v = rng.normal(size=shape_q), rng.normal(size=shape_kv), rng.normal(size=shape_kv)
    kw = {}
    if case == "masks":
        kw = {"attn_mask": ~CAUSAL_BOOL, "key_padding_mask": np.array([[False] * 4 + [True]] * 3)}
    if case == "per_head":
        kw = {"average_attn_weights": False, "attn_mask": rng.normal(size=(4, 5))}
    results = []
    for lib, mha in ((torch, theirs), (cr, ours)):
        tq = lib.tensor(q, requires_grad=True)
        args = {n: lib.tensor(m) for n, m in kw.items() if isinstance(m, np.ndarray)}
        args.update({n: m for n, m in kw.items() if not isinstance(m, np.ndarray)})
        if case == "causal":
            args = {"is_causal": True, "attn_mask": lib.tensor(~np.tril(np.ones((4, 4), dtype=bool)))}
        out, w = mha(tq, lib.tensor(k), lib.tensor(v), **args)
        (out * lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))).sum().backward()
        results.append((out.detach().numpy().copy(), w.detach().numpy().copy(), tq.grad.numpy().copy(),
                        mha.in_proj_weight.grad.numpy().copy(), mha.out_proj.weight.grad.numpy().copy()))
    for name, a, b in zip(["output", "weights", "grad query", "grad in_proj", "grad out_proj"], *results):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12, err_msg=name)


def test_need_weights_false_and_errors():
    mha = cr.nn.MultiheadAttention(4, 2)
    out, w = mha(cr.ones(3, 1, 4), cr.ones(3, 1, 4), cr.ones(3, 1, 4), need_weights=False)
    assert w is None and tuple(out.shape) == (3, 1, 4)
    for lib in (torch, cr):
        with pytest.raises(AssertionError):
            lib.nn.MultiheadAttention(5, 2)
