"""FashionMNIST / MNIST: the real files, the search order, and downloads from a local HTTP server."""

import hashlib
from pathlib import Path

import numpy as np
import pytest
from helpers import serve_folder

import chainrule as cr
from chainrule.data import DataLoader, Subset, transforms
from chainrule.data.datasets import MNIST, DatasetError, FashionMNIST, write_idx
from chainrule.data.datasets import download as dl
from chainrule.data.datasets.mnist import cache_dir

DEBIAN = Path("/usr/share/datasets/fashion-mnist")
needs_debian = pytest.mark.skipif(
    not (DEBIAN / "t10k-images-idx3-ubyte.gz").exists(),
    reason="Debian package dataset-fashion-mnist is not installed",
)
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No user cache, CHAINRULE_DATA or system folder leaks in; localhost bypasses any proxy."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.delenv(dl.MIRROR_ENV, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/never-used/"])
    monkeypatch.setattr(FashionMNIST, "mirrors", ["http://127.0.0.1:9/never-used/"])


# -- the real Fashion-MNIST (Debian package) ------------------------------------------------------

@pytest.fixture(scope="module")
def fashion_test():
    return FashionMNIST(root=DEBIAN, train=False, download=False)


@needs_debian
def test_real_fashion_mnist_train_split():
    train = FashionMNIST(root=DEBIAN, train=True, download=False)
    assert len(train) == 60000 and train.data.shape == (60000, 28, 28)
    assert train.data.dtype == np.uint8 and train.targets.dtype == np.int64
    assert np.bincount(train.targets.numpy()).tolist() == [6000] * 10


@needs_debian
def test_real_fashion_mnist_test_split(fashion_test):
    ds = fashion_test
    assert len(ds) == 10000 and ds.data.shape == (10000, 28, 28) and ds.data.dtype == np.uint8
    labels = ds.targets.numpy()
    assert labels.min() == 0 and labels.max() == 9 and np.bincount(labels).tolist() == [1000] * 10
    assert ds.classes[9] == "Ankle boot" and ds.class_to_idx["Trouser"] == 1
    x, y = ds[0]
    assert isinstance(x, cr.Tensor) and x.shape == (1, 28, 28) and x.dtype == np.float32
    assert isinstance(y, int) and 0 <= x.numpy().min() and x.numpy().max() <= 1
    assert 0.2 < ds.data.numpy().mean() / 255 < 0.4  # real images, not zeros


@needs_debian
def test_real_fashion_mnist_is_found_in_the_system_folder_without_root():
    ds = FashionMNIST(train=False, download=False)
    assert ds.folder == DEBIAN and len(ds) == 10000


@needs_debian
def test_real_fashion_mnist_loader_epoch(fashion_test):
    loader = DataLoader(fashion_test, batch_size=256, shuffle=True, seed=0,
                        transform=transforms.Compose([transforms.Normalize((0.5,), (0.5,)), transforms.RandomShift(2)]))
    seen = []
    for x, y in loader:
        assert x.dtype == np.float32 and x.shape[1:] == (1, 28, 28)
        assert -1.0 <= x.numpy().min() and x.numpy().max() <= 1.0
        seen.append(y.numpy())
    assert len(seen) == len(loader) == 40
    assert sorted(np.concatenate(seen).tolist()) == sorted(fashion_test.targets.numpy().tolist())


@needs_debian
def test_dataset_transform_and_target_transform(fashion_test):
    # a Lambda is a per-sample transform: it sees one image, a PIL image as in torchvision
    raw = FashionMNIST(root=DEBIAN, train=False, download=False, transform=transforms.Lambda(np.asarray),
                       target_transform=lambda t: t + 100)
    x, y = raw[3]
    assert x.dtype == np.uint8 and x.shape == (28, 28) and y == int(fashion_test.targets[3]) + 100
    assert np.array_equal(x, fashion_test.data[3].numpy())
    xb, yb = next(iter(DataLoader(Subset(raw, [3, 4]), batch_size=2)))  # per-sample path
    assert yb.numpy().tolist() == [y, int(fashion_test.targets[4]) + 100]


# -- search order ---------------------------------------------------------------------------------

def _write_split(folder, n, value=0, train=False):
    folder.mkdir(parents=True, exist_ok=True)
    prefix = "train" if train else "t10k"
    write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", np.full((n, 28, 28), value, np.uint8))
    write_idx(folder / f"{prefix}-labels-idx1-ubyte", np.arange(n, dtype=np.uint8) % 10)  # raw works too
    return folder


def test_search_order_root_then_env_then_cache(monkeypatch, tmp_path):
    monkeypatch.setattr(FashionMNIST, "system_dirs", ())
    root = _write_split(tmp_path / "root", 3)
    _write_split(tmp_path / "env" / "fashion-mnist", 4)
    cache = _write_split(tmp_path / "xdg-cache" / "chainrule" / "fashion-mnist", 5)
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env"))
    assert len(FashionMNIST(root=root, train=False, download=False)) == 3
    assert len(FashionMNIST(train=False, download=False)) == 4
    monkeypatch.delenv("CHAINRULE_DATA")
    assert FashionMNIST(train=False, download=False).folder == cache
    torch_layout = _write_split(tmp_path / "tv" / "FashionMNIST" / "raw", 6)
    assert FashionMNIST(root=tmp_path / "tv", train=False, download=False).folder == torch_layout
    assert cache_dir("mnist") == tmp_path / "xdg-cache" / "chainrule" / "mnist"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert cache_dir("mnist") == Path.home() / ".cache" / "chainrule" / "mnist"


