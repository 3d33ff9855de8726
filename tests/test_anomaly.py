import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import AnomalyError, detect_anomaly


@pytest.fixture(autouse=True)
def _quiet():
    with np.errstate(all="ignore"):
        yield


def test_forward_anomaly_names_op_shapes_ranges_and_cause():
    x = cr.tensor([1.0, 0.0, 2.0], requires_grad=True)
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        (x * 0).log()
    msg = str(info.value)
    assert msg.startswith("Log produced Inf") and "shape (3,)" in msg and "[0, 0]" in msg and "clamp" in msg


def test_backward_anomaly_names_the_backward_node():
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    y = None
    with pytest.raises(AnomalyError, match=r"SqrtBackward returned Inf in the gradient of its input 0"), detect_anomaly():
        y = x.sqrt().sum()
        y.backward()


def test_first_op_is_blamed_not_the_ones_that_propagate():
    x = cr.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(AnomalyError, match=r"^Sqrt produced NaN"), detect_anomaly():
        (x.sqrt() * 3 + 1).exp().sum()


def test_off_by_default_and_restored_after_the_block():
    x = cr.tensor([0.0])
    assert not cr.autograd.is_anomaly_enabled()
    with detect_anomaly():
        assert cr.autograd.is_anomaly_enabled()
    assert not cr.autograd.is_anomaly_enabled()
    assert np.isinf(x.log().item())  # no error outside the block


def test_decorator_form():
    @detect_anomaly()
    def f(t):
        return t / 0

    with pytest.raises(AnomalyError, match=r"^Div produced"):
        f(cr.tensor([1.0]))


def test_overflow_from_finite_inputs_is_named_as_such():
    import chainrule.nn.functional as F

    x = cr.full((2, 3), 1e20)
    w = cr.full((4, 3), 1e20, requires_grad=True)
    with pytest.raises(AnomalyError, match="Linear produced Inf.*float32 overflow"):
        with detect_anomaly():
            F.linear(x, w)
