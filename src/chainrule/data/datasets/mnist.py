"""Fashion-MNIST and MNIST from the standard IDX files, found locally or downloaded and checksummed.

The files of a split are looked for, in order, in: the explicit ``root`` (also ``root/<name>`` and
torchvision's ``root/<ClassName>/raw``), ``$CHAINRULE_DATA/<name>``, the user cache
(``$XDG_CACHE_HOME/chainrule/<name>``, default ``~/.cache/chainrule/<name>``) and system folders
(Debian/Ubuntu's ``dataset-fashion-mnist`` package installs ``/usr/share/datasets/fashion-mnist``).
Each file may be gzipped (``.gz``) or raw. Only then, with ``download=True``, are the missing files
fetched from the mirrors, checked against pinned SHA-256 sums, into ``root/<ClassName>/raw`` (the
torchvision layout), else ``$CHAINRULE_DATA/<name>``, else the user cache.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._util import wrap
from ..dataset import Dataset
from ..transforms import ToTensor, apply_to_sample, apply_transform, is_batchable
from . import download as _download
from .idx import DatasetError, read_idx

# Canonical files (zalandoresearch/fashion-mnist), as served by the S3 bucket and the GitHub repository.
# NOTE: Debian's dataset-fashion-mnist re-gzips them (no file name, other mtime in the gzip header),
# so its .gz files hash differently; their content is identical. Local files are validated by the IDX
# reader, not by these sums, which guard downloads.
FASHION_MNIST_MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
]
FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}

MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

_SPLITS = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
           False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def cache_dir(name: str) -> Path:
    """The user cache folder of dataset ``name``: ``$XDG_CACHE_HOME/chainrule/<name>`` or ``~/.cache/...``."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"  # relative values are invalid per XDG
    return base / "chainrule" / name


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 pixels.

    Samples are ``(image, label)``: with ``transform=None`` the image is float32 in [0, 1] of shape
    ``(1, 28, 28)`` (as torchvision with ``ToTensor()``) and the label a Python int. ``transform`` is
    applied to each image as torchvision does: other transforms and functions receive a PIL image
    (a uint8 ``(28, 28)`` array when Pillow is not installed). When it is made of chainrule's batchable
    transforms (``chainrule.data.transforms``, except ``Lambda``) the DataLoader applies it to whole
    batches of uint8 ``(N, 28, 28)`` images instead: the same result, much faster.

    Args:
        root (str or Path, optional): folder to look in first and to download into. Default: None.
        train (bool): the training split, else the test split. Default: True.
        transform (callable, optional): transform of each image. Default: None (``ToTensor()``).
        target_transform (callable, optional): function of each int label. Default: None.
        download (bool): fetch missing files from the mirrors. Default: True.

    Attributes:
        data (Tensor): uint8 images, shape ``(N, 28, 28)``.
        targets (Tensor): int64 labels, shape ``(N,)``.
        classes (list of str): class names, indexed by label.

    Raises:
        DatasetError: the files cannot be found or downloaded (the message says where it looked and
            what to do), or a file is corrupt.

    >>> test = MNIST(train=False)  # doctest: +SKIP
    >>> len(test), tuple(test.data.shape), tuple(test[0][0].shape)  # doctest: +SKIP
    (10000, (10000, 28, 28), (1, 28, 28))
    """

    name = "mnist"
    mirrors = MNIST_MIRRORS
    sha256 = MNIST_SHA256
    system_dirs: tuple = ()
    apt_package: str | None = None
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=True):
        self.root = None if root is None else Path(root).expanduser()
        self.train, self.transform, self.target_transform = bool(train), transform, target_transform
        self._transform = transform if transform is not None else ToTensor()
        images_path, labels_path = self._locate(download)
        self._images, self._labels = _load(images_path, labels_path, len(self.classes))
        self.folder = images_path.parent
        self.data, self.targets = wrap(self._images), wrap(self._labels)

    @property
    def class_to_idx(self) -> dict:
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, index):
        image = self._images[index]
        if not is_batchable(self._transform):
            image = _to_pil(image)  # torchvision hands its transforms PIL images
        image = apply_to_sample(self._transform, image)
        if isinstance(image, np.ndarray):
            image = wrap(image)
        target = int(self._labels[index])
        return image, (self.target_transform(target) if self.target_transform is not None else target)

    def _can_gather(self) -> bool:
        # target_transform is a per-label Python function; a non-batchable transform runs per sample
        return self.target_transform is None and is_batchable(self._transform)

    def _gather(self, indices: np.ndarray, generator=None) -> list:
        images = apply_transform(self._transform, np.take(self._images, indices, axis=0), generator)
        return [images, np.take(self._labels, indices)]

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.folder}\n    Split: {split}")

    # -- finding the files -------------------------------------------------------------------------

    def _search_dirs(self) -> list[Path]:
        dirs = []
        if self.root is not None:
            dirs += [self.root, self.root / self.name, self.root / type(self).__name__ / "raw"]
        if os.environ.get("CHAINRULE_DATA"):
            dirs.append(Path(os.environ["CHAINRULE_DATA"]).expanduser() / self.name)
        dirs.append(cache_dir(self.name))
        dirs += [Path(d) for d in self.system_dirs]
        return dirs

    def _download_dir(self) -> Path:
        if self.root is not None:
            return self.root / type(self).__name__ / "raw"
        if os.environ.get("CHAINRULE_DATA"):
            return Path(os.environ["CHAINRULE_DATA"]).expanduser() / self.name
        return cache_dir(self.name)

    def _locate(self, download: bool) -> tuple[Path, Path]:
        # All of a dataset's files come from one folder: the first that holds any of them. A partial copy
        # (only the test files in $CHAINRULE_DATA, say) is completed by a download there or refused, never
        # mixed with another folder's files, so that the train and test splits cannot come from two sources.
        stems = _SPLITS[self.train]
        dirs = self._search_dirs()
        for d in dirs:
            every = {stem: _existing(d, stem) for split in _SPLITS.values() for stem in split}
            if not any(every.values()):
                continue
            found = [every[stem] for stem in stems]
            if all(found):
                return found[0], found[1]
            if download and d == self._download_dir():
                break  # complete the partial copy below
            have = ", ".join(p.name for p in every.values() if p)
            missing = ", ".join(f"{stem}[.gz]" for stem, p in zip(stems, found) if not p)
            raise DatasetError(
                f"{type(self).__name__}: {d} holds some of the dataset's files ({have}) but not {missing}. All of a "
                "dataset's files are read from one folder, so that the training and test splits never come from "
                "two different copies: add the missing files there, or remove the partial copy so that the next "
                f"folder is used ({', '.join(str(x) for x in dirs[dirs.index(d) + 1:]) or 'none left'})")
        attempts: list[tuple[str, str]] = []
        if download:
            target = self._download_dir()
            try:
                paths = [_existing(target, stem) or _download.download(
                    stem + ".gz", self.sha256[stem + ".gz"], target, _download.mirrors(self.mirrors))
                    for stem in stems]
                return paths[0], paths[1]
            except _download.DownloadError as e:
                attempts = e.attempts or [(str(target), str(e))]
        raise DatasetError(self._not_found_message(dirs, download, attempts))

    def _not_found_message(self, dirs, download, attempts) -> str:
        cls = type(self).__name__
        files = ", ".join(f"{s}[.gz]" for s in _SPLITS[self.train])
        lines = [f"{cls}: cannot find the {'training' if self.train else 'test'} files ({files})."]
        lines += _download.search_report(self.root, dirs, download, attempts, "the files", self.mirrors,
                                         self._download_dir())
        lines.append("To fix it, do one of:")
        if self.apt_package:
            lines.append(f"  - install the Debian/Ubuntu package: sudo apt-get install {self.apt_package}")
        lines += [f"  - put the files into one of the folders above, or set CHAINRULE_DATA to a folder whose "
                  f"'{self.name}' subfolder holds them",
                  f"  - set {_download.MIRROR_ENV} to a base URL that serves the .gz files (e.g. a local mirror)"]
        return "\n".join(lines)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 60,000 training and 10,000 test 28x28 images of 10 kinds of clothing.

    Same interface and sample format as ``MNIST``; also found in ``/usr/share/datasets/fashion-mnist``
    (Debian/Ubuntu package ``dataset-fashion-mnist``).

    Args:
        root (str or Path, optional): folder to look in first and to download into. Default: None.
        train (bool): the training split, else the test split. Default: True.
        transform (callable, optional): transform of each image. Default: None (``ToTensor()``).
        target_transform (callable, optional): function of each int label. Default: None.
        download (bool): fetch missing files from the mirrors. Default: True.

    >>> from chainrule.data import DataLoader, transforms
    >>> train = FashionMNIST(train=True, transform=transforms.Compose([  # doctest: +SKIP
    ...     transforms.ToTensor(), transforms.RandomHorizontalFlip()]))
    >>> x, y = next(iter(DataLoader(train, batch_size=64, shuffle=True)))  # doctest: +SKIP
    >>> tuple(x.shape), y.dtype  # doctest: +SKIP
    ((64, 1, 28, 28), dtype('int64'))
    """

    name = "fashion-mnist"
    mirrors = FASHION_MNIST_MIRRORS
    sha256 = FASHION_MNIST_SHA256
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    apt_package = "dataset-fashion-mnist"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def _to_pil(image: np.ndarray):
    """A grayscale PIL image of a uint8 (H, W) array, or the array when Pillow is not installed."""
    try:
        from PIL import Image
    except ImportError:
        return image
    return Image.fromarray(np.ascontiguousarray(image))  # uint8 (H, W): mode "L"


def _existing(folder: Path, stem: str) -> Path | None:
    for path in (folder / (stem + ".gz"), folder / stem):
        if path.is_file():
            return path
    return None


def _load(images_path: Path, labels_path: Path, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(images_path, ndim=3, dtype=np.uint8)
    labels = read_idx(labels_path, ndim=1, dtype=np.uint8)
    if images.shape[1:] != (28, 28):
        raise DatasetError(f"{images_path}: expected 28x28 images, got {images.shape[1]}x{images.shape[2]}")
    if len(images) != len(labels):
        raise DatasetError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels")
    if len(labels) and labels.max() >= num_classes:
        raise DatasetError(f"{labels_path}: label {labels.max()} is out of range for {num_classes} classes")
    return images, labels.astype(np.int64)
