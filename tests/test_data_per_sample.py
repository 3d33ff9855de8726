"""Dataset transforms mean what torchvision's mean, per sample; chainrule's batch transforms are a
fast path with the same result (issue 20)."""

import numpy as np
import pytest

import chainrule as torch  # the code below is written as PyTorch users write it
from chainrule.data import DataLoader, TensorDataset, transforms
from chainrule.data.dataset import supports_gather
from chainrule.data.datasets import MNIST, write_idx


@pytest.fixture
def mnist_like(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", (np.arange(20) % 10).astype(np.uint8))
    return tmp_path, images


def test_lambda_flatten_flattens_one_image(mnist_like):
    root, images = mnist_like
    flat = transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda x: torch.flatten(x))])
    ds = MNIST(root=root, train=False, download=False, transform=flat)
    x, y = ds[0]
    assert tuple(x.shape) == (784,) and x.dtype == torch.float32
    np.testing.assert_allclose(x.numpy(), images[0].reshape(-1) / 255, rtol=1e-6)
    xb, yb = next(iter(DataLoader(ds, batch_size=8)))
    assert tuple(xb.shape) == (8, 784) and yb.tolist() == list(range(8))


def test_plain_functions_see_a_pil_image_like_torchvision(mnist_like):
    pytest.importorskip("PIL")
    root, images = mnist_like
    seen = []
    ds = MNIST(root=root, train=False, download=False, transform=lambda img: seen.append(img.size) or np.asarray(img))
    x, _ = ds[1]
    assert seen == [(28, 28)] and np.array_equal(np.asarray(x), images[1])


def test_fast_path_gives_the_per_sample_result(mnist_like):
    root, _ = mnist_like
    t = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    ds = MNIST(root=root, train=False, download=False, transform=t)
    assert supports_gather(ds) and transforms.is_batchable(t)
    xb, _ = next(iter(DataLoader(ds, batch_size=20)))
    per_sample = np.stack([ds[i][0].numpy() for i in range(20)])
    assert xb.shape == (20, 1, 28, 28)
    np.testing.assert_array_equal(xb.numpy(), per_sample)


def test_tensor_dataset_per_sample_function_and_batch_transform():
    X = np.arange(24, dtype=np.float32).reshape(6, 2, 2)
    ds = TensorDataset(X, np.arange(6), transform=transforms.Lambda(lambda x: x.sum()))  # one sample
    assert not supports_gather(ds)
    xb, _ = next(iter(DataLoader(ds, batch_size=3)))
    assert xb.tolist() == [X[i].sum() for i in range(3)]
    # a function of the whole batch is a DataLoader's batch_transform
    loader = DataLoader(TensorDataset(X, np.arange(6)), batch_size=3,
                        batch_transform=transforms.Lambda(lambda b: b - b.mean(0, keepdims=True)))
    xb, _ = next(iter(loader))
    np.testing.assert_allclose(xb.numpy(), X[:3] - X[:3].mean(0, keepdims=True))
    with pytest.raises(ValueError, match="batch_transform"):
        DataLoader(ds, transform=abs, batch_transform=abs)
