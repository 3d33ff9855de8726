"""``autograd.gradcheck``: passes on correct ops, and on a wrong backward says exactly where it is wrong."""

import re

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import GradcheckError, Op, gradcheck


def _inputs(*shapes, seed=0):
    g = cr.Generator().manual_seed(seed)
    return tuple(cr.randn(*s, dtype=cr.float64, generator=g, requires_grad=True) for s in shapes)


CORRECT = [
    ("mul_broadcast", lambda a, b: a * b, [(2, 3), (3,)]),
    ("matmul", lambda a, b: a @ b, [(2, 3), (3, 2)]),
    ("softmax", lambda a, b: (a.softmax(1) * b).sum(0), [(2, 3), (3,)]),
    ("tuple_output", lambda a, b: (a.exp(), (a * b).sum()), [(2, 3), (3,)]),
    ("non_contiguous_view", lambda a, b: a.T[:, 1:] + b[1:], [(3, 2), (3,)]),
    ("mlp", lambda a, b: (a @ b.reshape(3, 1)).tanh().sum(), [(2, 3), (3,)]),
]


@pytest.mark.parametrize("name, fn, shapes", CORRECT, ids=[c[0] for c in CORRECT])
def test_gradcheck_passes_on_correct_ops(name, fn, shapes):
    assert gradcheck(fn, _inputs(*shapes)) is True


def test_gradcheck_accepts_a_single_tensor_and_float32_inputs():
    x = cr.randn(4, requires_grad=True)  # float32: checked in a float64 copy
    assert gradcheck(lambda t: (t * t).sum(), x)
    assert x.dtype == cr.float32 and x.grad is None


def test_gradcheck_skips_inputs_without_requires_grad_and_passes_other_arguments():
    a = cr.randn(3, dtype=cr.float64, requires_grad=True)
    b = cr.randn(3, dtype=cr.float64)  # a constant
    assert gradcheck(lambda x, y, k: (x * y * k).sum(), (a, b, 2.0))


def test_gradcheck_without_any_input_requiring_grad_is_refused():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda x: x * 2, (cr.ones(2, dtype=cr.float64),))


class WrongFactor(Op):
    """x ** 2 with a backward that forgets the factor 2 on the second element."""

    def forward(ctx, a):
        ctx.a = a
        return a * a

    def backward(ctx, grad):
        factor = np.full(ctx.a.shape, 2.0)
        factor.reshape(-1)[1] = 1.0
        return grad * factor * ctx.a


def test_gradcheck_reports_where_a_wrong_backward_is_wrong():
    x = cr.tensor([[1.0, 3.0], [-2.0, 0.5]], dtype=cr.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: WrongFactor.apply(t), (x,))
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert "1 Jacobian entries differ" in message
    for word in ("input", "element", "analytic", "numerical", "difference"):
        assert word in message
    # the offending row: input 0, element (0, 1), output element (0, 1), analytic 3 = 1 * 3, numerical 6
    row = [line for line in message.splitlines() if "(0, 1)" in line]
    assert len(row) == 1
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", row[0].split(")")[-1])]
    analytic, numerical, difference = numbers[-3:]
    assert analytic == pytest.approx(3.0) and numerical == pytest.approx(6.0, rel=1e-6)
    assert difference == pytest.approx(-3.0, rel=1e-3)
    assert row[0].split()[0] == "0"  # input index


def test_gradcheck_names_the_right_input():
    a, b = _inputs((2,), (2,))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: x * 2 + WrongFactor.apply(y), (a, b))
    rows = [line for line in str(info.value).splitlines()[2:] if line.strip() and not line.startswith("...")]
    assert rows and all(line.split()[0] == "1" for line in rows)


def test_gradcheck_raise_exception_false_returns_false():
    x = cr.tensor([1.0, 3.0], dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda t: WrongFactor.apply(t), (x,), raise_exception=False) is False
    assert gradcheck(lambda t: t * t, (x,), raise_exception=False) is True


def test_gradcheck_catches_a_missing_broadcast_sum():
    class SwappedGrads(Op):
        def forward(ctx, a, b):
            ctx.a, ctx.b = a, b
            return a * b

        def backward(ctx, grad):
            return grad * ctx.a, grad * ctx.b  # wrong: swapped

    a, b = _inputs((2, 3), (3,))
    assert gradcheck(lambda x, y: SwappedGrads.apply(x, y), (a, b), raise_exception=False) is False


def test_gradcheck_report_is_truncated_for_many_errors():
    class Zero(Op):
        def forward(ctx, a):
            return a * 3

        def backward(ctx, grad):
            return grad * 0

    (x,) = _inputs((5, 5))
    with pytest.raises(GradcheckError, match=r"25 Jacobian entries differ[\s\S]*and 15 more"):
        gradcheck(lambda t: Zero.apply(t), (x,))


def test_gradcheck_leaves_inputs_untouched():
    (x,) = _inputs((3,))
    before = x.detach().numpy().copy()
    gradcheck(lambda t: t.exp().sum(), (x,))
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None


# -- the torch oracle itself must be able to fail ------------------------------------------------------
def test_check_op_detects_a_wrong_gradient():
    from oracle import check_op

    def fn(a, lib):
        return WrongFactor.apply(a) if lib is cr else a * a

    with pytest.raises(AssertionError, match="gradient of input 0"):
        check_op([(2, 2)], fn)


def test_check_op_detects_a_wrong_value_and_a_wrong_dtype():
    from oracle import check_op

    with pytest.raises(AssertionError, match="forward"):
        check_op([(3,)], lambda a, lib: a * (1.0001 if lib is cr else 1.0))
    with pytest.raises(AssertionError, match="dtype"):
        check_op([(3,)], lambda a, lib: a.float() if lib is cr else a)


def test_check_finite_differences_detects_a_wrong_gradient():
    from oracle import check_finite_differences

    with pytest.raises(GradcheckError):
        check_finite_differences([(2, 2)], lambda a: WrongFactor.apply(a))


def test_gradcheck_leaves_integer_targets_alone():
    import chainrule.nn.functional as F

    x = cr.randn(3, 4, dtype=cr.float64, requires_grad=True)
    y = cr.tensor([0, 1, -100])  # -100 is ignore_index: nudging it would make it a real class
    assert cr.autograd.gradcheck(lambda x, y: F.cross_entropy(x, y), (x, y))
