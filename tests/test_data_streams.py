"""IterableDataset, ChainDataset, StackDataset and WeightedRandomSampler, as torch.utils.data's (issue 20)."""

import numpy as np
import pytest
import torch

import chainrule as cr


def _stream(lib, n):
    class Count(lib.utils.data.IterableDataset):
        def __iter__(self):
            return iter(lib.arange(float(n)) * 2)

    return Count()


@pytest.mark.parametrize("kw", [dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)])
def test_iterable_dataset_batches_like_torch(kw):
    ours = [b.tolist() for b in cr.utils.data.DataLoader(_stream(cr, 7), **kw)]
    theirs = [b.tolist() for b in torch.utils.data.DataLoader(_stream(torch, 7), **kw)]
    assert ours == theirs
    chained = [b.tolist() for b in cr.utils.data.DataLoader(_stream(cr, 2) + _stream(cr, 3), batch_size=2)]
    assert chained == [[0.0, 2.0], [0.0, 2.0], [4.0]]


def test_iterable_dataset_refuses_shuffle_like_torch():
    for lib in (torch, cr):
        with pytest.raises(ValueError):
            lib.utils.data.DataLoader(_stream(lib, 3), shuffle=True)
    with pytest.raises(TypeError):
        len(cr.utils.data.DataLoader(_stream(cr, 3)))


def test_stack_dataset():
    x = cr.utils.data.TensorDataset(cr.arange(4.0))
    ds = cr.utils.data.StackDataset(x, [10, 11, 12, 13])
    assert len(ds) == 4 and ds[2][1] == 12 and ds[2][0][0].item() == 2.0
    d = cr.utils.data.StackDataset(a=[1, 2], b=[3, 4])
    assert d[1] == {"a": 2, "b": 4}
    with pytest.raises(ValueError):
        cr.utils.data.StackDataset([1], [1, 2])


def test_weighted_random_sampler():
    g = cr.Generator().manual_seed(0)
    s = cr.utils.data.WeightedRandomSampler([1.0, 0.0, 3.0], 20_000, generator=g)
    idx = np.array(list(s))
    assert len(s) == 20_000 and not np.any(idx == 1) and abs(np.mean(idx == 2) - 0.75) < 0.015
    no_rep = list(cr.utils.data.WeightedRandomSampler([1.0, 2.0, 3.0, 0.0], 3, replacement=False, generator=g))
    assert sorted(no_rep) == [0, 1, 2]
    loader = cr.utils.data.DataLoader(cr.utils.data.TensorDataset(cr.arange(3.0)), batch_size=4,
                                      sampler=cr.utils.data.WeightedRandomSampler([0.0, 0.0, 1.0], 4))
    assert next(iter(loader))[0].tolist() == [2.0] * 4
    for lib in (torch, cr):
        with pytest.raises(ValueError):
            lib.utils.data.WeightedRandomSampler([1.0, 2.0], 0)
        with pytest.raises(ValueError):
            lib.utils.data.WeightedRandomSampler([[1.0, 2.0]], 2)