def test_not_found_without_download_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(tmp_path / "no-system"),))
    with pytest.raises(DatasetError) as info:
        FashionMNIST(root=tmp_path / "nothing", train=False, download=False)
    msg = str(info.value)
    for part in ("t10k-images-idx3-ubyte", str(tmp_path / "nothing"), str(tmp_path / "no-system"),
                 "download=False", "apt-get install dataset-fashion-mnist", "CHAINRULE_DATA", dl.MIRROR_ENV):
        assert part in msg, part


# -- downloads from a local server ----------------------------------------------------------------

@pytest.fixture
def server(tmp_path):
    """Serves tmp_path/www on 127.0.0.1 (random free port): good/ has valid files, bad/ corrupted ones."""
    www = tmp_path / "www"
    images = np.random.default_rng(0).integers(0, 256, (12, 28, 28)).astype(np.uint8)
    labels = (np.arange(12) % 10).astype(np.uint8)
    (www / "good").mkdir(parents=True)
    (www / "bad").mkdir()
    write_idx(www / "good" / TEST_FILES[0], images)
    write_idx(www / "good" / TEST_FILES[1], labels)
    for name in TEST_FILES:
        data = bytearray((www / "good" / name).read_bytes())
        data[-5] ^= 0xFF
        (www / "bad" / name).write_bytes(bytes(data))
    sums = {name: hashlib.sha256((www / "good" / name).read_bytes()).hexdigest() for name in TEST_FILES}
    with serve_folder(www) as (url, requests):
        yield {"url": url, "sums": sums, "images": images, "labels": labels, "requests": requests}


def _leftovers(folder):
    return [p.name for p in Path(folder).rglob("*") if p.name.startswith(".") or p.suffix == ".part"]


def test_download_success_into_torchvision_layout(monkeypatch, tmp_path, server):
    monkeypatch.setattr(MNIST, "sha256", server["sums"])
    monkeypatch.setenv(dl.MIRROR_ENV, server["url"] + "/good/")
    ds = MNIST(root=tmp_path / "data", train=False)
    target = tmp_path / "data" / "MNIST" / "raw"
    assert ds.folder == target and sorted(p.name for p in target.iterdir()) == sorted(TEST_FILES)
    np.testing.assert_array_equal(ds.data.numpy(), server["images"])
    assert ds.targets.numpy().tolist() == server["labels"].tolist()
    assert _leftovers(tmp_path / "data") == []
    n = len(server["requests"])
    MNIST(root=tmp_path / "data", train=False)  # found now: no new request
    assert len(server["requests"]) == n == 2


def test_checksum_mismatch_falls_back_to_the_next_mirror(monkeypatch, tmp_path, server):
    monkeypatch.setattr(MNIST, "sha256", server["sums"])
    monkeypatch.setenv(dl.MIRROR_ENV, f"{server['url']}/bad/ {server['url']}/good/")
    ds = MNIST(train=False)  # into the user cache
    assert ds.folder == tmp_path / "xdg-cache" / "chainrule" / "mnist"
    np.testing.assert_array_equal(ds.data.numpy(), server["images"])
    assert server["requests"][:2] == ["/bad/" + TEST_FILES[0], "/good/" + TEST_FILES[0]]
    assert _leftovers(ds.folder) == []


def test_all_mirrors_failing_gives_a_helpful_error(monkeypatch, tmp_path, server):
    monkeypatch.setattr(FashionMNIST, "sha256", {**FashionMNIST.sha256, **server["sums"]})
    monkeypatch.setattr(FashionMNIST, "system_dirs", ())
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "shared"))
    monkeypatch.setenv(dl.MIRROR_ENV, f"{server['url']}/bad/ {server['url']}/missing/")
    with pytest.raises(DatasetError) as info:
        FashionMNIST(train=False)
    msg = str(info.value)
    for part in (f"{server['url']}/bad/{TEST_FILES[0]}: checksum mismatch",
                 f"{server['url']}/missing/{TEST_FILES[0]}: HTTP Error 404",
                 str(tmp_path / "shared" / "fashion-mnist"), "apt-get install dataset-fashion-mnist",
                 "CHAINRULE_DATA", dl.MIRROR_ENV):
        assert part in msg, part
    folder = tmp_path / "shared" / "fashion-mnist"
    assert list(folder.iterdir()) == []  # neither a partial nor a wrong file was left behind


def test_download_function_progress_bar_and_errors(tmp_path, server, capsys):
    name = TEST_FILES[0]
    path = dl.download(name, server["sums"][name], tmp_path / "d", [server["url"] + "/good"], progress=True)
    assert path.read_bytes() == (tmp_path / "www" / "good" / name).read_bytes()
    err = capsys.readouterr().err
    assert name in err and "100%" in err and err.endswith("\n")
    with pytest.raises(dl.DownloadError) as info:
        dl.download(name, "0" * 64, tmp_path / "e", [server["url"] + "/good/", "http://127.0.0.1:9/"], timeout=5)
    assert len(info.value.attempts) == 2 and "checksum mismatch" in info.value.attempts[0][1]
    assert list((tmp_path / "e").iterdir()) == []


def test_download_false_makes_no_request(monkeypatch, tmp_path, server):
    monkeypatch.setenv(dl.MIRROR_ENV, server["url"] + "/good/")
    with pytest.raises(DatasetError, match="download=False"):
        MNIST(root=tmp_path / "r", train=False, download=False)
    assert server["requests"] == []
