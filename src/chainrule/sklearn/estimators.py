"""``NeuralNetClassifier`` and ``NeuralNetRegressor``: chainrule networks behind scikit-learn's API."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d, validate_data

from chainrule.sklearn.base import BaseNeuralNet, as_float32

FLOATS = (np.float64, np.float32)


class NeuralNetClassifier(ClassifierMixin, BaseNeuralNet):
    """A chainrule network as a scikit-learn classifier, with ``MLPClassifier``'s arguments.

    Without ``module`` it builds ``MLPClassifier``'s network: Linear layers of ``hidden_layer_sizes``
    with ``activation`` (and ``dropout``) between them, trained with Adam on the cross-entropy. Any
    chainrule ``Module`` (copied at every ``fit``) or a function/class called as
    ``module(n_features, n_classes, **module_kwargs)`` can take its place; ``module__width=64`` and
    ``optimizer__momentum=0.9`` set nested parameters (for ``GridSearchCV`` too). Training is chainrule's
    ``fit``: ``batch_size`` samples a step, up to ``max_iter`` epochs, stopping as ``MLPClassifier`` does
    after ``n_iter_no_change`` epochs without an improvement by ``tol`` of the training loss or, with
    ``early_stopping``, of the accuracy on a held-out ``validation_fraction`` (keeping the best weights).
    Pickled and cloned estimators hold their weights and optimizer state as plain NumPy arrays.

    Args:
        module (Module, callable or None): the network; None builds the MLP. Default: None.
        hidden_layer_sizes (tuple of int): hidden layer widths of the built MLP. Default: (100,).
        activation (str): ``relu``, ``tanh``, ``logistic``, ``identity`` (MLPClassifier's names), or
            ``leaky_relu``, ``elu``, ``gelu``, ``silu``. Default: ``"relu"``.
        dropout (float): dropout after each hidden activation. Default: 0.
        alpha (float): L2 penalty on the weights, scaled as in MLPClassifier (``alpha / batch_size``
            weight decay; biases are not penalized). Default: 1e-4.
        batch_size (int or "auto"): ``"auto"`` is ``min(200, n_samples)``. Default: ``"auto"``.
        learning_rate_init (float): the optimizer's learning rate. Default: 1e-3.
        max_iter (int): the most epochs one ``fit`` trains. Default: 200.
        shuffle (bool): reshuffle the samples every epoch. Default: True.
        random_state (int, RandomState or None): seeds the weights, the split and the batch order. Default: None.
        tol (float): the improvement that counts. Default: 1e-4.
        early_stopping (bool): hold out ``validation_fraction`` (stratified) and stop on its accuracy. Default: False.
        validation_fraction (float): see ``early_stopping``. Default: 0.1.
        n_iter_no_change (int): epochs without improvement before stopping. Default: 10.
        optimizer (str or class): ``adam``, ``adamw``, ``sgd``, ``rmsprop``, ``adagrad``, ``nadam`` or a
            ``chainrule.optim`` class; ``optimizer__*`` parameters go to it. Default: ``"adam"``.
        loss (str, Module or None): None is ``nn.CrossEntropyLoss()`` on the logits. Default: None.
        callbacks (list of Callback): chainrule callbacks (copied at every ``fit``). Default: None.
        warm_start (bool): ``fit`` continues from the previous weights. Default: False.
        verbose (int): print a line per epoch. Default: 0.
        module_kwargs, optimizer_kwargs (dict): where ``module__*`` / ``optimizer__*`` parameters live.

    Attributes:
        classes_, n_features_in_, n_iter_, loss_curve_ (training loss per epoch, without the penalty),
        validation_scores_, best_validation_score_, best_loss_, t_, module_ (the trained chainrule module).

    >>> clf = NeuralNetClassifier(hidden_layer_sizes=(32,), max_iter=100, random_state=0)
    >>> clf.fit(X, ["cat", "dog", ...]).predict_proba(X[:2]).shape
    (2, 2)
    """

    _is_classifier = True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

    def _n_outputs_for(self, y):
        return len(self.classes_)

    def _validation_score(self, X_val, y_val, module):
        return float(np.mean(self._outputs(module, X_val).argmax(axis=1) == y_val))

    def _encode(self, y, classes=None, reset=True):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            self._label_encoder = LabelEncoder().fit(y if classes is None else classes)
            self.classes_ = self._label_encoder.classes_
            if len(self.classes_) < 2:
                raise ValueError(f"{type(self).__name__}: needs samples of at least 2 classes in the data, "
                                 f"got 1 class: {self.classes_.tolist()[0]!r}")  # 0 or 'a', not np.int64(0)
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            raise ValueError(f"{type(self).__name__}: y has labels {unknown.tolist()} that are not in classes "
                             f"{self.classes_.tolist()}")
        return self._label_encoder.transform(y).astype(np.int64)

    def fit(self, X, y, sample_weight=None):
        """Train on ``X`` ``(n_samples, n_features)`` and labels ``y`` (any hashable labels); returns self.

        ``sample_weight`` scales each sample's loss (a weight of 2 counts like the sample twice)."""
        continuing = self.warm_start and hasattr(self, "module_")
        X, y = validate_data(self, X, y, dtype=FLOATS, reset=not continuing)
        sw = None if sample_weight is None else _check_sample_weight(sample_weight, X, dtype=np.float64)
        codes = self._encode(y, reset=not continuing)
        return self._train(as_float32(X), codes, self.max_iter, incremental=False, stratify=codes, sample_weight=sw)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``X, y``; the first call needs ``classes`` (all labels there will ever be)."""
        first = not hasattr(self, "module_")
        if first and classes is None:
            raise ValueError(f"{type(self).__name__}.partial_fit: the first call needs classes=[all labels]")
        X, y = validate_data(self, X, y, dtype=FLOATS, reset=first)
        if classes is not None and not first and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"{type(self).__name__}.partial_fit: classes={list(classes)} differs from the first "
                             f"call's {self.classes_.tolist()}")
        sw = None if sample_weight is None else _check_sample_weight(sample_weight, X, dtype=np.float64)
        codes = self._encode(y, classes=classes, reset=first)
        return self._train(as_float32(X), codes, 1, incremental=True, sample_weight=sw)

    def predict_proba(self, X):
        """Class probabilities ``(n_samples, n_classes)``, columns in the order of ``classes_``."""
        logits = self._logits(X)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """``log(predict_proba(X))``, computed stably."""
        logits = self._logits(X)
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def predict(self, X):
        """The most probable class of every row, as labels from ``classes_``."""
        codes = self._logits(X).argmax(axis=1)
        return self.classes_[codes]

    def _logits(self, X):
        check_is_fitted(self, "module_")
        X = validate_data(self, X, dtype=FLOATS, reset=False)
        return self._forward(X)


class NeuralNetRegressor(RegressorMixin, BaseNeuralNet):
    """A chainrule network as a scikit-learn regressor, with ``MLPRegressor``'s arguments.

    The same arguments as ``NeuralNetClassifier`` (the loss defaults to ``nn.MSELoss()``, the score
    of ``early_stopping`` is R^2 on the held-out part). ``y`` may be ``(n_samples,)`` or
    ``(n_samples, n_targets)``; a module function is called as ``module(n_features, n_targets, ...)``.

    >>> reg = NeuralNetRegressor(hidden_layer_sizes=(64,), max_iter=300, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _n_outputs_for(self, y):
        return y.shape[1]

    def _validation_score(self, X_val, y_val, module):
        from sklearn.metrics import r2_score

        return float(r2_score(y_val, self._outputs(module, X_val)))

    def _targets(self, y):
        self._y_1d = y.ndim == 1
        return np.asarray(y, dtype=np.float32).reshape(len(y), -1)

    def fit(self, X, y, sample_weight=None):
        """Train on ``X`` ``(n_samples, n_features)`` and targets ``y`` (``sample_weight`` scales each
        sample's loss); returns self."""
        continuing = self.warm_start and hasattr(self, "module_")
        X, y = validate_data(self, X, y, dtype=FLOATS, multi_output=True, y_numeric=True, reset=not continuing)
        sw = None if sample_weight is None else _check_sample_weight(sample_weight, X, dtype=np.float64)
        return self._train(as_float32(X), self._targets(y), self.max_iter, incremental=False, sample_weight=sw)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X, y``."""
        first = not hasattr(self, "module_")
        X, y = validate_data(self, X, y, dtype=FLOATS, multi_output=True, y_numeric=True, reset=first)
        sw = None if sample_weight is None else _check_sample_weight(sample_weight, X, dtype=np.float64)
        return self._train(as_float32(X), self._targets(y), 1, incremental=True, sample_weight=sw)

    def predict(self, X):
        """Predicted targets, ``(n_samples,)`` for a 1-d ``y`` in ``fit``, else ``(n_samples, n_targets)``."""
        check_is_fitted(self, "module_")
        X = validate_data(self, X, dtype=FLOATS, reset=False)
        out = self._forward(X)
        return out.ravel() if self._y_1d else out
