"""Losses against PyTorch (float64 values and gradients of input and target), finite differences,
float32 behaviour with extreme logits, argument errors and the Softmax-in-front warning."""

import warnings

import numpy as np
import pytest
import torch
from oracle import assert_close, check_finite_differences, check_op, to_torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.nn import regularization

REDUCTIONS = ["mean", "sum", "none"]


def t64(arr, requires_grad=False):
    return cr.tensor(np.asarray(arr, dtype=np.float64), requires_grad=requires_grad)


def const(arr, lib):
    """The same constant (class weights, pos_weight) as a tensor of the library under test."""
    return None if arr is None else lib.tensor(np.asarray(arr))


def rng(seed=0):
    return np.random.default_rng(seed)


# -- regression ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kwargs", [
    ("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {}), ("huber_loss", {"delta": 0.4}),
    ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.3}), ("smooth_l1_loss", {"beta": 0.0}),
])
def test_regression_losses_match_torch(name, kwargs, reduction):
    fn = lambda x, t, lib: getattr(lib.nn.functional, name)(x, t, reduction=reduction, **kwargs)  # noqa: E731
    check_op([(4, 5), (4, 5)], fn)  # gradients of input and target
    check_finite_differences([(3, 4), (3, 4)], fn)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_elementwise_weight_matches_torch(name, reduction):
    w = rng(3).uniform(0.1, 2.0, (4, 5))
    fn = lambda x, t, lib: getattr(lib.nn.functional, name)(x, t, reduction=reduction, weight=const(w, lib))  # noqa: E731
    check_op([(4, 5), (4, 5)], fn)


def test_mse_broadcast_target_warns_and_matches_torch():
    with pytest.warns(UserWarning, match="different to the input size"):
        check_op([(4, 5), (5,)], lambda x, t, lib: lib.nn.functional.mse_loss(x, t))


def _msle_reference(x, t, reduction):
    loss = ((x.clamp(min=1e-7) + 1).log() - (t.clamp(min=1e-7) + 1).log()) ** 2
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_msle_is_keras_definition(reduction):
    # inputs in [-2, 2]: negative values are clipped at 1e-7 (and get no gradient), as in Keras
    def fn(x, t, lib):
        if lib is torch:
            return _msle_reference(x, t, reduction)
        return lib.nn.functional.mean_squared_logarithmic_error(x, t, reduction=reduction)

    check_op([(4, 5), (4, 5)], fn)
    check_finite_differences([(3, 4), (3, 4)], fn, positive=True)


def test_msle_keras_example_and_aliases():
    # keras.losses.MeanSquaredLogarithmicError docstring: y_true [[0,1],[0,0]], y_pred [[1,1],[1,0]] -> 0.240
    y_true = cr.tensor([[0.0, 1.0], [0.0, 0.0]])
    y_pred = cr.tensor([[1.0, 1.0], [1.0, 0.0]])
    assert abs(nn.MeanSquaredLogarithmicError()(y_pred, y_true).item() - 0.2402265) < 1e-6
    assert nn.MeanSquaredLogarithmicError is nn.MSLELoss
    assert F.msle is F.mean_squared_logarithmic_error
    assert nn.MSLELoss(reduction="none")(y_pred, y_true).shape == (2, 2)


# -- binary classification -----------------------------------------------------------------------------
def _probs_and_targets(shape, seed=0):
    r = rng(seed)
    return t64(r.uniform(0.05, 0.95, shape), True), t64(r.uniform(0, 1, shape), True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, "row"])
def test_bce_matches_torch(reduction, weight):
    w = None if weight is None else rng(5).uniform(0.5, 2, (5,))
    fn = lambda x, t, lib: lib.nn.functional.binary_cross_entropy(x, t, weight=const(w, lib), reduction=reduction)  # noqa: E731
    check_op(_probs_and_targets((4, 5)), fn)
    check_finite_differences(_probs_and_targets((3, 5), seed=1), fn)


def test_bce_clamps_log_at_minus_100_as_torch():
    x = t64([0.0, 1.0, 0.5], True)
    t = t64([1.0, 0.0, 1.0])
    check_op([x, t], lambda x, t, lib: lib.nn.functional.binary_cross_entropy(x, t, reduction="sum"))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight,pos_weight", [(None, None), ("w", None), (None, "pw"), ("w", "pw")])
