"""The MLP training run, written the fastest idiomatic way in each library (used by compare.py and scaling.py).

Every runner trains ``784-hidden-10`` (Linear, ReLU, Linear) with cross-entropy and Adam 1e-3 on
Fashion-MNIST, and has the same three methods: ``epoch()`` (one shuffled pass), ``steps(n)``
(``n`` steps on fixed batches, for the scaling table) and ``accuracy(Xt, yt)``.

- chainrule: the lectures' loop (``for x, y in loader: loss = ...; zero_grad; backward; step``), uint8
  images converted per batch by the loader's ``ToFloat``. ``jit=False`` forces the NumPy forms of Adam,
  the fused Linear+ReLU and cross-entropy (what a machine without numba runs); ``threads`` fixes the BLAS thread
  count instead of the adaptive default.
- PyTorch eager: float32 tensors in memory, ``randperm`` and fancy indexing per batch (faster than its
  DataLoader, which collates sample by sample).
- JAX: the whole step (loss, grad, Adam) under one ``jax.jit`` with the state donated; batches gathered
  with NumPy and passed in, as JAX's own examples do (indexing a device array outside ``jit`` would
  add an eager dispatch per step).
"""

from __future__ import annotations

import contextlib

import numpy as np

LR = 1e-3
_ADAPT = None  # whether the thread governor is on by default in this process


def load_data():
    """Fashion-MNIST as (uint8 train images (N, 784), labels, float32 test images, labels)."""
    from chainrule.data.datasets import FashionMNIST

    train, test = FashionMNIST(train=True), FashionMNIST(train=False)
    X = train.data.numpy().reshape(len(train), -1)
    Xt = test.data.numpy().reshape(len(test), -1).astype(np.float32) / 255
    return X, train.targets.numpy(), Xt, test.targets.numpy()


