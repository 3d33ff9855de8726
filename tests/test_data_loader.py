"""DataLoader: shuffling, batching, the one-gather fast path, collation and samplers."""

import collections

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (
    BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler, SequentialSampler, Subset,
    SubsetRandomSampler, TensorDataset, default_collate, transforms,
)


def _ds(n=10):
    return TensorDataset(np.arange(n * 3, dtype=np.float32).reshape(n, 3), np.arange(n))


def _order(loader):
    return np.concatenate([y.numpy() for _, y in loader]).tolist()


class ListDataset(Dataset):
    """A generic (non array-backed) dataset."""

    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def test_batches_are_tensors_with_the_right_shapes_and_dtypes():
    xb, yb = next(iter(DataLoader(_ds(), batch_size=4)))
    assert isinstance(xb, cr.Tensor) and isinstance(yb, cr.Tensor)
    assert xb.shape == (4, 3) and xb.dtype == np.float32 and yb.dtype == np.int64
    assert yb.numpy().tolist() == [0, 1, 2, 3]


def test_no_shuffle_is_sequential_and_batch_size_defaults_to_one():
    loader = DataLoader(_ds(5))
    assert len(loader) == 5 and _order(loader) == [0, 1, 2, 3, 4]


def test_each_epoch_is_a_new_permutation():
    loader = DataLoader(_ds(50), batch_size=8, shuffle=True, seed=0)
    epochs = [_order(loader) for _ in range(3)]
    for e in epochs:
        assert sorted(e) == list(range(50))
    assert epochs[0] != epochs[1] != epochs[2] and epochs[0] != list(range(50))


def test_same_seed_same_order_and_generator_equivalent():
    a = DataLoader(_ds(30), batch_size=7, shuffle=True, seed=42)
    b = DataLoader(_ds(30), batch_size=7, shuffle=True, seed=42)
    c = DataLoader(_ds(30), batch_size=7, shuffle=True, generator=cr.Generator().manual_seed(42))
    d = DataLoader(_ds(30), batch_size=7, shuffle=True, seed=43)
    ea, eb, ec, ed = ([_order(x) for _ in range(2)] for x in (a, b, c, d))
    assert ea == eb == ec and ea != ed


def test_global_seed_controls_loaders_without_generator():
    loader = DataLoader(_ds(20), batch_size=5, shuffle=True)
    cr.manual_seed(7)
    first = _order(loader)
    cr.manual_seed(7)
    assert _order(loader) == first


@pytest.mark.parametrize("n, bs, drop_last, sizes", [
    (10, 4, False, [4, 4, 2]),
    (10, 4, True, [4, 4]),
    (8, 4, True, [4, 4]),
    (3, 5, False, [3]),
    (3, 5, True, []),
])
def test_drop_last_last_partial_batch_and_len(n, bs, drop_last, sizes):
    for shuffle in (False, True):
        loader = DataLoader(_ds(n), batch_size=bs, shuffle=shuffle, drop_last=drop_last, seed=0)
        assert [len(y) for _, y in loader] == sizes
        assert len(loader) == len(sizes)


def test_array_datasets_use_one_gather_per_batch(monkeypatch):
    calls = collections.Counter()

    def no_getitem(self, i):
        calls["getitem"] += 1
        raise AssertionError("the fast path must not call __getitem__")

    original = TensorDataset._gather

    def counting_gather(self, idx, generator=None):
        calls["gather"] += 1
        return original(self, idx, generator)

    monkeypatch.setattr(TensorDataset, "__getitem__", no_getitem)
    monkeypatch.setattr(TensorDataset, "_gather", counting_gather)
    base = _ds(20)
    for ds, parts in ((base, 1), (Subset(base, list(range(5, 20))), 1), (ConcatDataset([base, base]), 2)):
        calls.clear()
        loader = DataLoader(ds, batch_size=6, shuffle=True, seed=0)
        n = sum(1 for _ in loader)
        assert n == len(loader) and calls["getitem"] == 0
        assert n <= calls["gather"] <= parts * n  # one gather per batch (per part of a concatenation)


def test_overridden_getitem_is_respected():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x, y * 2

    ys = _order(DataLoader(Doubled(*_ds(6).tensors), batch_size=4))
    assert ys == [0, 2, 4, 6, 8, 10]


def test_subset_fast_path_reads_the_subset_samples():
    sub = Subset(_ds(20), [19, 3, 11, 0])
    xb, yb = next(iter(DataLoader(sub, batch_size=4)))
    assert yb.numpy().tolist() == [19, 3, 11, 0]
    assert np.array_equal(xb.numpy(), _ds(20).tensors[0].numpy()[[19, 3, 11, 0]])


def test_generic_dataset_falls_back_to_getitem_and_collate():
    items = [{"x": np.full(2, i, np.float32), "y": i, "name": f"s{i}"} for i in range(5)]
    batches = list(DataLoader(ListDataset(items), batch_size=2))
    assert len(batches) == 3
    first = batches[0]
    assert first["x"].shape == (2, 2) and first["y"].dtype == np.int64 and first["name"] == ["s0", "s1"]
    assert batches[-1]["y"].numpy().tolist() == [4]