def test_bce_with_logits_matches_torch(reduction, weight, pos_weight):
    r = rng(7)
    w = None if weight is None else r.uniform(0.5, 2, (4, 1))
    pw = None if pos_weight is None else r.uniform(0.5, 3, (5,))
    x, t = t64(r.normal(0, 3, (4, 5)), True), t64(r.uniform(0, 1, (4, 5)), True)

    def fn(x, t, lib):
        return lib.nn.functional.binary_cross_entropy_with_logits(
            x, t, weight=const(w, lib), pos_weight=const(pw, lib), reduction=reduction)

    check_op([x, t], fn)
    check_finite_differences([(4, 5), (4, 5)], fn)
    module = lambda x, t, lib: lib.nn.BCEWithLogitsLoss(const(w, lib), reduction=reduction, pos_weight=const(pw, lib))(x, t)  # noqa: E731
    check_op([x.detach().requires_grad_(), t.detach()], module)


def test_bce_with_logits_extreme_float32_is_finite():
    x = cr.tensor([1e4, -1e4, 1e4, -1e4, 0.0], requires_grad=True)
    t = cr.tensor([1.0, 0.0, 0.0, 1.0, 0.5], requires_grad=True)
    for pw in (None, cr.tensor([2.0])):
        x.grad = t.grad = None
        loss = F.binary_cross_entropy_with_logits(x, t, reduction="sum", pos_weight=pw)
        loss.backward()
        assert loss.dtype == cr.float32 and x.grad.dtype == cr.float32
        assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all() and np.isfinite(t.grad.numpy()).all()
        tx, tt = to_torch(x.detach(), True), to_torch(t.detach())
        expected = torch.nn.functional.binary_cross_entropy_with_logits(
            tx, tt, reduction="sum", pos_weight=None if pw is None else torch.tensor([2.0]))
        expected.backward()
        assert_close(loss, expected, rtol=1e-6)
        assert_close(x.grad, tx.grad, rtol=1e-6)


# -- cross-entropy with class indices ------------------------------------------------------------------
def _class_targets(shape, c, seed=0, ignore=None, n_ignored=0):
    y = rng(seed).integers(0, c, shape)
    if n_ignored:
        y.reshape(-1)[:n_ignored] = ignore
    return cr.tensor(y)


