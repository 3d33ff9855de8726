"""Datasets: Fashion-MNIST and MNIST from IDX files, MovieLens ratings, and seeded toy datasets (``toy``).

>>> from chainrule.data.datasets import FashionMNIST, toy
>>> X, y = toy.spiral(200, noise=0.1, seed=0)
"""

from . import toy
from .download import DownloadError
from .idx import DatasetError, read_idx, write_idx
from .mnist import MNIST, FashionMNIST
from .movielens import MovieLens100K, MovieLensSmall, read_ratings_csv

__all__ = ["MNIST", "FashionMNIST", "DatasetError", "DownloadError", "read_idx", "write_idx", "toy",
           "MovieLens100K", "MovieLensSmall", "read_ratings_csv"]
