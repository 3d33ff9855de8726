"""One playground session: a small MLP on a 2-D toy dataset, trained by chainrule itself.

A session belongs to one browser tab. It holds the configuration (TensorFlow Playground's controls),
the data, the model and the optimizer, and trains one epoch at a time when asked. ``snapshot()``
returns what the page draws: losses, the output over the input plane and each neuron's own output.

>>> s = Session()
>>> s.step()["epoch"]
1
"""

from __future__ import annotations

import copy
import math
import threading

import numpy as np

import chainrule as torch
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.data.datasets import toy
from chainrule.playground import multiclass

__all__ = ["LEARNING_RATES", "REG_RATES", "DROPOUT_RATES", "MAX_LAYERS", "MAX_NEURONS", "Session", "ConfigError",
           "DEFAULTS"]

# TensorFlow Playground's choices (its state.ts)
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
REG_RATES = (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
DROPOUT_RATES = (0, 0.1, 0.2, 0.3, 0.4, 0.5)  # per hidden layer, applied after its activation while training
ACTIVATIONS = {"relu": F.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda x: x}
CLASSIFY = {"circle": toy.circle, "xor": toy.xor, "gauss": toy.gauss, "spiral": toy.spiral}
REGRESS = {"plane": toy.plane, "multi_gauss": toy.multi_gauss}
MULTI = {"spiral_arms": multiclass.spiral_arms, "blobs": multiclass.blobs}
PROBLEMS = {"classification": CLASSIFY, "regression": REGRESS, "multiclass": MULTI}
FEATURES = {
    "x1": lambda X: X[:, 0], "x2": lambda X: X[:, 1],
    "x1sq": lambda X: X[:, 0] ** 2, "x2sq": lambda X: X[:, 1] ** 2, "x1x2": lambda X: X[:, 0] * X[:, 1],
    "sinx1": lambda X: np.sin(X[:, 0]), "sinx2": lambda X: np.sin(X[:, 1]),
}
OPTIMIZERS = {  # every chainrule optimizer the issue names; the learning rate comes from the control
    "sgd": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "nesterov": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "adagrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
    "adadelta": lambda p, lr: torch.optim.Adadelta(p, lr=lr),
    "rmsprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
    "adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
    "nadam": lambda p, lr: torch.optim.NAdam(p, lr=lr),
}
INITS = ("pytorch", "he", "xavier", "playground")  # nn.Linear's default, He, Xavier, TF Playground's uniform
PATIENCE = 50  # early stopping: epochs without a better test loss
# Playground stops at 6 x 8. At 8 layers of 16 an epoch (batch size 10, 250 training points) still takes
# about 7 ms of CPU and the page's snapshot about 3 ms (benchmarks/playground.py --largest).
MAX_LAYERS, MAX_NEURONS = 8, 16
N_POINTS = 500
GRID = 50  # output heat map resolution
NEURON_GRID = 20  # per-neuron heat maps
THUMB_POINTS = 160  # points in each dataset's thumbnail
DOMAIN = 6.0  # the input plane shown is [-6, 6]^2, as Playground's

DEFAULTS = {
    "learning_rate": 0.03, "activation": "tanh", "regularization": "none", "reg_rate": 0.0,
    "problem": "classification", "dataset": "circle", "train_ratio": 50, "noise": 0, "batch_size": 10,
    "features": ["x1", "x2"], "hidden": [4, 2], "seed": 1, "optimizer": "sgd", "classes": 3, "init": "pytorch",
    "early_stopping": False, "activations": ["tanh", "tanh"], "dropout": [0, 0],
}
# one session trains at a time: chainrule's grad mode and anomaly switch are process-wide, so two threads
# must not run a forward pass at once (a snapshot's no_grad would switch off another tab's recording)
_ENGINE = threading.RLock()


class ConfigError(ValueError):
    """A configuration value the playground does not accept (the page shows the message)."""


def validate(changes: dict, base: dict) -> dict:
    """Return ``base`` updated with ``changes`` after checking every value; raise ``ConfigError`` otherwise."""
    if not isinstance(changes, dict):
        raise ConfigError(f"config: expected a JSON object, got {type(changes).__name__}")
    cfg = dict(base)
    for key, value in changes.items():
        if key not in DEFAULTS:
            raise ConfigError(f"config: unknown setting {key!r}")
        cfg[key] = value
    _follow_layers(cfg, changes)
    checks = (
        ("learning_rate", lambda v: v in LEARNING_RATES, f"one of {LEARNING_RATES}"),
        ("reg_rate", lambda v: v in REG_RATES, f"one of {REG_RATES}"),
        ("init", lambda v: v in INITS, f"one of {INITS}"),
        ("early_stopping", lambda v: isinstance(v, bool), "true or false"),
        ("optimizer", lambda v: v in OPTIMIZERS, f"one of {list(OPTIMIZERS)}"),
        ("activation", lambda v: v in ACTIVATIONS, f"one of {sorted(ACTIVATIONS)}"),
        ("regularization", lambda v: v in ("none", "L1", "L2"), "none, L1 or L2"),
        ("problem", lambda v: v in PROBLEMS, f"one of {list(PROBLEMS)}"),
        ("dataset", lambda v: v == "csv" or any(v in d for d in PROBLEMS.values()),
         f"one of {[n for d in PROBLEMS.values() for n in d]}"),
        ("classes", lambda v: _int(v) and 2 <= v <= multiclass.MAX_CLASSES, f"from 2 to {multiclass.MAX_CLASSES}"),
        ("train_ratio", lambda v: _int(v) and 10 <= v <= 90, "an integer from 10 to 90"),
        ("noise", lambda v: _int(v) and 0 <= v <= 50, "an integer from 0 to 50"),
        ("batch_size", lambda v: _int(v) and 1 <= v <= 30, "an integer from 1 to 30"),
        ("seed", lambda v: _int(v) and 0 <= v < 2**31, "an integer from 0 to 2**31-1"),
        ("features", lambda v: isinstance(v, list) and 0 < len(v) == len(set(v)) and all(f in FEATURES for f in v),
         f"a non-empty list of distinct names from {list(FEATURES)}"),
        ("hidden", lambda v: isinstance(v, list) and len(v) <= MAX_LAYERS
         and all(_int(n) and 1 <= n <= MAX_NEURONS for n in v),
         f"a list of at most {MAX_LAYERS} layer sizes from 1 to {MAX_NEURONS}"),
        ("activations", lambda v: isinstance(v, list) and len(v) == len(cfg["hidden"])
         and all(isinstance(a, str) and a in ACTIVATIONS for a in v),
         f"a list with one name from {sorted(ACTIVATIONS)} per hidden layer"),
        ("dropout", lambda v: isinstance(v, list) and len(v) == len(cfg["hidden"])
         and all(not isinstance(p, bool) and p in DROPOUT_RATES for p in v),
         f"a list with one rate from {DROPOUT_RATES} per hidden layer"),
    )
    for key, ok, expected in checks:
        if not ok(cfg[key]):
            raise ConfigError(f"config: {key} must be {expected}, got {cfg[key]!r}")
    wanted = PROBLEMS[cfg["problem"]]
    own = cfg["dataset"] == "csv" and cfg["problem"] == base["problem"] and base["dataset"] == "csv"
    if cfg["dataset"] not in wanted and not own:  # switching the problem type picks its first dataset
        cfg["dataset"] = next(iter(wanted))
    return cfg


def _follow_layers(cfg: dict, changes: dict) -> None:
    """Keep the per-layer lists as long as ``hidden``: a new layer gets the global activation and no dropout.

    Choosing the global activation sets every layer's, as Playground's one activation control does.
    """
    n = len(cfg["hidden"]) if isinstance(cfg["hidden"], list) else 0
    if "activation" in changes and "activations" not in changes and isinstance(cfg["activation"], str):
        cfg["activations"] = [cfg["activation"]] * n
    for key, fill in (("activations", cfg["activation"]), ("dropout", 0)):
        if key not in changes and isinstance(cfg[key], list):
            cfg[key] = (list(cfg[key]) + [fill] * n)[:n]


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _features(X: np.ndarray, names) -> np.ndarray:
    return np.stack([FEATURES[n](X) for n in names], axis=1).astype(np.float32)


class Session:
    """The state of one playground tab; every public method is safe to call from any thread.

    Args:
        config (dict, optional): changes to ``DEFAULTS``, checked by ``validate``.
    """

    def __init__(self, config: dict | None = None):
        self.lock = _ENGINE
        self.running = False
        self.config = validate(config or {}, DEFAULTS)
        self.history: list[tuple[int, float, float]] = []
        self.custom = None  # (X, y) of an uploaded CSV
        self._make_data()
        self._make_model()

    # -- building ---------------------------------------------------------------------------------
    def _make_data(self):
        cfg = self.config
        if cfg["dataset"] == "csv":
            X, y = self.custom
            order = np.random.default_rng(cfg["seed"]).permutation(len(X))
            X, y = X[order], y[order]
            if cfg["problem"] != "multiclass":
                y = y.astype(np.float32).reshape(-1, 1)
        elif cfg["problem"] == "multiclass":
            make = PROBLEMS[cfg["problem"]][cfg["dataset"]]
            X, y = make(N_POINTS, classes=cfg["classes"], noise=cfg["noise"] / 100, seed=cfg["seed"])
        else:
            make = PROBLEMS[cfg["problem"]][cfg["dataset"]]
            X, y = make(N_POINTS, noise=cfg["noise"] / 100, seed=cfg["seed"])
            y = y.astype(np.float32).reshape(-1, 1)
        n_train = int(round(len(X) * cfg["train_ratio"] / 100))
        self.X_train, self.X_test = X[:n_train], X[n_train:]
        self.y_train, self.y_test = y[:n_train], y[n_train:]

    def _make_model(self):
        cfg = self.config
        torch.manual_seed(cfg["seed"])
        out = cfg["classes"] if cfg["problem"] == "multiclass" else 1
        sizes = [len(cfg["features"])] + list(cfg["hidden"]) + [out]
        self.layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        with torch.no_grad():
            for layer in self.layers:
                if cfg["init"] == "he":
                    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                    nn.init.zeros_(layer.bias)
                elif cfg["init"] == "xavier":
                    nn.init.xavier_uniform_(layer.weight)
                    nn.init.zeros_(layer.bias)
                elif cfg["init"] == "playground":  # Math.random() - 0.5, bias 0.1 (its nn.ts)
                    nn.init.uniform_(layer.weight, -0.5, 0.5)
                    nn.init.constant_(layer.bias, 0.1)
        self.dropout_rng = torch.Generator().manual_seed(cfg["seed"] + 1)  # the exported script's manual_seed
        params = [p for layer in self.layers for p in layer.parameters()]
        self.optimizer = OPTIMIZERS[cfg["optimizer"]](params, cfg["learning_rate"])
        self.epoch = 0
        self.history = []
        self.diverged = None
        self.suggested_lr = None
        self.anomaly = None  # chainrule's account of the first non-finite value, when training diverged
        self._before = None  # model, optimizer and dropout stream as the last epoch began (for that account)
        self.stopped = None  # the early-stopping message
        self.patience_from = 0  # the history index early stopping's patience counts from
        self.inputs_train = torch.from_numpy(_features(self.X_train, cfg["features"]))
        self.inputs_test = torch.from_numpy(_features(self.X_test, cfg["features"]))
        self.target_train = torch.from_numpy(self.y_train)
        self.target_test = torch.from_numpy(self.y_test)
        self._record()

    def _forward(self, x, keep=None, train=False, layers=None, rng=None):
        layers = self.layers if layers is None else layers
        cfg = self.config
        for layer, name, p in zip(layers[:-1], cfg["activations"], cfg["dropout"]):
            x = ACTIVATIONS[name](layer(x))
            if keep is not None:
                keep.append(x)
            if train and p:
                x = F.dropout(x, p, True, generator=self.dropout_rng if rng is None else rng)
        return layers[-1](x)

    def _loss(self, out, target):
        if self.config["problem"] == "multiclass":  # softmax and cross-entropy, not MSE on +-1 labels
            return F.cross_entropy(out, target)
        if self.config["problem"] == "classification":
            return F.binary_cross_entropy_with_logits(out, target)
        return F.mse_loss(out, target) * 0.5  # Playground's regression error is half the squared error

    def _penalty(self, layers=None):
        kind, rate = self.config["regularization"], self.config["reg_rate"]
        if kind == "none" or rate == 0:
            return None
        total = None
        for layer in self.layers if layers is None else layers:  # weights only, as Playground's
            term = layer.weight.abs().sum() if kind == "L1" else (layer.weight * layer.weight).sum() * 0.5
            total = term if total is None else total + term
        return total * rate

    def _record(self):
        with torch.no_grad():
            out_train, out_test = self._forward(self.inputs_train), self._forward(self.inputs_test)
            train = float(self._loss(out_train, self.target_train).item())
            test = float(self._loss(out_test, self.target_test).item()) if len(self.X_test) else float("nan")
        if self.config["problem"] == "classification":  # a logit > 0 predicts class 1
            self.accuracy = tuple(float(((o.numpy() > 0) == (t > 0.5)).mean()) if len(t) else float("nan")
                                  for o, t in ((out_train, self.y_train), (out_test, self.y_test)))
        elif self.config["problem"] == "multiclass":
            self.accuracy = tuple(float((o.numpy().argmax(1) == t).mean()) if len(t) else float("nan")
                                  for o, t in ((out_train, self.y_train), (out_test, self.y_test)))
        else:
            self.accuracy = (float("nan"), float("nan"))
        self.confusion = None
        if self.config["problem"] != "regression":  # rows: the true class, columns: the predicted one
            out, y = (out_test, self.y_test) if len(self.X_test) else (out_train, self.y_train)
            o = out.numpy()
            pred = o.argmax(1) if o.shape[1] > 1 else (o[:, 0] > 0).astype(int)
            true = np.asarray(y).reshape(-1).round().astype(int)
            k = max(2, o.shape[1])
            ok = np.isfinite(o).all(1)
            self.confusion = np.bincount(true[ok] * k + pred[ok], minlength=k * k).reshape(k, k).tolist()
        self.history.append((self.epoch, train, test))
        if not (math.isfinite(train) and all(math.isfinite(float(p.abs().max().item()))
                                              for layer in self.layers for p in layer.parameters())):
            self.running = False
            lr = self.config["learning_rate"]
            self.suggested_lr = _lower(lr)
            self.anomaly = self._explain()
            self.diverged = (f"Training diverged at epoch {self.epoch}: the loss or the weights became NaN or "
                             f"infinite. Lower the learning rate (now {lr:g}, try {self.suggested_lr:g}) "
                             "and press Reset.")

    # -- actions ----------------------------------------------------------------------------------
    def configure(self, changes: dict) -> None:
        """Apply control changes; data and network are rebuilt when they depend on a changed setting."""
        with self.lock:
            cfg = validate(changes, self.config)
            old, self.config = self.config, cfg
            if any(old[k] != cfg[k] for k in ("problem", "dataset", "noise", "train_ratio", "seed", "classes")):
                self._make_data()
            if any(old[k] != cfg[k] for k in ("problem", "dataset", "noise", "train_ratio", "seed", "classes",
                                             "features", "hidden", "optimizer", "init")):
                self.running = False
                self._make_model()
            for group in self.optimizer.param_groups:
                group["lr"] = cfg["learning_rate"]

    def set_weight(self, change: dict) -> None:
        """Set one weight, ``{"layer": l, "row": j, "col": i, "value": v}`` (a click on a link in the page)."""
        if not isinstance(change, dict) or set(change) != {"layer", "row", "col", "value"}:
            raise ConfigError("weight: expected an object with layer, row, col and value")
        k, j, i, v = change["layer"], change["row"], change["col"], change["value"]
        with self.lock:
            if not (_int(k) and 0 <= k < len(self.layers)):
                raise ConfigError(f"weight: layer must be from 0 to {len(self.layers) - 1}, got {k!r}")
            rows, cols = self.layers[k].weight.shape
            if not (_int(j) and _int(i) and 0 <= j < rows and 0 <= i < cols):
                raise ConfigError(f"weight: row and col must be inside {rows}x{cols}, got {j!r}, {i!r}")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or abs(v) > 100:
                raise ConfigError(f"weight: value must be a number from -100 to 100, got {v!r}")
            with torch.no_grad():
                self.layers[k].weight[j, i] = float(v)
            self.history.pop()
            self._record()

    def upload(self, text: str) -> None:
        """Use the CSV ``text`` as the data (see ``csvdata.parse_csv``); the problem type follows its labels."""
        from chainrule.playground.csvdata import parse_csv

        X, y, problem, classes = parse_csv(text)
        with self.lock:
            self.custom = (X, y)
            self.config = dict(self.config, dataset="csv", problem=problem, classes=classes)
            self.running = False
            self._make_data()
            self._make_model()

    def reset(self) -> None:
        """New initial weights (same data), epoch 0, as Playground's Reset."""
        with self.lock:
            self.running = False
            self._make_model()

    def regenerate(self) -> None:
        """New data from a new seed, then a reset."""
        with self.lock:
            self.config["seed"] = (self.config["seed"] * 1103515245 + 12345) % 2**31
            self.running = False
            self._make_data()
            self._make_model()

    def step(self) -> dict:
        """Train one epoch in mini-batches of ``batch_size`` and return the snapshot."""
        with self.lock:
            self._epoch()
            return self._snapshot()

    def train_for(self, seconds: float) -> None:
        """Train whole epochs until ``seconds`` have passed (at least one epoch) while running."""
        import time
        end = time.perf_counter() + seconds
        with self.lock:
            while self.running and self.diverged is None:
                self._epoch()
                if self.config["early_stopping"] and self._no_progress():
                    self.running = False
                if time.perf_counter() >= end:
                    break

    def _batches(self):
        n, bs = len(self.X_train), self.config["batch_size"]
        order = np.random.default_rng(self.config["seed"] + self.epoch).permutation(n)
        return [torch.from_numpy(order[start:start + bs]) for start in range(0, n, bs)]

    def _update(self, idx, layers, optimizer, rng):
        """One mini-batch: forward (with dropout), loss plus penalty, backward, optimizer step; returns the loss."""
        loss = self._loss(self._forward(self.inputs_train[idx], train=True, layers=layers, rng=rng),
                          self.target_train[idx])
        penalty = self._penalty(layers)
        if penalty is not None:
            loss = loss + penalty
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    def _epoch(self):
        if self.diverged is not None:
            return
        # kept so that a divergence can be replayed under detect_anomaly (about 0.2 ms, a few % of an epoch)
        self._before = (copy.deepcopy((self.layers, self.optimizer)), self.dropout_rng.get_state())
        for idx in self._batches():
            self._update(idx, self.layers, self.optimizer, self.dropout_rng)
        self.epoch += 1
        self._record()

    def _explain(self) -> dict | None:
        """Replay the epoch that diverged, one mini-batch at a time, with chainrule's anomaly detection on.

        Returns where the first NaN or Inf came from: an op of the forward or backward pass
        (``detect_anomaly``'s message names it), or the optimizer's update itself (a step so large that a
        weight overflowed); None when the replay stays finite or there is no epoch to replay.
        """
        if self._before is None:
            return None
        (layers, optimizer), rng_state = copy.deepcopy(self._before[0]), self._before[1]
        rng = torch.Generator()
        rng.set_state(rng_state)
        self.epoch -= 1  # the batches of the epoch being replayed
        try:
            batches = self._batches()
        finally:
            self.epoch += 1
        name = type(optimizer).__name__
        for b, idx in enumerate(batches, 1):
            where = f"epoch {self.epoch}, mini-batch {b} of {len(batches)}"
            try:
                with torch.autograd.detect_anomaly():
                    loss = self._update(idx, layers, optimizer, rng)
            except torch.autograd.AnomalyError as e:
                op = str(e).split()[0]
                return {"where": where, "op": op, "message": str(e)}
            if not math.isfinite(float(loss.item())):
                return {"where": where, "op": "loss", "message": f"the loss of this mini-batch was {loss.item()}."}
            for k, layer in enumerate(layers):
                w = layer.weight.detach().numpy()
                if not np.isfinite(w).all():
                    grad = layer.weight.grad
                    big = float(np.abs(grad.numpy()).max()) if grad is not None else float("nan")
                    return {"where": where, "op": f"{name}.step",
                            "message": f"{name}'s update turned weights of layer {k + 1} into Inf or NaN: the "
                                       f"largest gradient there was {big:.3g}, and the learning rate "
                                       f"{self.config['learning_rate']:g} made the step overflow."}
        return None

    # -- what the page draws ----------------------------------------------------------------------
    def snapshot(self) -> dict:
        with self.lock:
            return self._snapshot()

    def _snapshot(self) -> dict:
        cfg = self.config
        regression = cfg["problem"] == "regression"
        axis = np.linspace(-DOMAIN, DOMAIN, GRID, dtype=np.float32)
        gx, gy = np.meshgrid(axis, axis[::-1])  # row 0 is the top of the picture (x2 = +6)
        small = np.linspace(-DOMAIN, DOMAIN, NEURON_GRID, dtype=np.float32)
        sx, sy = np.meshgrid(small, small[::-1])
        with torch.no_grad():
            out = self._forward(torch.from_numpy(_features(np.stack([gx.ravel(), gy.ravel()], 1), cfg["features"])))
            keep = []
            feats = _features(np.stack([sx.ravel(), sy.ravel()], 1), cfg["features"])
            last = self._forward(torch.from_numpy(feats), keep)
        grid_class = None
        if cfg["problem"] == "multiclass":  # the winning class, and how sure: 0 at chance, 1 when certain
            logits = out.numpy()
            probs = np.exp(logits - logits.max(1, keepdims=True))
            probs /= probs.sum(1, keepdims=True)
            k = logits.shape[1]
            grid_class = probs.argmax(1).tolist()
            grid = (probs.max(1) - 1 / k) / (1 - 1 / k)
        else:
            grid = out.numpy().ravel()
            grid = np.clip(grid, -1, 1) if regression else 2 / (1 + np.exp(-np.clip(grid, -30, 30))) - 1
        neurons = [[_unit(feats[:, j]) for j in range(feats.shape[1])]]
        neurons += [[_unit(h.numpy()[:, j]) for j in range(h.shape[1])] for h in keep]
        weights = [[[_num(w) for w in row] for row in np.round(layer.weight.detach().numpy().astype(float), 4).tolist()]
                   for layer in self.layers]  # NaN as null: JSON has no NaN, and the page must still parse it
        _, train, test = self.history[-1]
        ci = None
        if not math.isnan(self.accuracy[1]) and len(self.X_test):
            from chainrule.train.metrics import wilson_interval
            n = len(self.X_test)
            ci = [round(v, 4) for v in wilson_interval(int(round(self.accuracy[1] * n)), n)]
        return {
            "test_accuracy_ci": ci, "diagnosis": self._diagnosis(),
            "epoch": self.epoch, "running": self.running, "config": cfg,
            "train_loss": _num(train), "test_loss": _num(test),
            "train_accuracy": _num(self.accuracy[0]), "test_accuracy": _num(self.accuracy[1]),
            "history": [[e, _num(a), _num(b)] for e, a, b in self.history[-300:]],
            "grid": _round(np.nan_to_num(grid)), "grid_class": grid_class, "grid_size": GRID,
            "neuron_grid_size": NEURON_GRID,
            "neurons": neurons + [[_unit(last.numpy()[:, 0], squash=not regression)]], "weights": weights,
            "diverged": self.diverged, "stopped": self.stopped, "anomaly": self.anomaly,
            "suggested_lr": self.suggested_lr if self.diverged else None, "confusion": self.confusion,
            "limits": {"layers": MAX_LAYERS, "neurons": MAX_NEURONS},
        }

    def run(self) -> None:
        """Start (or continue) training; a stop by early stopping is forgotten."""
        with self.lock:
            if self.stopped is not None:
                self.stopped, self.patience_from = None, len(self.history) - 1
            self.running = self.diverged is None

    def _no_progress(self) -> bool:
        start = self.patience_from  # after Run following a stop, patience counts from there
        tests = [r[2] for r in self.history[start:]]
        if len(tests) <= PATIENCE or not math.isfinite(tests[-1]):
            return False
        best = int(np.nanargmin(tests))
        if len(tests) - 1 - best < PATIENCE:
            return False
        best += start
        tests = [r[2] for r in self.history]
        self.stopped = (f"Early stopping at epoch {self.epoch}: the test loss was lowest at epoch "
                        f"{self.history[best][0]} ({tests[best]:.4f}) and has not improved for {PATIENCE} epochs.")
        return True

    def _diagnosis(self) -> str | None:
        """chainrule's reading of the curves (training loss, test loss as validation), one line."""
        if self.epoch < 3:
            return None
        from chainrule.train.diagnose import diagnose
        rows = self.history[1:]
        try:
            message = diagnose({"loss": [r[1] for r in rows], "val_loss": [r[2] for r in rows]}).message
            return message.replace("val_loss", "test loss")
        except ValueError:
            return None

    def points(self) -> dict:
        """Training and test points with their labels (sent once per data change, not with every update)."""
        with self.lock:
            return {"train": _pts(self.X_train, self.y_train), "test": _pts(self.X_test, self.y_test),
                    "thumbnails": self._thumbnails()}

    def _thumbnails(self) -> dict:
        """For each dataset of the current problem, the points its generator makes (THUMB_POINTS of them)."""
        cfg = self.config
        key = (cfg["problem"], cfg["noise"], cfg["seed"], cfg["classes"])
        if getattr(self, "_thumbs", (None,))[0] != key:
            out = {}
            for name, make in PROBLEMS[cfg["problem"]].items():
                extra = {"classes": cfg["classes"]} if cfg["problem"] == "multiclass" else {}
                X, y = make(THUMB_POINTS, noise=cfg["noise"] / 100, seed=cfg["seed"], **extra)
                out[name] = np.round(np.concatenate([X, np.asarray(y, float).reshape(len(y), 1)], 1), 2).tolist()
            self._thumbs = (key, out)
        return self._thumbs[1]


def _lower(lr: float) -> float:
    """A learning rate about ten times lower, from Playground's list (its smallest when none is lower)."""
    lower = [v for v in LEARNING_RATES if v <= lr / 9]
    return lower[-1] if lower else LEARNING_RATES[0]


def _pts(X, y):
    return np.round(np.concatenate([X, y.reshape(len(y), -1)], axis=1).astype(float), 3).tolist()


def _num(v: float):
    return v if math.isfinite(v) else None


def _round(a: np.ndarray) -> list:
    return np.round(a.astype(float), 3).tolist()


def _unit(values: np.ndarray, squash: bool = False) -> list:
    """Scale a neuron's outputs into [-1, 1] for colouring (its own range, as Playground's thumbnails)."""
    v = np.nan_to_num(values.astype(float))
    if squash:
        v = np.tanh(v / 2)  # a logit: tanh(z/2) = 2 sigmoid(z) - 1
    else:
        scale = float(np.abs(v).max()) or 1.0
        v = v / scale
    return np.round(v, 2).tolist()