CE_CASES = [  # (input shape, class weight?, ignore_index, how many targets ignored, label_smoothing)
    ((6, 5), False, -100, 0, 0.0),
    ((6, 5), True, -100, 0, 0.0),
    ((6, 5), False, -100, 2, 0.0),
    ((6, 5), True, -100, 2, 0.0),
    ((6, 5), False, 3, 2, 0.0),  # ignore_index inside [0, C)
    ((6, 5), False, -100, 0, 0.2),
    ((6, 5), True, -100, 0, 0.2),
    ((6, 5), True, -100, 2, 0.3),
    ((6, 5), False, 1, 2, 0.1),
    ((5,), False, -100, 0, 0.0),  # unbatched
    ((5,), True, -100, 0, 0.25),
    ((3, 4, 2, 3), False, -100, 0, 0.0),  # (N, C, d1, d2)
    ((3, 4, 2, 3), True, -100, 3, 0.15),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,weighted,ignore_index,n_ignored,smoothing", CE_CASES)
def test_cross_entropy_class_indices_match_torch(shape, weighted, ignore_index, n_ignored, smoothing, reduction):
    c = shape[0] if len(shape) == 1 else shape[1]
    target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    y = _class_targets(target_shape, c, ignore=ignore_index, n_ignored=n_ignored)
    w = rng(9).uniform(0.2, 2.0, (c,)) if weighted else None
    x = cr.tensor(rng(1).normal(0, 2, shape), dtype=cr.float64, requires_grad=True)

    def fn(x, y, lib):
        return lib.nn.functional.cross_entropy(x, y, weight=const(w, lib), ignore_index=ignore_index,
                                               reduction=reduction, label_smoothing=smoothing)

    def module(x, y, lib):
        return lib.nn.CrossEntropyLoss(weight=const(w, lib), ignore_index=ignore_index, reduction=reduction,
                                       label_smoothing=smoothing)(x, y)

    check_op([x, y], fn)
    check_op([x.detach().requires_grad_(), y], module)
    if len(shape) == 2:
        small = cr.tensor(rng(2).normal(0, 1, (3, c)), dtype=cr.float64, requires_grad=True)
        ys = _class_targets((3,), c, seed=2, ignore=ignore_index, n_ignored=min(n_ignored, 1))
        # integer targets go in through the closure: gradcheck would perturb them (see report)
        check_finite_differences([small], lambda x: fn(x, ys, cr))


def test_cross_entropy_all_targets_ignored_gives_nan_and_zero_gradient_as_torch():
    x = cr.tensor(rng(0).normal(size=(3, 4)), requires_grad=True)
    y = cr.tensor([-100, -100, -100])
    for smoothing in (0.0, 0.1):
        x.grad = None
        tx = to_torch(x.detach(), True)
        loss = F.cross_entropy(x, y, label_smoothing=smoothing)
        expected = torch.nn.functional.cross_entropy(tx, to_torch(y), label_smoothing=smoothing)
        loss.backward()
        expected.backward()
        assert np.isnan(loss.item()) and np.isnan(expected.item())
        assert_close(x.grad, tx.grad)


def test_cross_entropy_empty_batch_as_torch():
    x = cr.zeros(0, 4, requires_grad=True)
    y = cr.zeros(0, dtype=cr.int64)
    assert np.isnan(F.cross_entropy(x, y).item())
    assert F.cross_entropy(x, y, reduction="sum").item() == 0
    assert F.cross_entropy(x, y, reduction="none").shape == (0,)


def test_cross_entropy_backward_twice_with_retain_graph():
    x = cr.tensor(rng(0).normal(size=(4, 3)), requires_grad=True)
    loss = F.cross_entropy(x, cr.tensor([0, 1, 2, 1]), label_smoothing=0.1)
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-6)


def test_cross_entropy_uint8_and_int32_targets():
    x = cr.tensor(rng(0).normal(size=(4, 3)))
    ref = F.cross_entropy(x, cr.tensor([0, 1, 2, 1])).item()
    for dtype in (cr.uint8, cr.int32):
        assert F.cross_entropy(x, cr.tensor([0, 1, 2, 1], dtype=dtype)).item() == pytest.approx(ref)


def test_cross_entropy_equals_nll_of_log_softmax():
    x = cr.tensor(rng(0).normal(size=(5, 4)), dtype=cr.float64)
    y = cr.tensor([0, 3, 2, 1, 3])
    assert_close(F.cross_entropy(x, y), F.nll_loss(F.log_softmax(x, dim=1), y))