def test_default_collate_types():
    out = default_collate([(np.zeros(3, np.float32), 1, 0.5), (np.ones(3, np.float32), 2, 1.5)])
    assert isinstance(out, list) and len(out) == 3  # tuples collate to lists, as torch
    assert out[0].shape == (2, 3) and out[0].dtype == np.float32
    assert out[1].dtype == np.int64 and out[1].numpy().tolist() == [1, 2]
    assert out[2].dtype == np.float32  # Python floats become chainrule's default dtype
    t = default_collate([cr.tensor([1.0, 2.0]), cr.tensor([3.0, 4.0])])
    assert t.shape == (2, 2) and t.numpy().tolist() == [[1, 2], [3, 4]]
    assert default_collate([np.float64(1), np.float64(2)]).dtype == np.float64
    assert default_collate([True, False]).dtype == np.bool_
    Point = collections.namedtuple("Point", "x y")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.numpy().tolist() == [1, 3]
    nested = default_collate([{"a": (1, [2, 3])}, {"a": (4, [5, 6])}])
    assert nested["a"][1][1].numpy().tolist() == [3, 6]


def test_default_collate_errors():
    with pytest.raises(ValueError, match="different shapes"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])


def test_custom_collate_fn_is_used():
    loader = DataLoader(_ds(4), batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2]


def test_loader_transform_applies_to_inputs_and_follows_the_seed():
    ds = TensorDataset(np.zeros((16, 4), np.float32), np.arange(16))
    noise = transforms.GaussianNoise(1.0)
    a = [x.numpy() for x, _ in DataLoader(ds, batch_size=8, transform=noise, seed=3)]
    b = [x.numpy() for x, _ in DataLoader(ds, batch_size=8, transform=noise, seed=3)]
    assert all(np.array_equal(p, q) for p, q in zip(a, b)) and a[0].std() > 0.5
    # same on the generic path, and targets are untouched
    items = [(np.zeros(4, np.float32), i) for i in range(16)]
    c = list(DataLoader(ListDataset(items), batch_size=8, transform=noise, seed=3))
    assert c[0][0].numpy().std() > 0.5 and c[1][1].numpy().tolist() == list(range(8, 16))


def test_batch_size_none_yields_single_samples():
    out = list(DataLoader(ListDataset([np.ones(2), np.zeros(2)]), batch_size=None))
    assert len(out) == 2 and isinstance(out[0], cr.Tensor) and out[0].shape == (2,)


def test_samplers_and_batch_sampler():
    g = cr.Generator().manual_seed(0)
    assert list(SequentialSampler(range(3))) == [0, 1, 2]
    perm = list(RandomSampler(range(10), generator=g))
    assert sorted(perm) == list(range(10)) and perm != list(range(10))
    assert len(list(RandomSampler(range(4), num_samples=10, generator=g))) == 10
    assert sorted(set(RandomSampler(range(4), num_samples=10, generator=g))) == [0, 1, 2, 3]
    assert set(RandomSampler(range(3), replacement=True, num_samples=50, generator=g)) <= {0, 1, 2}
    assert sorted(SubsetRandomSampler([4, 8, 9], generator=g)) == [4, 8, 9]
    assert list(BatchSampler(range(5), 2, drop_last=True)) == [[0, 1], [2, 3]]
    loader = DataLoader(_ds(10), batch_sampler=[[9, 0], [5]])
    assert _order(loader) == [9, 0, 5] and len(loader) == 2
    loader = DataLoader(_ds(10), batch_size=3, sampler=SubsetRandomSampler([1, 2, 3, 4], generator=g))
    assert sorted(_order(loader)) == [1, 2, 3, 4] and len(loader) == 2


def test_overridden_sampler_iter_is_respected():
    class Backwards(SequentialSampler):
        def __iter__(self):
            return iter(range(len(self.data_source) - 1, -1, -1))

    assert _order(DataLoader(_ds(5), batch_size=2, sampler=Backwards(range(5)))) == [4, 3, 2, 1, 0]


@pytest.mark.parametrize("kwargs, message", [
    (dict(shuffle=True, sampler=[0, 1]), "mutually exclusive with shuffle"),
    (dict(batch_size=2, batch_sampler=[[0]]), "mutually exclusive with batch_size"),
    (dict(batch_size=None, drop_last=True), "mutually exclusive with drop_last"),
    (dict(batch_size=0), "positive integer value, but got batch_size=0"),
    (dict(num_workers=-1), "num_workers"),
    (dict(seed=1, generator=cr.Generator()), "either generator= or seed="),
])
def test_loader_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(_ds(4), **kwargs)


def test_compatibility_arguments_are_accepted():
    loader = DataLoader(_ds(6), batch_size=3, num_workers=2, pin_memory=True, persistent_workers=True)
    assert len(list(loader)) == 2


def test_torch_style_imports():
    import chainrule as torch
    from chainrule.utils.data import DataLoader as DL, TensorDataset as TD

    assert DL is DataLoader and TD is TensorDataset
    assert torch.utils.data.DataLoader is DataLoader
    assert torch.data.random_split is torch.utils.data.random_split
