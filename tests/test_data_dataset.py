"""Datasets and splits: TensorDataset, Subset, ConcatDataset, random_split."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from chainrule.data.dataset import supports_gather


def _ds(n=10):
    return TensorDataset(np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n))


def test_tensor_dataset_items_are_tensors_sharing_memory():
    x = cr.from_numpy(np.arange(6, dtype=np.float32).reshape(3, 2))
    ds = TensorDataset(x, np.array([7, 8, 9]))
    xi, yi = ds[1]
    assert isinstance(xi, cr.Tensor) and isinstance(yi, cr.Tensor)
    assert xi.numpy().tolist() == [2.0, 3.0] and int(yi) == 8
    assert ds.tensors[0] is x and len(ds) == 3
    assert ds[-1][1].item() == 9


def test_tensor_dataset_rejects_mismatched_sizes():
    with pytest.raises(ValueError, match=r"same size in dimension 0.*\[3, 4\]"):
        TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


def test_tensor_dataset_transform_applies_to_inputs_per_sample_and_per_batch():
    # a plain function is a per-sample transform (torchvision's meaning): it sees one sample, a Tensor
    ds = TensorDataset(np.full((4, 2, 2), 255, np.uint8), np.arange(4), transform=lambda x: x.float() / 255)
    x, y = ds[0]
    assert x.shape == (2, 2) and x.dtype == np.float32 and x.numpy().max() == 1.0
    assert not supports_gather(ds)
    # chainrule's batchable transforms take the fast path: whole batches, the same result
    from chainrule.data.transforms import ToFloat

    ds = TensorDataset(np.full((4, 2, 2), 255, np.uint8), np.arange(4), transform=ToFloat())
    x, y = ds[0]
    assert x.shape == (2, 2) and x.dtype == np.float32 and x.numpy().max() == 1.0
    batch = ds._gather(np.array([0, 2]))
    assert supports_gather(ds) and batch[0].shape == (2, 2, 2) and batch[0].dtype == np.float32
    assert batch[1].tolist() == [0, 2]


def test_subset_and_concat_index_like_torch():
    ds = _ds(10)
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and int(sub[0][1]) == 7 and int(sub[-1][1]) == 5
    cat = ConcatDataset([ds, Subset(ds, [0, 1])])
    assert len(cat) == 12 and cat.cumulative_sizes == [10, 12]
    assert int(cat[10][1]) == 0 and int(cat[-1][1]) == 1 and int(cat[9][1]) == 9
    with pytest.raises(IndexError):
        cat[-13]
    assert len(ds + ds) == 20
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])


def test_concat_gather_matches_per_sample_order():
    a, b = _ds(5), TensorDataset(np.full((3, 2), -1.0, np.float32), np.arange(100, 103))
    cat = ConcatDataset([a, Subset(b, [2, 0, 1])])
    idx = np.array([6, 0, 7, 4, 5, 1])
    xs, ys = cat._gather(idx)
    assert ys.tolist() == [int(cat[i][1]) for i in idx]
    assert np.array_equal(xs, np.stack([cat[i][0].numpy() for i in idx]))


@pytest.mark.parametrize("n, lengths, expected", [
    (10, [3, 7], [3, 7]),
    (10, [0.8, 0.2], [8, 2]),
    (10, [0.33, 0.33, 0.34], [4, 3, 3]),  # torch: floors, then remainder round-robin
    (11, [0.5, 0.5], [6, 5]),
    (7, [1.0], [7]),
])
def test_random_split_lengths_disjoint_and_complete(n, lengths, expected):
    parts = random_split(_ds(n), lengths, seed=0)
    assert [len(p) for p in parts] == expected
    seen = np.concatenate([np.asarray(p.indices) for p in parts])
    assert sorted(seen.tolist()) == list(range(n))


@pytest.mark.filterwarnings("ignore:.*is 0")
def test_random_split_sizes_match_torch():
    torch = pytest.importorskip("torch")
    for n in (1, 2, 9, 10, 101, 997):
        for fr in ([0.1, 0.9], [0.33, 0.33, 0.34], [0.25] * 4, [0.7, 0.2, 0.1]):
            ours = [len(s) for s in random_split(range(n), fr, seed=0)]
            theirs = [len(s) for s in torch.utils.data.random_split(range(n), fr)]
            assert ours == theirs, (n, fr)


def test_random_split_warns_about_empty_splits():
    with pytest.warns(UserWarning, match="index 1 is 0"):
        random_split(range(2), [0.9, 0.1])


def test_random_split_is_reproducible_and_seed_dependent():
    a = [p.indices.tolist() for p in random_split(_ds(50), [0.6, 0.4], seed=1)]
    b = [p.indices.tolist() for p in random_split(_ds(50), [0.6, 0.4], generator=cr.Generator().manual_seed(1))]
    c = [p.indices.tolist() for p in random_split(_ds(50), [0.6, 0.4], seed=2)]
    assert a == b and a != c
    cr.manual_seed(5)
    d = [p.indices.tolist() for p in random_split(_ds(50), [30, 20])]
    cr.manual_seed(5)
    assert d == [p.indices.tolist() for p in random_split(_ds(50), [30, 20])]


def test_random_split_subsets_read_the_right_samples():
    train, val = random_split(_ds(10), [6, 4], seed=3)
    for sub in (train, val):
        for i in range(len(sub)):
            assert int(sub[i][1]) == int(sub.indices[i])


@pytest.mark.parametrize("lengths, message", [
    ([3, 3], "sum to 6 but the dataset has 10"),
    ([0.5, 0.6], "non-negative ints or fractions"),
    ([-2, 12], "non-negative"),
    (["a", 10], r"lengths\[0\] must be an int or a float"),
])
def test_random_split_errors_name_the_problem(lengths, message):
    with pytest.raises((ValueError, TypeError), match=message):
        random_split(_ds(10), lengths)


def test_random_split_rejects_generator_and_seed_together():
    with pytest.raises(ValueError, match="either generator= or seed="):
        random_split(_ds(4), [2, 2], generator=cr.Generator(), seed=1)


def test_generic_dataset_base_class():
    class Squares(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return i * i

    assert [Squares()[i] for i in range(4)] == [0, 1, 4, 9]
    assert len(Squares() + Squares()) == 8
    with pytest.raises(NotImplementedError):
        Dataset()[0]