# -- cross-entropy with class probabilities --------------------------------------------------------------
PROB_CASES = [((6, 5), False, 0.0), ((6, 5), True, 0.0), ((6, 5), False, 0.2), ((6, 5), True, 0.3),
              ((5,), True, 0.1), ((3, 4, 2, 3), True, 0.1), ((3, 4, 2, 3), False, 0.0)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,weighted,smoothing", PROB_CASES)
def test_cross_entropy_probability_targets_match_torch(shape, weighted, smoothing, reduction):
    c = shape[0] if len(shape) == 1 else shape[1]
    axis = 0 if len(shape) == 1 else 1
    r = rng(4)
    p = r.uniform(0.1, 1, shape)
    p /= p.sum(axis=axis, keepdims=True)
    x = cr.tensor(r.normal(0, 2, shape), dtype=cr.float64, requires_grad=True)
    t = t64(p, requires_grad=True)  # torch differentiates the target too
    w = r.uniform(0.2, 2, (c,)) if weighted else None

    def fn(x, t, lib):
        return lib.nn.functional.cross_entropy(x, t, weight=const(w, lib), reduction=reduction,
                                               label_smoothing=smoothing)

    check_op([x, t], fn)
    if len(shape) == 2:
        check_finite_differences([(3, c), (3, c)], fn)


def test_cross_entropy_one_hot_targets_equal_class_indices():
    x = cr.tensor(rng(0).normal(size=(5, 4)), requires_grad=True)
    y = cr.tensor([0, 3, 2, 1, 3])
    for smoothing in (0.0, 0.2):
        a = F.cross_entropy(x, y, label_smoothing=smoothing)
        b = F.cross_entropy(x, cr.one_hot(y, 4).float(), label_smoothing=smoothing)
        np.testing.assert_allclose(a.item(), b.item(), rtol=1e-6)


# -- nll and kl --------------------------------------------------------------------------------------------
NLL_CASES = [((6, 5), False, -100, 0), ((6, 5), True, -100, 2), ((6, 5), True, 2, 2), ((5,), True, -100, 0),
             ((3, 4, 2, 3), True, -100, 3)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,weighted,ignore_index,n_ignored", NLL_CASES)
def test_nll_loss_matches_torch(shape, weighted, ignore_index, n_ignored, reduction):
    c = shape[0] if len(shape) == 1 else shape[1]
    target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    y = _class_targets(target_shape, c, ignore=ignore_index, n_ignored=n_ignored)
    w = rng(9).uniform(0.2, 2.0, (c,)) if weighted else None
    x = cr.tensor(rng(1).normal(0, 2, shape), dtype=cr.float64, requires_grad=True)

    def fn(x, y, lib):
        return lib.nn.NLLLoss(weight=const(w, lib), ignore_index=ignore_index, reduction=reduction)(x, y)

    check_op([x, y], fn)
    check_finite_differences([x], lambda x: fn(x, y, cr))


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    r = rng(6)
    x = t64(np.log(r.uniform(0.05, 1, (4, 5))), True)
    p = r.uniform(0.05, 1, (4, 5))
    t = t64(np.log(p) if log_target else p, True)
    fn = lambda x, t, lib: lib.nn.KLDivLoss(reduction=reduction, log_target=log_target)(x, t)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reduction='mean' warns, as torch
        check_op([x, t], fn)
        check_finite_differences([x, t], fn)


def test_kl_div_mean_warns_as_torch_and_zero_target_is_zero():
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(cr.tensor([-1.0, -2.0]), cr.tensor([0.5, 0.5]))
    loss = F.kl_div(cr.tensor([-1.0, -2.0]), cr.tensor([0.0, 1.0]), reduction="none")
    assert loss.tolist() == [0.0, 2.0]  # 0 log 0 := 0


def test_kl_div_broadcast_target():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op([t64(rng(1).normal(size=(4, 5)), True), t64(rng(0).uniform(0.1, 1, (5,)), True)],
                 lambda x, t, lib: lib.nn.functional.kl_div(x, t, reduction="batchmean"))


# -- modules ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls,kwargs", [("MSELoss", {}), ("L1Loss", {}), ("HuberLoss", {"delta": 0.5}),
                                        ("SmoothL1Loss", {"beta": 0.5})])
def test_regression_modules_match_torch(cls, kwargs, reduction):
    check_op([(4, 5), (4, 5)], lambda x, t, lib: getattr(lib.nn, cls)(reduction=reduction, **kwargs)(x, t))


def test_lecture_snippets():
    # loss_fn = torch.nn.MSELoss(); loss = loss_fn(y_pred, y)
    for lib_name in ("MSELoss", "CrossEntropyLoss"):
        x = cr.tensor(rng(0).normal(size=(8, 4)), dtype=cr.float64)
        w = cr.tensor(rng(1).normal(size=(4, 3)), dtype=cr.float64, requires_grad=True)
        y = (cr.tensor(rng(2).normal(size=(8, 3)), dtype=cr.float64) if lib_name == "MSELoss"
             else cr.tensor(rng(2).integers(0, 3, 8)))

        def step(x, w, y, lib):
            loss_fn = getattr(lib.nn, lib_name)()
            y_pred = x @ w
            return loss_fn(y_pred, y)

        check_op([x, w, y], step)


