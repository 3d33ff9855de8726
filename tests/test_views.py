"""View or copy: where PyTorch returns a view, does chainrule share memory too? (issue 20)

Each case writes into the result and checks whether the source changed, on both libraries; the
documented answer is in docs/api-coverage.md ("Where PyTorch returns a view ...").
"""

import numpy as np
import pytest
import torch

import chainrule as cr

SHARED = {  # PyTorch returns a view, and so does chainrule
    "detach": lambda x: x.detach(),
    "data": lambda x: x.data,
    "slice": lambda x: x[1:3],
    "basic_index": lambda x: x[:, 0],
    "T": lambda x: x.T,
    "t": lambda x: x.t(),
    "transpose": lambda x: x.transpose(0, 1),
    "permute": lambda x: x.permute(1, 0),
    "view": lambda x: x.view(-1),
    "reshape_contiguous": lambda x: x.reshape(4, 3),
    "flatten": lambda x: x.flatten(),
    "unsqueeze": lambda x: x.unsqueeze(0),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(0),
    "narrow": lambda x: x.narrow(0, 1, 2),
    "split": lambda x: x.split(2)[0],
    "chunk": lambda x: x.chunk(2)[1],
}
COPIED = {  # PyTorch copies, and so does chainrule
    "advanced_index": lambda x: x[[0, 2]],
    "mask_index": lambda x: x[x > 5],
    "clone": lambda x: x.clone(),
    "reshape_of_transpose": lambda x: x.t().reshape(-1),
    "to_other_dtype": lambda x: x.to(torch.float64 if isinstance(x, torch.Tensor) else cr.float64),
}


def _shares(lib, fn):
    x = lib.arange(12, dtype=lib.float32).reshape(4, 3)
    before = x.clone()
    y = fn(x)
    with lib.no_grad():
        y.fill_(-1.0)
    return not bool((x == before).all())


@pytest.mark.parametrize("name", sorted(SHARED))
def test_views_share_memory_like_pytorch(name):
    assert _shares(torch, SHARED[name]) and _shares(cr, SHARED[name])


@pytest.mark.parametrize("name", sorted(COPIED))
def test_copies_do_not_share_like_pytorch(name):
    assert not _shares(torch, COPIED[name]) and not _shares(cr, COPIED[name])


def test_numpy_and_from_numpy_share():
    a = np.zeros(3, np.float32)
    t = cr.from_numpy(a)
    t[0] = 5
    assert a[0] == 5 and t.numpy() is a


def test_view_of_non_contiguous_copies_where_pytorch_raises():
    with pytest.raises(RuntimeError):
        torch.arange(6.0).reshape(2, 3).t().view(-1)
    x = cr.arange(6.0).reshape(2, 3)
    y = x.t().view(-1)  # documented departure: a copy
    assert y.tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
