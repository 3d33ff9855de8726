"""chainrule.vision.datasets.ImageFolder against torchvision's on a generated folder of PNG and JPEG files."""

from pathlib import Path

import numpy as np
import pytest
from torchvision_oracle import import_torchvision

import chainrule as cr
from chainrule.data import DataLoader
from chainrule.vision import datasets
from chainrule.vision import transforms as T

Image = pytest.importorskip("PIL.Image")


def make_folder(root, per_class=3, corrupt=False):
    rng = np.random.default_rng(0)
    for k, name in enumerate(["sneaker", "Boot", "sandal", "ankle boot"]):  # sorted: Boot, ankle boot, sandal, sneaker
        folder = root / name / ("nested" if k == 2 else "")
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (12 + i, 10, 3), dtype=np.uint8)
            img = Image.fromarray(pixels).convert("L") if i % 2 else Image.fromarray(pixels)
            img.save(folder / f"img{i}.{'png' if (i + k) % 2 else 'JPG'}")
    (root / "sneaker" / "notes.txt").write_text("not an image")
    (root / "empty_file_not_a_class").write_text("")
    if corrupt:
        (root / "sandal" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return root


def test_classes_samples_and_items_match_torchvision(tmp_path):
    tv = import_torchvision()
    root = make_folder(tmp_path / "data")
    tf = [T.Grayscale(), T.Resize(8), T.CenterCrop(8), T.ToTensor()]
    tvtf = [tv.transforms.Grayscale(), tv.transforms.Resize(8), tv.transforms.CenterCrop(8), tv.transforms.ToTensor()]
    ours = datasets.ImageFolder(root, transform=T.Compose(tf))
    theirs = tv.datasets.ImageFolder(str(root), transform=tv.transforms.Compose(tvtf))
    assert ours.classes == theirs.classes == ["Boot", "ankle boot", "sandal", "sneaker"]
    assert ours.class_to_idx == theirs.class_to_idx
    assert ours.samples == theirs.samples and ours.targets == theirs.targets and len(ours) == 12
    for i in range(len(ours)):
        x, y = ours[i]
        tx, ty = theirs[i]
        assert y == ty and x.shape == (1, 8, 8)
        np.testing.assert_allclose(x.numpy(), tx.numpy(), atol=1e-6)
    raw, _ = datasets.ImageFolder(root)[1]
    assert raw.mode == "RGB"  # grayscale files open as RGB, as in torchvision


def test_loader_batches_and_corrupt_files_named(tmp_path):
    root = make_folder(tmp_path / "data", corrupt=True)
    data = datasets.ImageFolder(root, transform=T.Compose([T.Resize((8, 8)), T.ToTensor()]))
    bad = data.find_unreadable()
    assert [p.rsplit("/", 2)[-2:] for p, _ in bad] == [["sandal", "broken.png"]]
    index = next(i for i, (p, _) in enumerate(data.samples) if p.endswith("broken.png"))
    with pytest.raises(datasets.DatasetError, match="broken.png"):
        data[index]
    good = cr.data.Subset(data, [i for i in range(len(data)) if i != index])
    x, y = next(iter(DataLoader(good, batch_size=5, shuffle=True, generator=cr.Generator().manual_seed(0))))
    assert x.shape == (5, 3, 8, 8) and x.dtype == cr.float32 and y.shape == (5,)


def test_folder_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder"):
        datasets.ImageFolder(tmp_path / "missing")
    (tmp_path / "flat").mkdir()
    Image.new("L", (4, 4)).save(tmp_path / "flat" / "a.png")
    with pytest.raises(FileNotFoundError, match="class folder"):
        datasets.ImageFolder(tmp_path / "flat")
    (tmp_path / "flat" / "empty").mkdir()
    (tmp_path / "flat" / "full").mkdir()
    Image.new("L", (4, 4)).save(tmp_path / "flat" / "full" / "a.png")
    with pytest.raises(FileNotFoundError, match="no valid file for the classes empty"):
        datasets.ImageFolder(tmp_path / "flat")
    assert len(datasets.ImageFolder(tmp_path / "flat", allow_empty=True)) == 1
    assert datasets.FashionMNIST is cr.data.datasets.FashionMNIST and datasets.MNIST is cr.data.datasets.MNIST


@pytest.mark.skipif(not Path("/usr/share/datasets/fashion-mnist").is_dir(), reason="Fashion-MNIST is not installed")
def test_fashion_mnist_takes_torchvision_per_image_transforms():
    tv = import_torchvision()
    ours = datasets.FashionMNIST(train=False, transform=T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]))
    tvtf = tv.transforms.Compose([tv.transforms.ToTensor(), tv.transforms.Normalize((0.5,), (0.5,))])
    x, y = ours[3]
    assert x.shape == (1, 28, 28) and y == int(ours.targets[3])
    np.testing.assert_allclose(x.numpy(), tvtf(Image.fromarray(ours.data.numpy()[3], mode="L")).numpy(), atol=1e-6)
    xb, yb = next(iter(DataLoader(ours, batch_size=4)))
    assert xb.shape == (4, 1, 28, 28) and yb.shape == (4,)
    fast = datasets.FashionMNIST(train=False, transform=cr.data.transforms.ToTensor())  # a batch transform
    assert cr.data.dataset.supports_gather(fast) and not cr.data.dataset.supports_gather(ours)
    np.testing.assert_allclose(fast[3][0].numpy() * 2 - 1, x.numpy(), atol=1e-6)
