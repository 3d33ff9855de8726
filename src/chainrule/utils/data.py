"""``chainrule.utils.data``: the same names as ``torch.utils.data`` (they live in ``chainrule.data``).

>>> from chainrule.utils.data import DataLoader, TensorDataset
"""

from ..data import (  # noqa: F401
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    random_split,
)

__all__ = [
    "Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
    "DataLoader", "default_collate", "default_convert",
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler",
    "IterableDataset", "ChainDataset", "StackDataset", "WeightedRandomSampler",
]
