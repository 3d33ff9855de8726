"""Transformer encoder/decoder layers and stacks against PyTorch (float64, evaluation mode, the same
weights through the state_dict): outputs and input gradients."""

import numpy as np
import pytest
import torch

import chainrule as cr

rng = np.random.default_rng(0)


def _load(ours, theirs):
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    ours.double().eval()
    theirs.double().eval()


def _compare(ours_fn, theirs_fn, *arrays):
    results = []
    for lib, fn in ((torch, theirs_fn), (cr, ours_fn)):
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = fn(*xs)
        (out * lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))).sum().backward()
        results.append([out.detach().numpy().copy()] + [x.grad.numpy().copy() for x in xs])
    for name, a, b in zip(["output"] + [f"grad {i}" for i in range(len(arrays))], *results):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-11, err_msg=name)


@pytest.mark.parametrize("kw", [{}, {"norm_first": True, "activation": "gelu"}, {"batch_first": True}])
def test_encoder_matches_torch(kw):
    theirs_layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **kw)
    theirs = torch.nn.TransformerEncoder(theirs_layer, 2, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
    ours = cr.nn.TransformerEncoder(cr.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **kw), 2,
                                    norm=cr.nn.LayerNorm(8))
    _load(ours, theirs)
    mask = np.triu(np.full((5, 5), -np.inf), 1)
    x = rng.normal(size=(3, 5, 8) if kw.get("batch_first") else (5, 3, 8))
    _compare(lambda s: ours(s, mask=cr.tensor(mask)), lambda s: theirs(s, mask=torch.tensor(mask)), x)


@pytest.mark.parametrize("kw", [{}, {"norm_first": True}])
def test_decoder_matches_torch(kw):
    theirs = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, **kw), 2)
    ours = cr.nn.TransformerDecoder(cr.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, **kw), 2)
    _load(ours, theirs)
    causal = np.triu(np.ones((4, 4), dtype=bool), 1)
    pad = np.array([[False] * 5, [False] * 4 + [True], [False] * 5])
    tgt, memory = rng.normal(size=(4, 3, 8)), rng.normal(size=(5, 3, 8))
    _compare(lambda t, m: ours(t, m, tgt_mask=cr.tensor(causal), memory_key_padding_mask=cr.tensor(pad)),
             lambda t, m: theirs(t, m, tgt_mask=torch.tensor(causal), memory_key_padding_mask=torch.tensor(pad)),
             tgt, memory)


def test_full_transformer_matches_torch():
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16, dropout=0.0,
              batch_first=True)
    theirs, ours = torch.nn.Transformer(**kw), cr.nn.Transformer(**kw)
    _load(ours, theirs)
    mask = cr.nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(mask.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())
    src, tgt = rng.normal(size=(2, 5, 8)), rng.normal(size=(2, 4, 8))
    _compare(lambda s, t: ours(s, t, tgt_mask=mask.double()),
             lambda s, t: theirs(s, t, tgt_mask=torch.tensor(mask.numpy()).double()), src, tgt)


def test_layer_trains_and_state_dict_keys_match():
    ours = cr.nn.TransformerEncoderLayer(8, 2, 16)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    opt = cr.optim.Adam(ours.parameters(), lr=1e-2)
    x = cr.randn(6, 2, 8)
    first = None
    for _ in range(20):
        loss = (ours(x) - 1).pow(2).mean()
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first
