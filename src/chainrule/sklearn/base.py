"""What ``NeuralNetClassifier`` and ``NeuralNetRegressor`` share: parameters, building the module,
optimizer and loss, the training loop (chainrule's ``fit`` with MLPClassifier's stopping rule) and
pickling as plain arrays."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

import chainrule as cr
from chainrule.train.callbacks import Callback

# MLPClassifier's activation names and chainrule's
ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "logistic": "Sigmoid", "sigmoid": "Sigmoid", "identity": None,
               "leaky_relu": "LeakyReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU"}
OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad",
              "nadam": "NAdam"}
LOSSES = {"cross-entropy": "CrossEntropyLoss", "mse": "MSELoss", "mae": "L1Loss", "huber": "HuberLoss",
          "smooth-l1": "SmoothL1Loss"}
NESTED = ("module", "optimizer")  # prefixes of nested parameters: module__width, optimizer__momentum
PREDICT_CHUNK = 8192


class BaseNeuralNet(BaseEstimator):
    """The common base of the two estimators (see ``NeuralNetClassifier`` for the arguments)."""

    _is_classifier = False

    def __init__(self, module=None, *, hidden_layer_sizes=(100,), activation="relu", dropout=0.0, alpha=1e-4,
                 batch_size="auto", learning_rate_init=1e-3, max_iter=200, shuffle=True, random_state=None,
                 tol=1e-4, early_stopping=False, validation_fraction=0.1, n_iter_no_change=10, optimizer="adam",
                 loss=None, callbacks=None, warm_start=False, verbose=0, module_kwargs=None, optimizer_kwargs=None):
        self.module = module
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.optimizer = optimizer
        self.loss = loss
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.verbose = verbose
        self.module_kwargs = module_kwargs
        self.optimizer_kwargs = optimizer_kwargs

    # ---- nested parameters: module__x and optimizer__x live in module_kwargs / optimizer_kwargs
    def get_params(self, deep=True):
        params = super().get_params(deep=False)
        if deep:
            for prefix in NESTED:
                nested = params[f"{prefix}_kwargs"]
                for key, value in (nested.items() if isinstance(nested, dict) else ()):
                    params[f"{prefix}__{key}"] = value
        return params

    def set_params(self, **params):
        plain = {}
        for key, value in params.items():
            prefix, sep, name = key.partition("__")
            if sep and prefix in NESTED:
                attr = f"{prefix}_kwargs"
                setattr(self, attr, {**(getattr(self, attr) or {}), name: value})  # a new dict: clones stay apart
            else:
                plain[key] = value
        return super().set_params(**plain) if plain else self

    # ---- building
    def _check_params(self):
        name = type(self).__name__

        def bad(param, expected):
            return ValueError(f"{name}: {param} must be {expected}, got {getattr(self, param)!r}")

        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, (int, np.integer)) else tuple(sizes)
        if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
            raise bad("hidden_layer_sizes", "a tuple of positive ints")
        if self.activation not in ACTIVATIONS:
            raise bad("activation", f"one of {', '.join(ACTIVATIONS)}")
        if not 0 <= self.dropout < 1:
            raise bad("dropout", "in [0, 1)")
        if not self.alpha >= 0:
            raise bad("alpha", ">= 0")
        if self.batch_size != "auto" and not (isinstance(self.batch_size, (int, np.integer)) and self.batch_size >= 1):
            raise bad("batch_size", "'auto' or a positive int")
        if not self.learning_rate_init > 0:
            raise bad("learning_rate_init", "> 0")
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, (int, np.integer)) or self.max_iter < 1:
            raise bad("max_iter", "a positive int")
        if not 0 < self.validation_fraction < 1:
            raise bad("validation_fraction", "in (0, 1)")
        if not (isinstance(self.n_iter_no_change, (int, np.integer)) and self.n_iter_no_change >= 1):
            raise bad("n_iter_no_change", "a positive int")
        if not self.tol >= 0:
            raise bad("tol", ">= 0")
        if isinstance(self.optimizer, str) and self.optimizer not in OPTIMIZERS:
            raise bad("optimizer", f"one of {', '.join(OPTIMIZERS)} or a chainrule optimizer class")
        if isinstance(self.loss, str) and self.loss not in LOSSES:
            raise bad("loss", f"one of {', '.join(LOSSES)}, a loss module or None")
        if self.module_kwargs and (self.module is None or isinstance(self.module, cr.nn.Module)):
            raise ValueError(f"{name}: module__ parameters need module to be a class or function that builds "
                             f"the module, got module={self.module!r}")
        return sizes

    def _build_module(self, n_features, n_outputs):
        from chainrule import nn

        if self.module is None:
            sizes = [n_features, *self._check_params(), n_outputs]
            layers = []
            for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
                layers.append(nn.Linear(fan_in, fan_out))
                if ACTIVATIONS[self.activation]:
                    layers.append(getattr(nn, ACTIVATIONS[self.activation])())
                if self.dropout > 0:
                    layers.append(nn.Dropout(self.dropout))
            layers.append(nn.Linear(sizes[-2], sizes[-1]))
            return nn.Sequential(*layers)
        if isinstance(self.module, nn.Module):
            return copy.deepcopy(self.module)  # the parameter stays untouched (sklearn's rule)
        if callable(self.module):
            return self.module(n_features, n_outputs, **(self.module_kwargs or {}))
        raise ValueError(f"{type(self).__name__}: module must be None, a chainrule Module, or a function/class "
                         f"called as module(n_features, n_outputs, **module_kwargs); got {self.module!r}")

    def _build_optimizer(self, module, batch_size):
        from chainrule import optim

        cls = getattr(optim, OPTIMIZERS[self.optimizer]) if isinstance(self.optimizer, str) else self.optimizer
        weights = [p for p in module.parameters() if p.ndim > 1]
        others = [p for p in module.parameters() if p.ndim <= 1]
        # MLPClassifier's penalty 0.5 * alpha * ||W||^2 / batch_size, on the weights only (not the biases)
        groups = [g for g in ({"params": weights, "weight_decay": self.alpha / batch_size},
                              {"params": others, "weight_decay": 0.0}) if g["params"]]
        return cls(groups, lr=self.learning_rate_init, **(self.optimizer_kwargs or {}))

    def _build_loss(self):
        from chainrule import nn

        if self.loss is None:
            return nn.CrossEntropyLoss() if self._is_classifier else nn.MSELoss()
        if isinstance(self.loss, str):
            return getattr(nn, LOSSES[self.loss])()
        return self.loss() if isinstance(self.loss, type) else copy.deepcopy(self.loss)

    def _seed(self) -> int:
        rs = self.random_state
        if rs is None:  # a fresh seed, leaving NumPy's global generator alone (as all of chainrule does)
            import secrets

            return secrets.randbelow(2**31 - 1)
        if isinstance(rs, (int, np.integer)):
            return int(rs)
        return int(rs.randint(2**31 - 1))  # a RandomState

    def _initialize(self, n_features, n_outputs, n_samples):
        self._check_params()
        self.seed_ = self._seed()
        self.batch_size_ = min(200, n_samples) if self.batch_size == "auto" else int(self.batch_size)
        cr.manual_seed(self.seed_)
        self.module_ = self._build_module(n_features, n_outputs)
        self.optimizer_ = self._build_optimizer(self.module_, self.batch_size_)
        self.loss_fn_ = self._build_loss()
        self.n_outputs_ = n_outputs
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None
        self._no_improvement = 0

    # ---- training
    def _train(self, X, y, epochs, incremental, stratify=None, sample_weight=None):
        """Up to ``epochs`` epochs of chainrule's ``fit`` on arrays ``X`` (float32) and encoded ``y``."""
        from chainrule.train import fit

        rng_state = cr.get_rng_state()  # seeding for repeatability must not disturb the user's generator
        try:
            if not (incremental or self.warm_start) or not hasattr(self, "module_"):
                self._initialize(X.shape[1], self._n_outputs_for(y), len(X))
            if not incremental:
                self._no_improvement = 0  # a warm-started fit counts its own epochs without improvement
            sw = None if sample_weight is None or np.all(sample_weight == 1) else sample_weight
            val = None
            if self.early_stopping and not incremental:
                X, y, sw, val = self._split(X, y, sw, stratify)
            loss_fn, train = self.loss_fn_, (X, y)
            if sw is not None:  # the weights ride along as the targets' first column
                loss_fn, train = _Weighted(self.loss_fn_, self._is_classifier), (X, _stack(sw, y))
            stopper = _MLPStopping(self, val and val[:2], incremental)
            callbacks = [stopper, *copy.deepcopy(list(self.callbacks or []))]
            # What MLPClassifier computes and no more (a third off a small MLP's fit, see
            # docs/performance.md): no training accuracy (it needs only the loss), the validation
            # score computed by the stopping callback once per epoch, and the finite check once per
            # epoch on the mean loss and once at the end on the weights (MLPClassifier checks only
            # the weights, at the end) instead of three reductions over every tensor every step.
            fit(self.module_, loss_fn, self.optimizer_, train, epochs=epochs, batch_size=self.batch_size_,
                callbacks=callbacks, metrics=(), check_finite=False, seed=self.seed_ + self.n_iter_,
                shuffle=self.shuffle, verbose=2 if self.verbose else 0)
            stopper.check_weights()
            self.t_ += len(X) * stopper.epochs
            if not incremental and not stopper.converged and stopper.epochs == epochs:
                warnings.warn(f"{type(self).__name__}: reached max_iter={self.max_iter} epochs and the "
                              "optimization hasn't converged yet", ConvergenceWarning, stacklevel=3)
        finally:
            cr.set_rng_state(rng_state)
        return self

    def _split(self, X, y, sw, stratify):
        from sklearn.model_selection import train_test_split

        arrays = (X, y) if sw is None else (X, y, sw)
        try:
            parts = train_test_split(*arrays, test_size=self.validation_fraction, random_state=self.seed_,
                                     stratify=stratify)
        except ValueError:  # a class with one sample cannot be stratified
            parts = train_test_split(*arrays, test_size=self.validation_fraction, random_state=self.seed_)
        X, X_val, y, y_val = parts[:4]
        sw, sw_val = parts[4:] if sw is not None else (None, None)
        return X, y, sw, (X_val, y_val, sw_val)

    def _forward(self, X) -> np.ndarray:
        """The module's outputs for rows ``X`` in evaluation mode, computed in float64.

        A float64 copy of the trained float32 module: float32 matrix products give a row last-bit
        different results in batches of different sizes, and sklearn expects a row's prediction not
        to depend on the other rows (``check_methods_subset_invariance``)."""
        module = copy.deepcopy(self.module_).double().eval()
        X = np.asarray(X, dtype=np.float64)
        with cr.no_grad():
            outs = [module(cr.from_numpy(X[i:i + PREDICT_CHUNK])).numpy() for i in range(0, len(X), PREDICT_CHUNK)]
        return np.concatenate(outs) if outs else np.zeros((0, self.n_outputs_))

    def _validation_score(self, X_val, y_val, module) -> float:
        raise NotImplementedError

    def _outputs(self, module, X) -> np.ndarray:
        """The training module's float32 outputs for the float32 rows ``X``, in evaluation mode (for the
        validation score of every epoch: no copy of the module, unlike ``_forward``)."""
        was_training = module.training
        module.eval()
        try:
            with cr.no_grad():
                return np.concatenate([module(cr.from_numpy(X[i:i + PREDICT_CHUNK])).numpy()
                                       for i in range(0, len(X), PREDICT_CHUNK)])
        finally:
            module.train(was_training)

    # ---- pickling: the module and optimizer as plain arrays, rebuilt on loading
    def __getstate__(self):
        state = super().__getstate__()
        if state.get("module_") is not None:
            state = dict(state)
            state["module_"] = _to_arrays(self.module_.state_dict())
            state["optimizer_"] = _to_arrays(self.optimizer_.state_dict())
            state["loss_fn_"] = None
        return state

    def __setstate__(self, state):
        arrays = state.get("module_")
        super().__setstate__(state)
        if isinstance(arrays, dict):
            rng_state = cr.get_rng_state()
            try:
                self.module_ = self._build_module(self.n_features_in_, self.n_outputs_)
            finally:
                cr.set_rng_state(rng_state)
            self.module_.load_state_dict({k: cr.from_numpy(np.array(v)) for k, v in arrays.items()})
            self.optimizer_ = self._build_optimizer(self.module_, self.batch_size_)
            self.optimizer_.load_state_dict(_to_tensors(state["optimizer_"]))
            self.loss_fn_ = self._build_loss()


