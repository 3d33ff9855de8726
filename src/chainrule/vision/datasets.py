"""torchvision's datasets: ``ImageFolder`` for your own images, plus Fashion-MNIST and MNIST.

``MNIST`` and ``FashionMNIST`` are chainrule's (``chainrule.data.datasets``): they take torchvision's
per-image transforms (each image reaches the transform as a PIL grayscale image, as in torchvision)
as well as chainrule's faster batch transforms (``chainrule.data.transforms``).

``ImageFolder(root)`` reads ``root/<class_name>/**/<image>`` with the class names sorted (index 0 is the
first name in sorted order), exactly as torchvision does, so the same folder gives the same labels in both.
Images open as RGB (grayscale files are converted); ``transforms.Grayscale()`` turns them back. A file
Pillow cannot read raises ``DatasetError`` naming the file; ``find_unreadable()`` lists them all up front.

>>> from chainrule.vision import datasets, transforms
>>> data = datasets.ImageFolder("photos", transform=transforms.ToTensor())  # doctest: +SKIP
>>> data.classes, data.class_to_idx  # doctest: +SKIP
(['boot', 'sandal', 'sneaker'], {'boot': 0, 'sandal': 1, 'sneaker': 2})
"""

from __future__ import annotations

import os

from chainrule.data import Dataset
from chainrule.data.datasets import MNIST, DatasetError, FashionMNIST

__all__ = [
    "IMG_EXTENSIONS",
    "MNIST",
    "DatasetError",
    "DatasetFolder",
    "FashionMNIST",
    "ImageFolder",
    "default_loader",
    "find_classes",
    "has_file_allowed_extension",
    "make_dataset",
    "pil_loader",
]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename: str, extensions) -> bool:
    """Whether ``filename`` ends with one of ``extensions`` (case-insensitive)."""
    return filename.lower().endswith(tuple(extensions) if not isinstance(extensions, str) else extensions)


def find_classes(directory) -> tuple[list[str], dict[str, int]]:
    """The sub-folder names of ``directory``, sorted, and their indices."""
    try:
        classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    except FileNotFoundError:
        raise FileNotFoundError(f"ImageFolder: no such folder: {os.fspath(directory)}") from None
    if not classes:
        raise FileNotFoundError(f"ImageFolder: couldn't find any class folder in {os.fspath(directory)}; "
                                "expected one sub-folder per class (root/cat/1.png, root/dog/2.png, ...)")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None, allow_empty=False):
    """``[(path, class_index), ...]``: the files under each class folder (recursively, sorted)."""
    directory = os.path.expanduser(os.fspath(directory))
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("make_dataset: pass exactly one of extensions and is_valid_file")
    is_valid = is_valid_file or (lambda path: has_file_allowed_extension(path, extensions))
    samples, empty = [], []
    for name in sorted(class_to_idx):
        folder = os.path.join(directory, name)
        if not os.path.isdir(folder):
            continue
        before = len(samples)
        for root, _, files in sorted(os.walk(folder, followlinks=True)):
            samples += [(os.path.join(root, f), class_to_idx[name]) for f in sorted(files)
                        if is_valid(os.path.join(root, f))]
        if len(samples) == before:
            empty.append(name)
    if empty and not allow_empty:
        ext = f"; supported extensions are: {', '.join(extensions)}" if extensions else ""
        raise FileNotFoundError(f"Found no valid file for the classes {', '.join(empty)} in {directory}{ext}")
    return samples


def pil_loader(path):
    """Open an image file as RGB with Pillow, raising ``DatasetError`` that names the file if it cannot."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("reading images needs Pillow, which is not installed: pip install chainrule[image]") from e
    try:
        with open(path, "rb") as f, Image.open(f) as img:
            return img.convert("RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise DatasetError(f"cannot read image {path}: {e}") from None


default_loader = pil_loader


class DatasetFolder(Dataset):
    """Samples in ``root/<class>/...`` read with ``loader``; see :class:`ImageFolder`.

    Attributes: ``classes`` (sorted names), ``class_to_idx``, ``samples`` ([(path, index)]), ``targets``.
    """

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None, is_valid_file=None,
                 allow_empty=False):
        self.root = os.fspath(root)
        self.loader, self.extensions = loader, extensions
        self.transform, self.target_transform = transform, target_transform
        self.classes, self.class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(self.root, self.class_to_idx, extensions, is_valid_file, allow_empty)
        self.targets = [target for _, target in self.samples]

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None, allow_empty=False):
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory):
        return find_classes(directory)

    def __getitem__(self, index):
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self) -> int:
        return len(self.samples)

    def find_unreadable(self) -> list[tuple[str, str]]:
        """``[(path, reason), ...]`` for every file the loader cannot read (opens each file once)."""
        bad = []
        for path, _ in self.samples:
            try:
                self.loader(path)
            except DatasetError as e:
                bad.append((path, str(e).split(": ", 1)[-1]))
        return bad

    def __repr__(self) -> str:
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n    Root location: {self.root}"
                + (f"\n    Transform: {self.transform!r}" if self.transform is not None else ""))


class ImageFolder(DatasetFolder):
    """Images in ``root/<class_name>/`` (png, jpg, ...), labelled by folder in sorted order, as torchvision.

    Args:
        root (str or path): the folder of class folders.
        transform (callable): applied to each PIL image (e.g. a ``transforms.Compose``). Default None.
        target_transform (callable): applied to each label. Default None.
        loader (callable): path -> image. Default: open with Pillow as RGB.
        is_valid_file (callable): path -> bool, instead of the extension check. Default None.
        allow_empty (bool): allow class folders without images. Default False.

    ``dataset[i]`` is ``(transform(image), class_index)``; ``imgs`` is ``samples``.
    """

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader, is_valid_file=None,
                 allow_empty=False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None, transform=transform,
                         target_transform=target_transform, is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples

