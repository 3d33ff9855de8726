"""Rating tables as four NumPy arrays, their checks, the two standard splits and a synthetic generator.

A rating table here is ``users`` and ``items`` (int64 ids counted from 0), ``ratings`` (float32) and an
optional ``timestamps`` (int64 seconds), all of one length. ``Ratings`` bundles them with the number of
users and items (ids may go unrated: the model still has a row for them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Ratings", "check_ratings", "split_random", "split_by_time", "synthetic_ratings"]


@dataclass
class Ratings:
    """A table of (user, item, rating[, timestamp]) triples with ids in ``range(n_users)``/``range(n_items)``.

    Args:
        users, items (array of int): ids counted from 0.
        ratings (array of float): the ratings (finite).
        n_users, n_items (int, optional): the id ranges. Default: None (one more than the largest id).
        timestamps (array of int, optional): when each rating was given. Default: None.
        titles (list of str, optional): a name per item (``titles[item]``). Default: None.

    Raises:
        ValueError: the arrays differ in length, an id is out of range, or a rating is not finite
            (the message names the row and the value).

    >>> r = Ratings([0, 0, 1], [0, 2, 1], [4.0, 3.0, 5.0])
    >>> r.n_users, r.n_items, len(r)
    (2, 3, 3)
    """

    users: np.ndarray
    items: np.ndarray
    ratings: np.ndarray
    n_users: int | None = None
    n_items: int | None = None
    timestamps: np.ndarray | None = None
    titles: list | None = field(default=None, repr=False)

    def __post_init__(self):
        self.users = np.asarray(self.users)
        self.items = np.asarray(self.items)
        self.ratings = np.asarray(self.ratings)
        if self.n_users is None:
            self.n_users = int(self.users.max()) + 1 if self.users.size else 0
        if self.n_items is None:
            self.n_items = int(self.items.max()) + 1 if self.items.size else 0
        self.users, self.items, self.ratings = check_ratings(self.users, self.items, self.ratings, self.n_users,
                                                             self.n_items)
        if self.timestamps is not None:
            self.timestamps = np.asarray(self.timestamps, dtype=np.int64)
            if self.timestamps.shape != self.users.shape:
                raise ValueError(f"Ratings: timestamps has {self.timestamps.size} values for {self.users.size} ratings")
        if self.titles is not None and len(self.titles) != self.n_items:
            raise ValueError(f"Ratings: {len(self.titles)} titles for {self.n_items} items")

    def __len__(self) -> int:
        return int(self.users.size)

    def subset(self, index) -> Ratings:
        """The ratings at ``index`` (a boolean mask or positions), with the same id ranges and titles."""
        ts = None if self.timestamps is None else self.timestamps[index]
        return Ratings(self.users[index], self.items[index], self.ratings[index], self.n_users, self.n_items, ts,
                       self.titles)

    @property
    def pairs(self) -> np.ndarray:
        """``(N, 2)`` int64 array of ``[user, item]``: the model's input."""
        return np.stack([self.users, self.items], axis=1)

    def mean(self) -> float:
        if not len(self):
            raise ValueError("Ratings.mean: the table is empty")
        return float(self.ratings.mean(dtype=np.float64))


def check_ratings(users, items, ratings, n_users: int, n_items: int, where: str = "ratings"):
    """Validate a rating table; returns ``(users int64, items int64, ratings float32)``.

    Raises:
        ValueError: different lengths, non-integer ids, an id outside ``[0, n)`` or a non-finite rating,
            naming the first offending row and its value.
    """
    users, items, ratings = np.asarray(users), np.asarray(items), np.asarray(ratings)
    if not (users.ndim == items.ndim == ratings.ndim == 1):
        raise ValueError(f"{where}: users, items and ratings must be 1-D, got shapes {users.shape}, {items.shape}, "
                         f"{ratings.shape}")
    if not users.size == items.size == ratings.size:
        raise ValueError(f"{where}: users, items and ratings differ in length ({users.size}, {items.size}, "
                         f"{ratings.size})")
    for name, ids, n in (("user", users, n_users), ("item", items, n_items)):
        if ids.size and ids.dtype.kind not in "iu":
            if ids.dtype.kind != "f" or not np.all(np.isfinite(ids)) or not np.all(ids == np.round(ids)):
                raise ValueError(f"{where}: {name} ids must be integers, got dtype {ids.dtype}")
        bad = np.flatnonzero((ids < 0) | (ids >= n)) if ids.size else []
        if len(bad):
            raise ValueError(f"{where}: row {bad[0]}: {name} id {ids[bad[0]].item()!r} is out of range; expected 0 to "
                             f"{n - 1} ({n} {name}s)")
    if ratings.size and ratings.dtype.kind not in "iuf":
        raise ValueError(f"{where}: ratings must be numbers, got dtype {ratings.dtype}")
    bad = np.flatnonzero(~np.isfinite(ratings.astype(np.float64))) if ratings.size else []
    if len(bad):
        raise ValueError(f"{where}: row {bad[0]}: rating {ratings[bad[0]].item()!r} is not a finite number")
    return users.astype(np.int64), items.astype(np.int64), ratings.astype(np.float32)


