"""The data pipeline: datasets, samplers, the DataLoader and batch transforms (``torch.utils.data``).

>>> from chainrule.data import DataLoader, TensorDataset, random_split
>>> train, val = random_split(TensorDataset(X, y), [0.8, 0.2], seed=0)  # doctest: +SKIP
>>> for xb, yb in DataLoader(train, batch_size=64, shuffle=True):  # doctest: +SKIP
...     ...
"""

from . import datasets, transforms
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .loader import DataLoader, default_collate, default_convert
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler

__all__ = [
    "Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
    "DataLoader", "default_collate", "default_convert",
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler",
    "datasets", "transforms", "IterableDataset", "ChainDataset", "StackDataset", "WeightedRandomSampler",
]