def test_module_buffers_and_repr_as_torch():
    loss = nn.CrossEntropyLoss(weight=cr.ones(3))
    assert repr(loss) == "CrossEntropyLoss()"
    assert list(dict(loss.named_buffers())) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert list(dict(nn.BCEWithLogitsLoss(pos_weight=cr.ones(2)).named_buffers())) == ["pos_weight"]
    assert nn.HuberLoss(delta=2.0).delta == 2.0 and nn.SmoothL1Loss(beta=0.5).beta == 0.5


def test_legacy_size_average_and_reduce_map_to_reduction():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.L1Loss(reduce=False).reduction == "none"


# -- float32 and extreme logits ---------------------------------------------------------------------------
def _float32_cases():
    x = cr.tensor(rng(0).normal(size=(4, 3)).astype(np.float32), requires_grad=True)
    p = cr.tensor(rng(1).uniform(0.1, 0.9, (4, 3)).astype(np.float32), requires_grad=True)
    t = cr.tensor(rng(2).uniform(0, 1, (4, 3)).astype(np.float32))
    y = cr.tensor([0, 2, 1, 2])
    return [
        (x, lambda: F.mse_loss(x, t)), (x, lambda: F.l1_loss(x, t)), (x, lambda: F.huber_loss(x, t)),
        (x, lambda: F.smooth_l1_loss(x, t, beta=0.5)), (x, lambda: F.msle(x, t)),
        (p, lambda: F.binary_cross_entropy(p, t, weight=cr.ones(3))),
        (x, lambda: F.binary_cross_entropy_with_logits(x, t, pos_weight=cr.ones(3))),
        (x, lambda: F.cross_entropy(x, y, weight=cr.ones(3), label_smoothing=0.1)),
        (x, lambda: F.cross_entropy(x, t.softmax(1), label_smoothing=0.1)),
        (x, lambda: F.nll_loss(x, y, weight=cr.ones(3))),
        (x, lambda: F.kl_div(x, t, reduction="batchmean")),
        (x, lambda: regularization.l2_penalty([x], 0.1) + regularization.l1_penalty([x], 0.1)),
    ]


def test_float32_stays_float32():
    for leaf, make in _float32_cases():
        leaf.grad = None
        loss = make()
        loss.backward()
        assert loss.dtype == cr.float32, make
        assert leaf.grad.dtype == cr.float32, make


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_extreme_logits_float32(weighted, smoothing):
    # the last row lies far below the others: its softmax must not underflow to 0 / 0
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4], [-1e4, 0.0, 1e4],
                       [-1e4, -1e4 + 1, -1e4 + 2]], np.float32)
    y = cr.tensor([1, 2, 0, 0, 1])
    w = cr.tensor([0.5, 1.0, 2.0]) if weighted else None
    x = cr.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, y, weight=w, label_smoothing=smoothing)
    loss.backward()
    tx = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(tx, torch.tensor([1, 2, 0, 0, 1]),
                                                 weight=None if w is None else torch.tensor([0.5, 1.0, 2.0]),
                                                 label_smoothing=smoothing)
    expected.backward()
    assert loss.dtype == cr.float32 and x.grad.dtype == cr.float32
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
    assert_close(loss, expected, rtol=1e-6)
    assert_close(x.grad, tx.grad, rtol=1e-5, atol=1e-6)


def test_probability_targets_and_log_softmax_path_extreme_float32():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [-1e4, -1e4 + 1, -1e4 + 2]], np.float32)
    t = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]], np.float32)
    for make in (lambda x, lib: lib.nn.functional.cross_entropy(x, lib.tensor(t)),
                 lambda x, lib: lib.nn.functional.nll_loss(lib.nn.functional.log_softmax(x, dim=1), lib.tensor([1, 0, 2]))):
        x = cr.tensor(logits, requires_grad=True)
        loss = make(x, cr)
        loss.backward()
        assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
        tx = torch.tensor(logits, requires_grad=True)
        expected = make(tx, torch)
        expected.backward()
        assert_close(loss, expected, rtol=1e-6)
        assert_close(x.grad, tx.grad, rtol=1e-5, atol=1e-6)


