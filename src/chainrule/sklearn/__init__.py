"""chainrule models as scikit-learn estimators: ``NeuralNetClassifier`` and ``NeuralNetRegressor``.

They take ``MLPClassifier``'s arguments (``hidden_layer_sizes``, ``alpha``, ``learning_rate_init``,
``max_iter``, ``early_stopping`` ...) or any chainrule module, train with chainrule's ``fit`` and work
in ``Pipeline``, ``GridSearchCV``, ``RandomizedSearchCV`` and ``cross_val_score``. Needs scikit-learn
(``pip install chainrule[sklearn]``).

>>> from chainrule.sklearn import NeuralNetClassifier
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> clf = make_pipeline(StandardScaler(), NeuralNetClassifier(hidden_layer_sizes=(64,), max_iter=50))
>>> clf.fit(X_train, y_train).score(X_test, y_test)  # doctest: +SKIP
0.97
"""

try:
    import sklearn  # noqa: F401
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("chainrule.sklearn needs scikit-learn: pip install chainrule[sklearn]") from e

from chainrule.sklearn.estimators import NeuralNetClassifier, NeuralNetRegressor

__all__ = ["NeuralNetClassifier", "NeuralNetRegressor"]
