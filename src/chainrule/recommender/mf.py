"""Matrix factorisation: the lecture's recommender, a rating as the dot product of two embeddings plus biases.

    rating(u, i) = mu + b_u + b_i + <p_u, q_i>

``p_u`` is user ``u``'s row of ``user_factors`` (an ``nn.Embedding``), ``q_i`` item ``i``'s row of
``item_factors``; ``b_u``, ``b_i`` and the global ``mu`` are the biases. The model takes ``(N, 2)``
integer ``[user, item]`` pairs, so ``chainrule.train.fit`` trains it like any regression model on
``(pairs, ratings)`` with ``nn.MSELoss``; ``recommender.fit_ratings`` does that with sensible settings.

Cold start: ids the model has a row for but that had no training ratings (``known_users``/``known_items``
are False) are predicted from the biases alone, get the popularity ranking from ``recommend`` and a
clear error from ``similar_items``; ids outside the model's range are a ValueError naming the id.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule import nn

__all__ = ["MatrixFactorization"]


class MatrixFactorization(nn.Module):
    """User and item embeddings whose dot product, plus user, item and global biases, predicts a rating.

    Args:
        n_users (int): number of users (ids ``0 .. n_users-1``).
        n_items (int): number of items (ids ``0 .. n_items-1``).
        dim (int): length of each embedding.
        biases (bool): learn ``user_bias``, ``item_bias`` and ``global_bias``; without them the
            prediction is the dot product alone. Default: True.
        init_std (float): standard deviation of the normal initialisation of the embeddings (the biases
            start at 0). Default: 0.1.

    Shape:
        - input: ``(N, 2)`` integer ``[user, item]`` pairs; output: ``(N,)`` predicted ratings.

    Attributes:
        user_factors, item_factors (nn.Embedding): the embeddings, ``(n_users, dim)`` and ``(n_items, dim)``.
        user_bias, item_bias (nn.Embedding): one value per user/item (only with ``biases``).
        global_bias (Parameter): the overall mean rating, shape ``()`` (only with ``biases``).
        known_users, known_items (ndarray of bool): which ids had training ratings (all True until
            ``remember`` is called).
        rating_range (tuple or None): the lowest and highest training rating, from ``remember``.

    >>> model = MatrixFactorization(943, 1682, dim=32)
    >>> model(cr.tensor([[0, 10], [5, 20]])).shape
    Size([2])
    >>> items, scores = model.recommend(0, k=10)
    """

    def __init__(self, n_users: int, n_items: int, dim: int, biases: bool = True, init_std: float = 0.1):
        super().__init__()
        for name, value in (("n_users", n_users), ("n_items", n_items), ("dim", dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"MatrixFactorization: {name} must be a positive int, got {value!r}")
        self.n_users, self.n_items, self.dim, self.biases = int(n_users), int(n_items), int(dim), bool(biases)
        self.user_factors = nn.Embedding(self.n_users, self.dim)
        self.item_factors = nn.Embedding(self.n_items, self.dim)
        nn.init.normal_(self.user_factors.weight, 0.0, init_std)
        nn.init.normal_(self.item_factors.weight, 0.0, init_std)
        if self.biases:
            self.user_bias = nn.Embedding(self.n_users, 1)
            self.item_bias = nn.Embedding(self.n_items, 1)
            nn.init.zeros_(self.user_bias.weight)
            nn.init.zeros_(self.item_bias.weight)
            self.global_bias = nn.Parameter(cr.zeros(()))
        self.known_users = np.ones(self.n_users, dtype=bool)
        self.known_items = np.ones(self.n_items, dtype=bool)
        self._seen = None  # CSR (indptr, items) of each user's training items, from remember()
        self.rating_range = None  # (lowest, highest) training rating, from remember(): predictions are clipped to it

    def forward(self, pairs):
        arr = pairs.numpy() if isinstance(pairs, cr.Tensor) else np.asarray(pairs)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError(f"MatrixFactorization: expected (N, 2) [user, item] pairs, got shape {tuple(arr.shape)}")
        self._check_ids(arr[:, 0], arr[:, 1])
        if not isinstance(pairs, cr.Tensor):
            pairs = cr.from_numpy(np.ascontiguousarray(arr, dtype=np.int64))
        users, items = pairs[:, 0], pairs[:, 1]
        out = (self.user_factors(users) * self.item_factors(items)).sum(dim=-1)
        if self.biases:
            out = out + self.user_bias(users).squeeze(-1) + self.item_bias(items).squeeze(-1) + self.global_bias
        return out

    def extra_repr(self) -> str:
        return f"n_users={self.n_users}, n_items={self.n_items}, dim={self.dim}, biases={self.biases}"

    # -- after training ----------------------------------------------------------------------------

    def remember(self, train) -> MatrixFactorization:
        """Record which users and items ``train`` (a ``Ratings``) holds, and each user's rated items.

        ``recommend`` then leaves out what a user has already rated, and ids without training ratings
        are treated as cold-start. ``fit_ratings`` calls this. Returns the model.
        """
        self.known_users = np.bincount(train.users, minlength=self.n_users)[:self.n_users] > 0
        self.known_items = np.bincount(train.items, minlength=self.n_items)[:self.n_items] > 0
        order = np.lexsort((train.items, train.users))
        indptr = np.zeros(self.n_users + 1, dtype=np.int64)
        np.cumsum(np.bincount(train.users, minlength=self.n_users), out=indptr[1:])
        self._seen = (indptr, train.items[order])
        if len(train):
            self.rating_range = (float(train.ratings.min()), float(train.ratings.max()))
        return self

    def seen_items(self, user: int) -> np.ndarray:
        """The items ``user`` rated in the remembered training data (empty before ``remember``)."""
        user = self._check_user(user)
        if self._seen is None:
            return np.zeros(0, dtype=np.int64)
        indptr, items = self._seen
        return items[indptr[user]:indptr[user + 1]]

    def predict(self, users, items) -> np.ndarray:
        """Predicted ratings for the pairs ``(users[j], items[j])`` as a float64 NumPy array.

        After ``remember`` the predictions are clipped to the range of the training ratings (1 to 5 stars
        on MovieLens), as Surprise does; ``forward`` (training) is never clipped.

        Cold start: a user without training ratings gets ``mu + b_i``, an item without ratings
        ``mu + b_u`` (both: ``mu``), because their embeddings were never trained.
        """
        users, items = np.atleast_1d(np.asarray(users)), np.atleast_1d(np.asarray(items))
        self._check_ids(users, items)
        users, items = users.astype(np.int64), items.astype(np.int64)
        P, Q = self._factors()
        warm = self.known_users[users] & self.known_items[items]
        out = np.where(warm, np.einsum("nd,nd->n", P[users], Q[items]), 0.0)
        if self.biases:
            bu, bi, mu = self._bias_arrays()
            out += mu + np.where(self.known_users[users], bu[users], 0.0) + np.where(self.known_items[items],
                                                                                    bi[items], 0.0)
        if self.rating_range is not None:
            np.clip(out, *self.rating_range, out=out)
        return out

    def scores(self, user: int) -> np.ndarray:
        """Predicted rating of every item for ``user`` (float64, ``(n_items,)``), cold start as in ``predict``."""
        user = self._check_user(user)
        return self.predict(np.full(self.n_items, user), np.arange(self.n_items))

    def recommend(self, user: int, k: int = 10, exclude_seen: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` items with the highest predicted rating for ``user``, best first.

        Items the user rated in the training data (see ``remember``) are left out with ``exclude_seen``,
        and so are items without training ratings (nothing is known about them). A user without
        training ratings (cold start) gets the items with the highest ``mu + b_i``: the best-liked
        items overall.

        Returns:
            (items, scores): int64 ids and float64 predicted ratings, each of length ``k``.

        Raises:
            ValueError: ``user`` is out of range, or ``k`` is not between 1 and the number of candidates.
        """
        scores = self.scores(user)
        candidates = self.known_items.copy()
        if exclude_seen:
            candidates[self.seen_items(user)] = False
        n = int(candidates.sum())
        k = _check_k(k, n, "recommend", f"user {user} has {n} candidate items (items with training ratings"
                     + (" that the user has not rated)" if exclude_seen else ")"))
        ids = np.flatnonzero(candidates)
        top = _top_k(scores[ids], k)
        return ids[top], scores[ids][top]

    def similar_items(self, item: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` items whose embeddings have the highest cosine similarity to ``item``'s, best first
        (an exact search with ``chainrule.embeddings.nearest``).

        The item itself and items without training ratings are left out.

        Returns:
            (items, similarities): int64 ids and float64 cosine similarities, each of length ``k``.

        Raises:
            ValueError: ``item`` is out of range or had no training ratings, or ``k`` is too large.
        """
        item = self._check_item(item)
        if not self.known_items[item]:
            raise ValueError(f"similar_items: item {item} had no ratings in the training data, so its embedding "
                             "was never trained (cold start); there is nothing to compare it by")
        from chainrule.embeddings import nearest

        _, Q = self._factors()
        candidates = self.known_items.copy()
        candidates[item] = False
        n = int(candidates.sum())
        k = _check_k(k, n, "similar_items", f"there are {n} other items with training ratings")
        ids = np.flatnonzero(candidates)
        found = nearest(Q[item], Q[ids], k=k, metric="cosine")  # exact search, float64
        return ids[found.indices.numpy()], found.values.numpy().astype(np.float64)

    def item_embeddings(self) -> np.ndarray:
        """The item embedding table as a float64 NumPy array ``(n_items, dim)`` (a copy)."""
        return self._factors()[1].copy()

    # -- helpers -------------------------------------------------------------------------------------

    def _factors(self):
        return (self.user_factors.weight.detach().numpy().astype(np.float64),
                self.item_factors.weight.detach().numpy().astype(np.float64))

    def _bias_arrays(self):
        return (self.user_bias.weight.detach().numpy()[:, 0].astype(np.float64),
                self.item_bias.weight.detach().numpy()[:, 0].astype(np.float64),
                float(self.global_bias.item()))

    def _check_ids(self, users, items) -> None:
        for name, ids, n in (("user", users, self.n_users), ("item", items, self.n_items)):
            ids = np.asarray(ids)
            if ids.size and ids.dtype.kind not in "iu":
                raise ValueError(f"MatrixFactorization: {name} ids must be integers, got dtype {ids.dtype}")
            bad = np.flatnonzero((ids < 0) | (ids >= n)) if ids.size else []
            if len(bad):
                raise ValueError(f"MatrixFactorization: {name} id {int(ids[bad[0]])} is out of range; the model knows "
                                 f"{name}s 0 to {n - 1}")

    def _check_user(self, user) -> int:
        if isinstance(user, bool) or not isinstance(user, (int, np.integer)):
            raise ValueError(f"MatrixFactorization: a user id must be an int, got {user!r}")
        self._check_ids(np.array([user]), np.zeros(1, dtype=np.int64))
        return int(user)

    def _check_item(self, item) -> int:
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
            raise ValueError(f"MatrixFactorization: an item id must be an int, got {item!r}")
        self._check_ids(np.zeros(1, dtype=np.int64), np.array([item]))
        return int(item)


def _check_k(k, n: int, where: str, what: str) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{where}: k must be a positive int, got {k!r}")
    if k > n:
        raise ValueError(f"{where}: k={k} is larger than the number of candidates: {what}")
    return int(k)


def _top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest values, largest first (ties: lower position first)."""
    part = np.argpartition(-values, k - 1)[:k] if k < len(values) else np.arange(len(values))
    return part[np.lexsort((part, -values[part]))]