# -- errors --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("bad", [5, 7, -1, -3])
def test_class_index_out_of_range_names_value_and_c(fn, bad, reduction):
    x = cr.zeros(3, 5) - 1.0  # log-probability-like values; all reductions
    y = cr.tensor([0, bad, 1])
    with pytest.raises(IndexError, match=rf"class {bad} .*C=5"):
        fn(x, y, reduction=reduction)


def test_class_index_error_in_spatial_and_unbatched_inputs():
    with pytest.raises(IndexError, match=r"class 4 .*C=4"):
        F.cross_entropy(cr.zeros(2, 4, 3), cr.tensor([[0, 1, 4], [0, 0, 0]]))
    with pytest.raises(IndexError, match=r"class 9 .*C=4"):
        F.cross_entropy(cr.zeros(4), cr.tensor(9))


def test_float_target_where_class_indices_expected():
    with pytest.raises(TypeError, match=r"floating dtype float32.*class indices.*target.long\(\)"):
        F.cross_entropy(cr.zeros(3, 4), cr.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="floating"):
        nn.NLLLoss()(cr.zeros(3, 4), cr.tensor([0.0, 1.0, 2.0]))


def test_integer_one_hot_target_asks_for_float():
    with pytest.raises(TypeError, match=r"target.float\(\)"):
        F.cross_entropy(cr.zeros(3, 4), cr.one_hot(cr.tensor([0, 1, 2]), 4))


def test_batch_size_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(2,\)"):
        nn.CrossEntropyLoss()(cr.zeros(3, 4), cr.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"\(2, 3, 4\).*\(2, 3\)"):
        F.nll_loss(cr.zeros(2, 3, 4), cr.tensor([[0, 1, 2], [0, 0, 0]]))
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(3,\)"):
        F.binary_cross_entropy_with_logits(cr.zeros(3), cr.zeros(3, 1))
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(3,\)"):
        nn.BCELoss()(cr.full((3,), 0.5), cr.zeros(3, 1))
    with pytest.raises(ValueError, match=r"mse_loss: input of shape \(3, 2\) and target of shape \(4, 2\)"):
        nn.MSELoss()(cr.zeros(3, 2), cr.zeros(4, 2))
    with pytest.raises(ValueError, match=r"l1_loss: .*\(3,\).*\(2,\)"):
        F.l1_loss(cr.zeros(3), cr.zeros(2))


ALL_FUNCTIONS = [
    lambda r: F.mse_loss(cr.zeros(2), cr.zeros(2), reduction=r),
    lambda r: F.l1_loss(cr.zeros(2), cr.zeros(2), reduction=r),
    lambda r: F.msle(cr.zeros(2), cr.zeros(2), reduction=r),
    lambda r: F.huber_loss(cr.zeros(2), cr.zeros(2), reduction=r),
    lambda r: F.smooth_l1_loss(cr.zeros(2), cr.zeros(2), reduction=r),
    lambda r: F.binary_cross_entropy(cr.zeros(2), cr.zeros(2), reduction=r),
    lambda r: F.binary_cross_entropy_with_logits(cr.zeros(2), cr.zeros(2), reduction=r),
    lambda r: F.cross_entropy(cr.zeros(2, 3), cr.tensor([0, 1]), reduction=r),
    lambda r: F.nll_loss(cr.zeros(2, 3), cr.tensor([0, 1]), reduction=r),
    lambda r: F.kl_div(cr.zeros(2), cr.zeros(2), reduction=r),
]
ALL_MODULES = ["MSELoss", "L1Loss", "MSLELoss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
               "CrossEntropyLoss", "NLLLoss", "KLDivLoss"]


@pytest.mark.parametrize("fn", ALL_FUNCTIONS)
def test_invalid_reduction_in_function_names_it(fn):
    with pytest.raises(ValueError, match="'avg'|avg is not a valid value"):
        fn("avg")


@pytest.mark.parametrize("cls", ALL_MODULES)
def test_invalid_reduction_in_module_names_it(cls):
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        getattr(nn, cls)(reduction="avg")
    loss = getattr(nn, cls)()
    loss.reduction = "avg"  # changed after construction: the call still rejects it
    with pytest.raises(ValueError, match="avg"):
        loss(cr.zeros(2, 3), cr.tensor([0, 1]) if "NLL" in cls or "Cross" in cls else cr.zeros(2, 3))