class _MLPStopping(Callback):
    """MLPClassifier's stopping rule on chainrule's epoch logs: stop after ``n_iter_no_change`` epochs
    without an improvement by ``tol`` of the training loss (or of the validation score with
    ``early_stopping``, then keeping the best weights); records ``loss_curve_`` and ``validation_scores_``."""

    def __init__(self, estimator, val, incremental):
        self.est, self.val, self.incremental = estimator, val, incremental
        self.epochs, self.converged, self.best = 0, False, None

    def on_epoch_end(self, epoch, logs=None):
        est = self.est
        self.epochs += 1
        est.n_iter_ += 1
        loss = float(logs["loss"])
        est.loss_curve_.append(loss)
        if not math.isfinite(loss):
            raise ValueError(f"{type(est).__name__}: the training loss became {loss} in epoch {est.n_iter_}; "
                             "lower learning_rate_init or scale the inputs (e.g. StandardScaler)")
        if self.incremental:
            est.best_loss_ = min(est.best_loss_, loss)
            return
        if self.val is not None:
            score = est._validation_score(*self.val, self.model)
            est.validation_scores_.append(score)
            improved = score > est.best_validation_score_ + est.tol
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                self.best = _to_arrays(self.model.state_dict())
        else:
            improved = loss < est.best_loss_ - est.tol
        est.best_loss_ = min(est.best_loss_, loss)
        est._no_improvement = 0 if improved else est._no_improvement + 1
        if est._no_improvement > est.n_iter_no_change:
            self.converged = True
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.best is not None:
            self.model.load_state_dict({k: cr.from_numpy(v) for k, v in self.best.items()})

    def check_weights(self):
        for name, p in self.est.module_.named_parameters():
            if not np.isfinite(p.detach().numpy()).all():
                raise ValueError(f"{type(self.est).__name__}: training made the weights non-finite ({name}); "
                                 "lower learning_rate_init or scale the inputs (e.g. StandardScaler)")


