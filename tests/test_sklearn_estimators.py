"""chainrule.sklearn: scikit-learn's estimator checks and the ecosystem (Pipeline, searches, pickling)."""

import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from chainrule import nn  # noqa: E402
from chainrule.sklearn import NeuralNetClassifier, NeuralNetRegressor  # noqa: E402

# small enough for a fast suite, large enough for the checks' accuracy thresholds
CHECKED = [
    NeuralNetClassifier(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.02, random_state=0),
    NeuralNetRegressor(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.02, random_state=0),
]


# One check is expected to fail (it still runs, as an xfail): fitting with integer weights must
# match fitting on repeated rows to rtol 1e-7. The loss is the same function, but training runs in
# float32, whose rounding differs between `2 * loss_i` and `loss_i + loss_i` (and, past one batch,
# the batches differ), so the two fits agree to ~1e-6 only. scikit-learn itself skips one check per
# estimator: the array-API check (only with SCIPY_ARRAY_API=1 and an array-API library). The
# pandas-input checks (DataFrame X, Series y and sample_weight) run: pandas is in the test extra.
WEIGHTS_VS_REPEATS = ("float32 mini-batch training: weight 2 and a repeated row agree to ~1e-6, "
                      "not to the check's rtol 1e-7")


@parametrize_with_checks(CHECKED, expected_failed_checks=lambda est: {
    "check_sample_weight_equivalence_on_dense_data": WEIGHTS_VS_REPEATS})
def test_check_estimator(estimator, check):
    check(estimator)


def iris():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    return X, names


def test_string_labels_predict_proba_and_attributes():
    X, y = iris()
    clf = NeuralNetClassifier(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.02, random_state=0)
    clf.fit(X, y)
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3) and np.allclose(proba.sum(axis=1), 1)
    assert set(clf.predict(X)) <= set(clf.classes_)
    assert clf.score(X, y) > 0.9
    assert clf.n_iter_ == len(clf.loss_curve_) >= 1
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_early_stopping_records_validation_scores():
    X, y = iris()
    clf = NeuralNetClassifier(hidden_layer_sizes=(16,), max_iter=300, early_stopping=True, n_iter_no_change=3,
                              learning_rate_init=0.05, random_state=0).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ < 300
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_same_random_state_same_model_and_pickle_roundtrip():
    X, y = iris()
    a = NeuralNetClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=3).fit(X, y)
    b = clone(a).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    state = a.__getstate__()
    assert all(isinstance(v, np.ndarray) for v in state["module_"].values())  # plain arrays, no Tensors
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(a.predict_proba(X), c.predict_proba(X))
    c.partial_fit(X, y)  # the optimizer state came back too
    assert c.n_iter_ == a.n_iter_ + 1


def test_nested_params_module_builder_and_grid_search():
    def build(n_in, n_out, width=4):
        return nn.Sequential(nn.Linear(n_in, width), nn.Tanh(), nn.Linear(width, n_out))

    X, y = iris()
    clf = NeuralNetClassifier(build, max_iter=30, learning_rate_init=0.05, random_state=0)
    clf.set_params(module__width=6, optimizer__betas=(0.9, 0.99))
    params = clf.get_params()
    assert params["module__width"] == 6 and params["optimizer__betas"] == (0.9, 0.99)
    assert clone(clf).get_params()["module__width"] == 6
    search = GridSearchCV(make_pipeline(StandardScaler(), clf),
                          {"neuralnetclassifier__module__width": [2, 8]}, cv=3).fit(X, y)
    assert search.best_params_["neuralnetclassifier__module__width"] in (2, 8)
    assert search.best_estimator_[-1].module_[0].out_features == search.best_params_[
        "neuralnetclassifier__module__width"]


def test_module_instance_is_copied_and_bad_params():
    X, y = iris()
    module = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    before = module[0].weight.detach().numpy().copy()
    NeuralNetClassifier(module, max_iter=5, random_state=0).fit(X, y)
    np.testing.assert_array_equal(module[0].weight.detach().numpy(), before)
    with pytest.raises(ValueError, match="activation"):
        NeuralNetClassifier(activation="swish").fit(X, y)
    with pytest.raises(ValueError, match="module__"):
        NeuralNetClassifier(module_kwargs={"width": 3}).fit(X, y)
    with pytest.raises(ValueError, match=r"at least 2 classes in the data, got 1 class: 0$"):  # not np.int64(0)
        NeuralNetClassifier(max_iter=1).fit(X, np.zeros(len(X), np.int64))


def test_partial_fit_warm_start_and_randomized_search():
    X, y = iris()
    clf = NeuralNetClassifier(hidden_layer_sizes=(8,), random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:50], y[:50], classes=np.unique(y)).partial_fit(X, y)
    assert clf.n_iter_ == 2
    warm = NeuralNetClassifier(hidden_layer_sizes=(8,), max_iter=5, warm_start=True, random_state=0)
    warm.fit(X, y)
    first = warm.loss_curve_[-1]
    with pytest.warns(Warning):
        warm.fit(X, y)
    assert warm.n_iter_ == 10 and warm.loss_curve_[-1] < first
    search = RandomizedSearchCV(NeuralNetClassifier(max_iter=10, random_state=0),
                                {"learning_rate_init": [1e-3, 1e-2], "hidden_layer_sizes": [(4,), (8,)]},
                                n_iter=2, cv=2, random_state=0).fit(X, y)
    assert search.best_score_ > 0


def test_sample_weight_zero_drops_a_class_and_ones_change_nothing():
    X, y = iris()
    base = dict(hidden_layer_sizes=(8,), max_iter=40, learning_rate_init=0.05, random_state=0)
    plain = NeuralNetClassifier(**base).fit(X, y)
    ones = NeuralNetClassifier(**base).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_array_equal(plain.predict_proba(X), ones.predict_proba(X))
    weights = (y != "setosa").astype(float)
    weighted = NeuralNetClassifier(**base).fit(X, y, sample_weight=weights)
    # with no weight on setosa, it is learned as something else (its probability falls)
    assert weighted.predict_proba(X[y == "setosa"])[:, 0].mean() < plain.predict_proba(X[y == "setosa"])[:, 0].mean()
    with pytest.raises(ValueError):
        NeuralNetClassifier(**base).fit(X, y, sample_weight=np.ones(3))


def test_regressor_in_pipeline_and_cross_val_score():
    X, y = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
    reg = make_pipeline(StandardScaler(), NeuralNetRegressor(hidden_layer_sizes=(32,), max_iter=200,
                                                             learning_rate_init=0.02, random_state=0))
    scores = cross_val_score(reg, X, y / y.std(), cv=3)
    assert scores.mean() > 0.8


def test_divergence_is_a_clear_error():
    # float32 outputs near 1e20 square to infinity in the loss: stopped after that epoch, not trained on
    X, y = make_regression(n_samples=64, n_features=3, random_state=0)
    reg = NeuralNetRegressor(hidden_layer_sizes=(8,), max_iter=50, random_state=0)
    with pytest.raises(ValueError, match="training loss became (inf|nan) in epoch 1; lower learning_rate_init"):
        reg.fit(X * 1e20, y)
    assert reg.n_iter_ == 1