def test_bad_arguments():
    with pytest.raises(ValueError, match="label_smoothing.*1.5"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(cr.zeros(2, 3), cr.tensor([0, 1]), label_smoothing=-0.1)
    with pytest.raises(ValueError, match=r"C=4 classes.*\(3,\)"):
        F.cross_entropy(cr.zeros(2, 4), cr.tensor([0, 1]), weight=cr.ones(3))
    with pytest.raises(ValueError, match="ignore_index=1 is not supported"):
        F.cross_entropy(cr.zeros(2, 4), cr.zeros(2, 4), ignore_index=1)
    with pytest.raises(ValueError, match="delta"):
        nn.HuberLoss(delta=0.0)(cr.zeros(2), cr.zeros(2))
    with pytest.raises(ValueError, match="beta"):
        F.smooth_l1_loss(cr.zeros(2), cr.zeros(2), beta=-1.0)
    with pytest.raises(RuntimeError, match="between 0 and 1.*sigmoid"):
        F.binary_cross_entropy(cr.tensor([1.5, 0.5]), cr.tensor([1.0, 0.0]))
    with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
        F.binary_cross_entropy(cr.tensor([0.5, 0.5]), cr.tensor([2.0, 0.0]))
    with pytest.raises(ValueError, match="0-d"):
        F.cross_entropy(cr.tensor(1.0), cr.tensor(0))
    with pytest.raises(ValueError, match="weight of shape"):
        F.mse_loss(cr.zeros(2, 3), cr.zeros(2, 3), weight=cr.ones(3))


def test_integer_labels_accepted_for_bce():
    x = cr.tensor([0.3, -1.2, 2.0], requires_grad=True)
    a = F.binary_cross_entropy_with_logits(x, cr.tensor([1, 0, 1]))
    b = F.binary_cross_entropy_with_logits(x, cr.tensor([1.0, 0.0, 1.0]))
    assert a.dtype == cr.float32 and a.item() == b.item()


# -- the Softmax-in-front warning -----------------------------------------------------------------------------
@pytest.fixture
def fresh_softmax_warning():
    with warnings.catch_warnings():  # Python's default filter: once per calling line
        warnings.simplefilter("default")
        yield


def test_softmax_outputs_warn_once_and_loss_still_matches_torch(fresh_softmax_warning):
    logits = rng(0).normal(size=(6, 4))
    probs = cr.tensor(logits, dtype=cr.float64).softmax(1)
    y = cr.tensor([0, 1, 2, 3, 0, 1])
    loss_fn = nn.CrossEntropyLoss()
    with pytest.warns(UserWarning, match="Softmax layer") as record:
        loss = loss_fn(probs, y)
    assert len([w for w in record if "Softmax" in str(w.message)]) == 1
    expected = torch.nn.CrossEntropyLoss()(torch.tensor(logits).softmax(1), torch.tensor(y.numpy()))
    assert_close(loss, expected)
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("default")  # through Python's filters: once per calling line ...
        for _ in range(3):
            loss_fn(probs, y)
            nn.CrossEntropyLoss()(probs, y)
    assert len([w for w in again if "Softmax" in str(w.message)]) == 1
    with warnings.catch_warnings(record=True) as every:
        warnings.simplefilter("always")  # ... and the user's filters decide, as for PyTorch's warnings
        for _ in range(3):
            loss_fn(probs, y)
    assert len([w for w in every if "Softmax" in str(w.message)]) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", "CrossEntropyLoss")
        loss_fn(probs, y)


def test_cross_entropy_and_nll_loss_accept_arrays_and_lists_like_mse_loss():
    logits = rng(2).normal(size=(4, 3))
    y = np.array([0, 2, 1, 1])
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(y))
    assert_close(F.cross_entropy(logits, y), expected)
    assert_close(F.cross_entropy(logits.tolist(), y), expected.float(), rtol=1e-6)  # a list: float32, as Tensor(list)
    log_probs = torch.tensor(logits).log_softmax(1)
    assert_close(F.nll_loss(log_probs.numpy(), y), torch.nn.functional.nll_loss(log_probs, torch.tensor(y)))
    assert_close(nn.NLLLoss()(log_probs.numpy(), y), torch.nn.functional.nll_loss(log_probs, torch.tensor(y)))