class ChainruleRun:
    def __init__(self, X, y, seed=0, batch=64, hidden=256, jit=True, threads=None, name=None):
        import chainrule as cr
        from chainrule import nn
        from chainrule.data import DataLoader, TensorDataset
        from chainrule.data.transforms import ToFloat

        self.cr, self.threads, self.jit = cr, threads, jit
        self.name = name or ("chainrule" if jit else "chainrule without numba (NumPy forms)")
        cr.manual_seed(seed)
        self.model = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))
        self.opt = cr.optim.Adam(self.model.parameters(), lr=LR, fused=None if jit else False)
        self.loss_fn = nn.CrossEntropyLoss()
        self.loader = DataLoader(TensorDataset(X, y), batch_size=batch, shuffle=True, seed=seed, transform=ToFloat())
        self.batch, self.X, self.y = batch, X, y

    def _threads(self):
        """Adaptive BLAS threads (the default) or a fixed count, switched between alternating runs."""
        global _ADAPT
        from chainrule import threads

        g = threads.governor
        if _ADAPT is None:  # first call: find NumPy's BLAS and its default count before any run fixes it
            _ADAPT = g.enabled
            if g.enabled:
                g.check()
        if self.threads is None:
            g.enabled = _ADAPT
            if g.lib is not None:
                g.lib.set_num_threads(g.threads)  # the count the governor last chose
        else:
            g.enabled = False
            if g.lib is not None:
                g.lib.set_num_threads(self.threads)  # NumPy's BLAS only, not PyTorch's
            else:
                threads._blas().limit(limits=self.threads)

    def epoch(self):
        with self._numba():
            self._threads()
            model, opt, loss_fn = self.model, self.opt, self.loss_fn
            model.train()
            for x, y in self.loader:
                loss = loss_fn(model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()

    @contextlib.contextmanager
    def _numba(self):
        """``jit=False``: the NumPy forms only (Adam's, the fused Linear+ReLU's, cross-entropy's), as without numba."""
        from chainrule.ops import loss, matmul

        saved = matmul._linear_kernels, loss._ce_kernels
        if not self.jit:
            matmul._linear_kernels = loss._ce_kernels = False
        try:
            yield
        finally:
            matmul._linear_kernels, loss._ce_kernels = saved

    def steps(self, n):
        self._threads()
        model, opt, loss_fn, cr = self.model, self.opt, self.loss_fn, self.cr
        x = cr.from_numpy(self.X[: self.batch].astype(np.float32) / 255)
        y = cr.from_numpy(self.y[: self.batch])
        for _ in range(n):
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    def accuracy(self, Xt, yt):
        with self.cr.no_grad():
            return float((self.model(self.cr.from_numpy(Xt)).argmax(1).numpy() == yt).mean())


class TorchRun:
    def __init__(self, X, y, seed=0, batch=64, hidden=256, threads=None):
        import torch

        self.torch, self.threads = torch, threads
        self.name = "PyTorch eager" + (f", {threads} thread(s) fixed" if threads else "")
        self.default_threads = torch.get_num_threads()
        torch.manual_seed(seed)
        self.X = torch.from_numpy(X.astype(np.float32) / 255)
        self.y = torch.from_numpy(y)
        self.batch = batch
        tnn = torch.nn
        self.model = tnn.Sequential(tnn.Linear(784, hidden), tnn.ReLU(), tnn.Linear(hidden, 10))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.loss_fn = tnn.CrossEntropyLoss()

    def epoch(self):
        torch, model, opt, loss_fn = self.torch, self.model, self.opt, self.loss_fn
        torch.set_num_threads(self.threads or self.default_threads)  # runs alternate in one process
        model.train()
        perm = torch.randperm(len(self.X))
        for i in range(0, len(perm), self.batch):
            idx = perm[i:i + self.batch]
            loss = loss_fn(model(self.X[idx]), self.y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

    def steps(self, n):
        model, opt, loss_fn = self.model, self.opt, self.loss_fn
        self.torch.set_num_threads(self.threads or self.default_threads)
        x, y = self.X[: self.batch], self.y[: self.batch]
        for _ in range(n):
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    def accuracy(self, Xt, yt):
        with self.torch.no_grad():
            return float((self.model(self.torch.from_numpy(Xt)).argmax(1).numpy() == yt).mean())


class JaxRun:
    name = "JAX jit"

    def __init__(self, X, y, seed=0, batch=64, hidden=256):
        import jax
        import jax.numpy as jnp

        self.jax, self.jnp, self.batch = jax, jnp, batch
        self.X, self.y = X.astype(np.float32) / 255, y.astype(np.int32)
        k1, k2, k3, k4 = jax.random.split(jax.random.PRNGKey(seed), 4)
        b1, b2 = 1 / np.sqrt(784), 1 / np.sqrt(hidden)  # PyTorch's Linear initialisation bounds
        params = (jax.random.uniform(k1, (784, hidden), minval=-b1, maxval=b1),
                  jax.random.uniform(k2, (hidden,), minval=-b1, maxval=b1),
                  jax.random.uniform(k3, (hidden, 10), minval=-b2, maxval=b2),
                  jax.random.uniform(k4, (10,), minval=-b2, maxval=b2))
        self.state = (params, tuple(jnp.zeros_like(p) for p in params), tuple(jnp.zeros_like(p) for p in params),
                      jnp.zeros((), jnp.int32))
        self.rng = np.random.default_rng(seed)

        def loss(params, x, y):
            w1, c1, w2, c2 = params
            logits = jnp.maximum(x @ w1 + c1, 0) @ w2 + c2
            return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))

        def step(state, x, y):  # Adam exactly as torch.optim.Adam computes it
            params, m, v, t = state
            g = jax.grad(loss)(params, x, y)
            t = t + 1
            m = tuple(0.9 * a + 0.1 * b for a, b in zip(m, g))
            v = tuple(0.999 * a + 0.001 * b * b for a, b in zip(v, g))
            c1, c2 = 1 - 0.9**t, jnp.sqrt(1 - 0.999**t)
            params = tuple(p - (LR / c1) * a / (jnp.sqrt(b) / c2 + 1e-8) for p, a, b in zip(params, m, v))
            return params, m, v, t

        self.step = jax.jit(step, donate_argnums=0)
        self.epoch(limit=2)  # compile outside any timing

    def epoch(self, limit=None):
        perm = self.rng.permutation(len(self.X))
        n = len(perm) - len(perm) % self.batch  # whole batches only: one shape, one compilation
        X, y, step, state = self.X, self.y, self.step, self.state
        for i in range(0, n if limit is None else limit * self.batch, self.batch):
            idx = perm[i:i + self.batch]
            state = step(state, X[idx], y[idx])
        self.state = self.jax.block_until_ready(state)

    def steps(self, n):
        x, y = self.jnp.asarray(self.X[: self.batch]), self.jnp.asarray(self.y[: self.batch])
        step, state = self.step, self.state
        for _ in range(n):
            state = step(state, x, y)
        self.state = self.jax.block_until_ready(state)

    def accuracy(self, Xt, yt):
        w1, c1, w2, c2 = self.state[0]
        logits = self.jnp.maximum(self.jnp.asarray(Xt) @ w1 + c1, 0) @ w2 + c2
        return float((np.asarray(logits).argmax(1) == yt).mean())


def have_jax() -> bool:
    try:
        import jax  # noqa: F401
    except ImportError:
        return False
    return True
