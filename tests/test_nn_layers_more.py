"""RMSNorm, Bilinear, PixelShuffle/PixelUnshuffle, ChannelShuffle and Softmax2d against PyTorch (float64)."""

import numpy as np
import pytest
import torch
from oracle import check_op

import chainrule as cr


def F(lib):
    return torch.nn.functional if lib is torch else cr.nn.functional


CASES = [
    ([(2, 3, 4), (4,)], lambda x, w, lib: F(lib).rms_norm(x, (4,), w)),
    ([(2, 3, 4)], lambda x, lib: F(lib).rms_norm(x, [3, 4], eps=1e-3)),
    ([(5, 3), (5, 4), (2, 3, 4), (2,)], lambda a, b, w, bias, lib: F(lib).bilinear(a, b, w, bias)),
    ([(2, 8, 3, 3)], lambda x, lib: F(lib).pixel_shuffle(x, 2)),
    ([(2, 2, 4, 6)], lambda x, lib: F(lib).pixel_unshuffle(x, 2)),
    ([(2, 6, 3, 3)], lambda x, lib: lib.nn.ChannelShuffle(3)(x)),
    ([(2, 3, 4, 5)], lambda x, lib: lib.nn.Softmax2d()(x)),
]


@pytest.mark.parametrize("shapes,fn", CASES)
def test_matches_torch(shapes, fn):
    check_op(shapes, fn)


@pytest.mark.parametrize("name,args", [("RMSNorm", (4,)), ("RMSNorm", ([3, 4], 1e-5, False)),
                                       ("Bilinear", (3, 4, 2)), ("PixelShuffle", (2,)), ("PixelUnshuffle", (2,))])
def test_modules_repr_and_state_dict_match_torch(name, args):
    ours, theirs = getattr(cr.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


def test_rmsnorm_module_forward_matches_torch():
    x = np.random.default_rng(0).normal(size=(2, 5, 4))
    ours, theirs = cr.nn.RMSNorm(4).double(), torch.nn.RMSNorm(4).double()
    np.testing.assert_allclose(ours(cr.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)