def test_softmax_warning_for_spatial_and_probability_targets(fresh_softmax_warning):
    probs = cr.tensor(rng(0).normal(size=(2, 3, 4))).softmax(1)
    with pytest.warns(UserWarning, match="log-softmax itself"):
        F.cross_entropy(probs, cr.tensor([[0, 1, 2, 0], [1, 1, 1, 1]]))


def test_no_softmax_warning_for_logits(fresh_softmax_warning):
    r = rng(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.cross_entropy(cr.tensor(r.normal(size=(8, 5))), cr.tensor(r.integers(0, 5, 8)))
        # non-negative scores that do not sum to 1 (e.g. after a ReLU) are not probabilities
        F.cross_entropy(cr.tensor(r.uniform(0, 1, (8, 5))), cr.tensor(r.integers(0, 5, 8)))
        F.cross_entropy(cr.tensor([[1.0], [1.0]]), cr.tensor([0, 0]))  # a single class


def test_lecture_full_code_softmax_model_trains_like_torch(fresh_softmax_warning):
    # the slide: Linear, Sigmoid, Linear, Softmax(1) -> CrossEntropyLoss -> Adam; it runs, matches
    # torch step for step, and warns (once) that the Softmax layer should go
    r = rng(0)
    x, y = r.normal(size=(16, 12)).astype(np.float32), r.integers(0, 4, 16)
    model = nn.Sequential(nn.Linear(12, 8), nn.Sigmoid(), nn.Linear(8, 4), nn.Softmax(1))
    t_model = torch.nn.Sequential(torch.nn.Linear(12, 8), torch.nn.Sigmoid(), torch.nn.Linear(8, 4),
                                  torch.nn.Softmax(1))
    t_model.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in model.state_dict().items()})
    loss_fn, t_loss_fn = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    optimizer = cr.optim.Adam(model.parameters(), lr=0.01)
    t_optimizer = torch.optim.Adam(t_model.parameters(), lr=0.01)
    with pytest.warns(UserWarning, match="Softmax layer") as record:
        for _ in range(5):
            y_pred = model(cr.tensor(x).view(-1, 12))
            loss = loss_fn(y_pred, cr.tensor(y))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            t_loss = t_loss_fn(t_model(torch.tensor(x).view(-1, 12)), torch.tensor(y))
            t_optimizer.zero_grad()
            t_loss.backward()
            t_optimizer.step()
            assert_close(loss, t_loss, rtol=1e-5, atol=1e-6)
    assert sum("Softmax layer" in str(w.message) for w in record) >= 1  # pytest.warns records every one


POINTWISE = [("mse_loss", {}, w) for w in (False, True)] + [("l1_loss", {}, w) for w in (False, True)] + \
    [("huber_loss", {"delta": 0.7}, w) for w in (False, True)] + \
    [("smooth_l1_loss", {"beta": 0.0}, False), ("smooth_l1_loss", {"beta": 0.5}, False)]  # torch: no weight= there


@pytest.mark.parametrize("fn,kw,weighted", POINTWISE)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pointwise_regression_losses_share_one_path_and_match_torch(fn, kw, weighted, reduction):
    r = rng(3)
    x, y, w = r.normal(size=(4, 3)), r.normal(size=(4, 3)), r.uniform(0.1, 2.0, size=(4, 3))
    extra = {"weight": w} if weighted else {}
    ours_x = t64(x, requires_grad=True)
    ours = getattr(F, fn)(ours_x, t64(y), reduction=reduction, **kw, **{k: t64(v) for k, v in extra.items()})
    ours.sum().backward()
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs = getattr(torch.nn.functional, fn)(theirs_x, torch.tensor(y), reduction=reduction, **kw,
                                              **{k: torch.tensor(v) for k, v in extra.items()})
    theirs.sum().backward()
    assert_close(ours, theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert_close(ours_x.grad, theirs_x.grad.numpy(), rtol=1e-12, atol=1e-12)
