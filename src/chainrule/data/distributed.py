"""``DistributedSampler``: each rank's share of a dataset, as ``torch.utils.data.distributed``."""

from __future__ import annotations

import math

import numpy as np

from .sampler import Sampler


class DistributedSampler(Sampler):
    """The indices rank ``rank`` of ``num_replicas`` visits; the ranks' shares are disjoint and equally long.

    Every rank draws the same permutation (seeded by ``seed + epoch``: call ``set_epoch`` before each
    epoch for a fresh order) and takes every ``num_replicas``-th index starting at ``rank``. When the
    dataset does not divide evenly, the order is padded with its first indices (``drop_last=False``) or
    its tail is dropped (``drop_last=True``), so every rank runs the same number of steps and no rank
    waits in a collective for a batch that never comes.

    Args:
        dataset (Dataset): the dataset (only its length is used).
        num_replicas (int, optional): the number of ranks. Default: ``distributed.get_world_size()``.
        rank (int, optional): this rank. Default: ``distributed.get_rank()``.
        shuffle (bool): shuffle the indices. Default: True.
        seed (int): the shuffle seed, the same on every rank. Default: 0.
        drop_last (bool): drop the tail instead of padding. Default: False.

    >>> s = DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False)
    >>> list(s), len(s)
    ([1, 3, 0], 3)
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from chainrule import distributed as dist

            if not dist.is_initialized():
                raise RuntimeError("DistributedSampler: pass num_replicas and rank, or call "
                                   "chainrule.distributed.init_process_group('mpi') first")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, (int, np.integer)) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive int, got {num_replicas!r}")
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last, self.epoch = bool(shuffle), int(seed), bool(drop_last), 0
        n = len(dataset)
        if drop_last and n % self.num_replicas:
            self.num_samples = n // self.num_replicas
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Use the order of epoch ``epoch`` (the same on every rank that passes the same number)."""
        self.epoch = int(epoch)

    def _indices(self) -> np.ndarray:
        n = len(self.dataset)
        order = (np.random.default_rng(self.seed + self.epoch).permutation(n) if self.shuffle
                 else np.arange(n))
        if self.total_size > n:  # pad by repeating the start (several times over for tiny datasets)
            order = np.resize(order, self.total_size)
        return order[self.rank:self.total_size:self.num_replicas]

    def __iter__(self):
        return iter(self._indices().tolist())

    def __len__(self) -> int:
        return self.num_samples
