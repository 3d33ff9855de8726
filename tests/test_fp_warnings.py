"""Ops give inf and nan silently, as PyTorch does; ``detect_anomaly`` is where they are reported."""

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import AnomalyError, detect_anomaly


@pytest.fixture
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_forward_inf_and_nan_without_numpy_warnings_like_torch(warnings_are_errors):
    zero = cr.tensor([0.0, 1.0])
    assert zero.log().tolist()[0] == -np.inf  # once "RuntimeWarning: divide by zero encountered in log"
    assert np.isnan((zero / zero).tolist()[0])
    assert np.isnan(cr.tensor([-1.0]).sqrt().item())
    assert cr.tensor([100.0]).exp().item() == np.inf  # float32 overflow
    assert (cr.tensor([1.0]) / 0).item() == np.inf
    assert (zero ** -1.0).tolist()[0] == np.inf


def test_backward_inf_and_nan_without_numpy_warnings_like_torch(warnings_are_errors):
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    x.sqrt().sum().backward()  # d sqrt(x)/dx at 0 is inf
    assert x.grad.tolist() == [np.inf, 0.25]
    y = cr.tensor([0.0, 2.0], requires_grad=True)
    (y.log() * 0).sum().backward()
    assert np.isnan(y.grad.tolist()[0])


def test_detect_anomaly_still_reports_and_user_numpy_keeps_its_warnings():
    state = np.geterr()
    with pytest.raises(AnomalyError, match="^Log produced Inf"), detect_anomaly():
        cr.tensor([0.0]).log()
    assert np.geterr() == state  # ops leave NumPy's settings as they were, also after an error
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        np.log(np.zeros(1))