class _Weighted:
    """``mean(weight * loss_per_sample)`` with the weights in the targets' first column; with the mean
    over the batch (not over the weights), a weight of 2 counts as the sample twice, in expectation."""

    def __init__(self, loss, classification):
        self.loss = copy.deepcopy(loss)
        self.loss.reduction = "none"
        self.classification = classification

    def __call__(self, output, target):
        weight = target[:, 0]
        y = target[:, 1].long() if self.classification else target[:, 1:]
        per_sample = self.loss(output, y)
        if per_sample.ndim > 1:  # regression: mean over the targets of a sample
            per_sample = per_sample.mean(dim=1)
        return (per_sample * weight).mean()


def _stack(sw, y) -> np.ndarray:
    return np.column_stack([np.asarray(sw, dtype=np.float32), np.asarray(y, dtype=np.float32)])


def _to_arrays(obj):
    if isinstance(obj, cr.Tensor):
        return obj.detach().numpy().copy()
    if isinstance(obj, dict):
        return {k: _to_arrays(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_arrays(v) for v in obj)
    return obj


def _to_tensors(obj):
    if isinstance(obj, np.ndarray):
        return cr.from_numpy(np.array(obj))
    if isinstance(obj, dict):
        return {k: _to_tensors(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_tensors(v) for v in obj)
    return obj


def as_float32(X) -> np.ndarray:
    """A C-contiguous, writable float32 copy only when needed (read-only memmaps included)."""
    return np.require(X, np.float32, ["C", "W"])