def split_random(data: Ratings, test_fraction: float = 0.2, seed: int = 0) -> tuple[Ratings, Ratings]:
    """Hold out a random ``test_fraction`` of the ratings (each rating independently of its user).

    >>> train, test = split_random(data, 0.2, seed=0)
    """
    _check_fraction(test_fraction, len(data))
    order = np.random.default_rng(seed).permutation(len(data))
    n_test = int(round(len(data) * test_fraction))
    return data.subset(np.sort(order[n_test:])), data.subset(np.sort(order[:n_test]))


def split_by_time(data: Ratings, test_fraction: float = 0.2) -> tuple[Ratings, Ratings]:
    """Train on the earliest ratings and test on the latest ``test_fraction`` (the future is never seen).

    Ties at the boundary are broken by row order (a stable sort), so the split is deterministic.

    Raises:
        ValueError: the table has no timestamps.
    """
    if data.timestamps is None:
        raise ValueError("split_by_time: the ratings have no timestamps; use split_random")
    _check_fraction(test_fraction, len(data))
    order = np.argsort(data.timestamps, kind="stable")
    n_test = int(round(len(data) * test_fraction))
    cut = len(data) - n_test
    return data.subset(np.sort(order[:cut])), data.subset(np.sort(order[cut:]))


def _check_fraction(fraction: float, n: int) -> None:
    if not 0 < fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {fraction!r}")
    n_test = int(round(n * fraction))
    if not 0 < n_test < n:
        raise ValueError(f"test_fraction={fraction} of {n} ratings leaves {n_test} for testing and {n - n_test} "
                         "for training; both need at least one")


def synthetic_ratings(n_users: int = 943, n_items: int = 1682, n_ratings: int = 100_000, dim: int = 8,
                      n_groups: int = 20, noise: float = 0.85, skew: float = 1.0, min_per_user: int = 20,
                      integer: bool = True, seed: int = 0) -> tuple[Ratings, np.ndarray]:
    """A MovieLens-shaped rating table generated from known low-rank factors plus noise.

    Items belong to ``n_groups`` groups ("genres"): an item's factor vector is its group's centre plus
    a little item-specific noise, so items of one group are similar by construction. Users' factors
    are random. The true score is ``mu + b_u + b_i + <p_u, q_i>`` plus Gaussian ``noise``, rounded and
    clipped to 1..5 when ``integer`` (as MovieLens's stars). Who rates what is skewed like real data:
    user activity and item popularity follow heavy-tailed (log-normal) weights with strength ``skew``,
    every user has at least ``min_per_user`` ratings, and no (user, item) pair appears twice.

    The defaults match MovieLens 100K's shape: 943 users, 1,682 items, 100,000 ratings.

    Returns:
        (Ratings, groups): the table (with timestamps: row order) and the group of each item.

    >>> data, groups = synthetic_ratings(200, 300, 8000, seed=0)
    >>> len(data), groups.shape
    (8000, (300,))
    """
    if n_ratings > n_users * n_items:
        raise ValueError(f"synthetic_ratings: {n_ratings} ratings do not fit {n_users} users x {n_items} items")
    if n_users * min_per_user > n_ratings or min_per_user > n_items:
        raise ValueError(f"synthetic_ratings: min_per_user={min_per_user} needs {n_users * min_per_user} ratings, "
                         f"more than n_ratings={n_ratings} (or more than the {n_items} items)")
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, n_items)
    centres = rng.normal(0.0, 1.0, (n_groups, dim))
    item_f = centres[groups] + rng.normal(0.0, 0.25, (n_items, dim))
    user_f = rng.normal(0.0, 1.0, (n_users, dim))
    scale = 0.6 / np.sqrt(dim)  # the interaction's spread: about 0.6 stars
    user_b, item_b = rng.normal(0.0, 0.45, n_users), rng.normal(0.0, 0.6, n_items)
    user_w = rng.lognormal(0.0, skew, n_users)
    item_w = rng.lognormal(0.0, 1.2 * skew, n_items) * np.exp(item_b)  # popular items are liked more, as in MovieLens
    counts = np.maximum(min_per_user, np.round(user_w / user_w.sum() * n_ratings)).astype(np.int64)
    while counts.sum() > n_ratings:  # trim the heaviest users back to the total
        over = counts.sum() - n_ratings
        top = np.argsort(-counts)[:max(1, min(over, n_users))]
        counts[top] -= np.minimum(1, counts[top] - min_per_user)
    counts[np.argsort(-user_w)[:n_ratings - counts.sum()]] += 1
    counts = np.minimum(counts, n_items)
    p = item_w / item_w.sum()
    users, items = [], []
    for u, c in enumerate(counts):
        chosen = rng.choice(n_items, size=int(c), replace=False, p=p)
        users.append(np.full(c, u))
        items.append(chosen)
    users, items = np.concatenate(users), np.concatenate(items)
    score = 3.3 + user_b[users] + item_b[items] + scale * np.einsum("nd,nd->n", user_f[users], item_f[items])
    score += rng.normal(0.0, noise, score.shape)
    ratings = np.clip(np.round(score), 1, 5) if integer else score
    order = rng.permutation(len(users))
    data = Ratings(users[order], items[order], ratings[order], n_users, n_items, timestamps=np.arange(len(users)),
                   titles=[f"item {i} (group {g})" for i, g in enumerate(groups)])
    return data, groups
