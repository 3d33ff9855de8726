"""Normal, Categorical, Bernoulli and Uniform, with PyTorch's arguments, properties and methods."""

from __future__ import annotations

import math

import numpy as np

from chainrule.functions import softplus
from chainrule.random import rng_of
from chainrule.tensor import Tensor, _as_array, where


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(_as_array(x))


def _shape(sample_shape):
    return tuple(sample_shape) if isinstance(sample_shape, (tuple, list)) else (int(sample_shape),)


class Distribution:
    """Base class: ``batch_shape``, ``sample``/``rsample``, ``log_prob``, ``entropy``, ``mean``, ``variance``."""

    has_rsample = False

    def __init__(self, batch_shape=(), validate_args=None):
        self.batch_shape = tuple(batch_shape)

    @property
    def stddev(self):
        return self.variance.sqrt()

    def sample(self, sample_shape=(), generator=None):
        """A sample without gradient, of shape ``sample_shape + batch_shape``."""
        return self.rsample(sample_shape, generator).detach()

    def rsample(self, sample_shape=(), generator=None):
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sample (rsample)")

    def __repr__(self):
        return f"{type(self).__name__}()"


class Normal(Distribution):
    """N(loc, scale^2).

    Args:
        loc (Tensor or float): the mean. scale (Tensor or float): the standard deviation (> 0).
    """

    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = _t(loc), _t(scale)
        if self.loc.dtype != self.scale.dtype:
            self.loc, self.scale = self.loc._operands(self.scale, broadcast=False)
        super().__init__(np.broadcast_shapes(self.loc.shape, self.scale.shape))

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return self.scale * self.scale

    def rsample(self, sample_shape=(), generator=None):
        shape = _shape(sample_shape) + self.batch_shape
        eps = Tensor._wrap(rng_of(generator).standard_normal(shape).astype(self.loc.dtype))
        return self.loc + self.scale * eps

    def log_prob(self, value):
        value = _t(value)
        var = self.scale * self.scale
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log() + self.loc * 0

    def cdf(self, value):
        return 0.5 * (1 + ((_t(value) - self.loc) / (self.scale * math.sqrt(2))).erf())

    def __repr__(self):
        return f"Normal(loc: {self.loc!r}, scale: {self.scale!r})"


class Uniform(Distribution):
    """Uniform on [low, high)."""

    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = _t(low), _t(high)
        super().__init__(np.broadcast_shapes(self.low.shape, self.high.shape))

    @property
    def mean(self):
        return (self.low + self.high) / 2

    @property
    def variance(self):
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape=(), generator=None):
        shape = _shape(sample_shape) + self.batch_shape
        u = Tensor._wrap(rng_of(generator).random(shape).astype(self.low.dtype))
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        value = _t(value)
        inside = (value >= self.low) & (value < self.high)
        return where(inside, -(self.high - self.low).log(), float("-inf"))

    def entropy(self):
        return (self.high - self.low).log()


class Bernoulli(Distribution):
    """1 with probability ``probs`` (or ``sigmoid(logits)``), else 0."""

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        self._probs = None if probs is None else _t(probs)
        self._logits = None if logits is None else _t(logits)
        super().__init__((self._probs if probs is not None else self._logits).shape)

    @property
    def probs(self):
        return self._probs if self._probs is not None else self._logits.sigmoid()

    @property
    def logits(self):
        if self._logits is not None:
            return self._logits
        p = self._probs.clamp(1e-7 if self._probs.dtype == np.float32 else 1e-15, None)
        return p.log() - (1 - p).clamp(1e-15, None).log()

    @property
    def mean(self):
        return self.probs

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=(), generator=None):
        shape = _shape(sample_shape) + self.batch_shape
        p = np.broadcast_to(self.probs._data, shape)
        return Tensor._wrap((rng_of(generator).random(shape) < p).astype(self.probs.dtype))

    def log_prob(self, value):
        # -BCE with logits: value * logits - softplus(logits), stable for large |logits|
        logits = self.logits
        return _t(value) * logits - softplus(logits)

    def entropy(self):
        logits = self.logits
        return softplus(logits) - self.probs * logits


class Categorical(Distribution):
    """One of K categories with probabilities ``probs`` (normalised) or ``softmax(logits)``, over the last dim."""

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            probs = _t(probs)
            self._probs = probs / probs.sum(-1, keepdim=True)
            self._logits = None
        else:
            logits = _t(logits)
            self._logits = logits - logits.logsumexp(-1, keepdim=True)
            self._probs = None
        param = self._probs if self._probs is not None else self._logits
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1])

    @property
    def probs(self):
        return self._probs if self._probs is not None else self._logits.exp()

    @property
    def logits(self):
        if self._logits is not None:
            return self._logits
        eps = 1e-7 if self._probs.dtype == np.float32 else 1e-15
        return self._probs.clamp(eps, 1 - eps).log()

    @property
    def mean(self):
        return Tensor._wrap(np.full(self.batch_shape, np.nan))

    def sample(self, sample_shape=(), generator=None):
        from chainrule.sampling import multinomial

        shape = _shape(sample_shape)
        n = int(np.prod(shape)) if shape else 1
        flat = self.probs.detach().reshape(-1, self._num_events)
        draws = multinomial(flat, n, replacement=True, generator=generator)  # (B, n)
        out = draws.numpy().T.reshape(shape + self.batch_shape)
        return Tensor._wrap(out.astype(np.int64))

    def log_prob(self, value):
        value = _t(value).long()
        logits = self.logits
        if value.ndim > len(self.batch_shape):  # sample_shape + batch_shape: broadcast the table
            logits = logits.expand(tuple(value.shape) + (self._num_events,))
        return logits.gather(-1, value.unsqueeze(-1)).squeeze(-1)

    def entropy(self):
        return -(self.probs * self.logits).sum(-1)


def kl_divergence(p, q):
    """KL(p || q) for two ``Normal``s (elementwise), as ``torch.distributions.kl_divergence``."""
    if isinstance(p, Normal) and isinstance(q, Normal):
        var_ratio = (p.scale / q.scale) ** 2
        t1 = ((p.loc - q.loc) / q.scale) ** 2
        return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())
    raise NotImplementedError(f"kl_divergence: no formula for {type(p).__name__} and {type(q).__name__}")
