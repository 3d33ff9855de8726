"""nn.RNN / LSTM / GRU against PyTorch in float64: outputs, final states and every gradient."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from oracle import assert_close

import chainrule as cr
from chainrule import nn

TOL = dict(rtol=1e-10, atol=1e-12)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Thousands of tiny torch ops: on a busy 2-core machine a second thread only waits for a core
    (40 times slower); the values do not depend on it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def twin(mode, *args, **kwargs):
    """The same layer in both libraries: torch's float64 initial weights loaded into chainrule's."""
    torch.manual_seed(0)
    t = getattr(torch.nn, mode)(*args, **kwargs).double()
    c = getattr(nn, mode)(*args, **kwargs).double()
    c.load_state_dict({k: cr.tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    return c, t


def pair(array, requires_grad=True):
    return cr.tensor(array, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad)


def weighted_sum(outputs, t_outputs, rng):
    """A loss using every output element with a random weight, in both libraries."""
    loss, t_loss = 0, 0
    for o, to in zip(outputs, t_outputs):
        w = rng.uniform(0.5, 1.5, size=tuple(to.shape))
        loss = loss + (o * cr.tensor(w)).sum()
        t_loss = t_loss + (to * torch.tensor(w)).sum()
    return loss, t_loss


def flat(result):
    """(output, h_n) or (output, (h_n, c_n)) as a flat list."""
    out, state = result
    return [out, *state] if isinstance(state, tuple) else [out, state]


def check_against_torch(mode, kwargs, shape, with_state=True, seed=0):
    c, t = twin(mode, 5, 4, **kwargs)
    rng = np.random.default_rng(seed)
    x, tx = pair(rng.standard_normal(shape))
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    state_shape = (layers, 4) if len(shape) == 2 else (layers, shape[0 if kwargs.get("batch_first") else 1], 4)
    h_shape = state_shape[:-1] + (kwargs.get("proj_size") or 4,)
    args, t_args = [x], [tx]
    inputs, t_inputs = [x], [tx]
    if with_state:
        h0, th0 = pair(rng.standard_normal(h_shape))
        inputs.append(h0)
        t_inputs.append(th0)
        if mode == "LSTM":
            c0, tc0 = pair(rng.standard_normal(state_shape))
            inputs.append(c0)
            t_inputs.append(tc0)
            args.append((h0, c0))
            t_args.append((th0, tc0))
        else:
            args.append(h0)
            t_args.append(th0)
    outs, t_outs = flat(c(*args)), flat(t(*t_args))
    assert_close(outs, t_outs, what=f"{mode} {kwargs} forward", **TOL)
    loss, t_loss = weighted_sum(outs, t_outs, rng)
    loss.backward()
    t_loss.backward()
    for i, (a, e) in enumerate(zip(inputs, t_inputs)):
        assert_close(a.grad, e.grad, what=f"gradient of input {i}", **TOL)
    for name, p in t.named_parameters():
        assert_close(getattr(c, name).grad, p.grad, what=f"gradient of {name}", **TOL)
    return outs


CONFIGS = [
    ({}, (6, 3, 5)),
    ({"num_layers": 2, "bidirectional": True, "batch_first": True}, (3, 6, 5)),
    ({"bias": False, "num_layers": 3}, (6, 3, 5)),
    ({"bidirectional": True}, (7, 5)),  # unbatched
]


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("kwargs, shape", CONFIGS)
def test_layers_match_torch(mode, kwargs, shape):
    check_against_torch(mode, kwargs, shape)


@pytest.mark.parametrize("kwargs, shape", [
    ({"proj_size": 3}, (6, 3, 5)),
    ({"proj_size": 2, "num_layers": 2, "bidirectional": True, "batch_first": True}, (3, 6, 5)),
    ({"proj_size": 3, "bias": False}, (7, 5)),
])
def test_lstm_with_projections_matches_torch(kwargs, shape):
    check_against_torch("LSTM", kwargs, shape)
    c, t = twin("LSTM", 5, 4, **kwargs)
    assert list(c.state_dict()) == list(t.state_dict())  # weight_hr_l0 last in each layer, as torch
    assert repr(c) == repr(t)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_without_initial_state(mode):
    check_against_torch(mode, {"num_layers": 2}, (4, 2, 5), with_state=False)


def test_relu_rnn():
    check_against_torch("RNN", {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True}, (6, 3, 5))


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_gradient_of_final_state_alone(mode):
    # only h_n feeds the loss (the classifier pattern): the gradient still reaches every parameter
    c, t = twin(mode, 3, 4, num_layers=2)
    x, tx = pair(np.random.default_rng(1).standard_normal((5, 2, 3)))
    h, th = c(x)[1], t(tx)[1]
    h = h[0] if mode == "LSTM" else h
    th = th[0] if mode == "LSTM" else th
    (h[-1] ** 2).sum().backward()
    (th[-1] ** 2).sum().backward()
    assert_close(x.grad, tx.grad, **TOL)
    for name, p in t.named_parameters():
        assert_close(getattr(c, name).grad, p.grad, what=name, **TOL)


def test_retain_graph_backward_twice_accumulates():
    c, _ = twin("LSTM", 3, 4)
    x = cr.tensor(np.random.default_rng(2).standard_normal((4, 2, 3)), requires_grad=True)
    out, (_, cell) = c(x)
    loss = out.sum() + cell.sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-12)


def test_second_backward_through_a_freed_layer_raises():
    lstm = nn.LSTM(3, 4)
    out, (h, _) = lstm(cr.randn(4, 2, 3, requires_grad=True))
    out.sum().backward()  # frees the layer's node
    with pytest.raises(RuntimeError, match="second time"):
        h.sum().backward()


def test_state_dict_names_shapes_and_init():
    c = nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    t = torch.nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    assert list(c.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        assert tuple(c.state_dict()[k].shape) == tuple(v.shape), k
    bound = 1 / np.sqrt(20)
    values = np.concatenate([p.detach().numpy().ravel() for p in c.parameters()])
    assert values.min() >= -bound and values.max() <= bound and values.std() > bound / 3
    assert c.weight_ih_l0.dtype == cr.float32
    assert [len(w) for w in c.all_weights] == [4, 4, 4, 4]
    g = nn.GRU(3, 2, bias=False)
    assert list(g.state_dict()) == ["weight_ih_l0", "weight_hh_l0"]


def test_repr_matches_torch():
    for mode, kwargs in [("LSTM", {"num_layers": 2, "batch_first": True, "dropout": 0.5}),
                         ("RNN", {"nonlinearity": "relu", "bias": False}), ("GRU", {"bidirectional": True})]:
        assert repr(getattr(nn, mode)(10, 20, **kwargs)) == repr(getattr(torch.nn, mode)(10, 20, **kwargs))


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_float32_stays_float32_and_matches_torch(mode):
    torch.manual_seed(0)
    t = getattr(torch.nn, mode)(3, 4, batch_first=True)
    c = getattr(nn, mode)(3, 4, batch_first=True)
    c.load_state_dict({k: cr.tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)
    x, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    outs, t_outs = flat(c(x)), flat(t(tx))
    assert all(o.dtype == cr.float32 for o in outs)
    assert_close(outs, t_outs, rtol=1e-5, atol=1e-6)
    sum(o.sum() for o in outs).backward()
    sum(o.sum() for o in t_outs).backward()
    assert x.grad.dtype == cr.float32 and c.weight_hh_l0.grad.dtype == cr.float32
    assert_close([x.grad, c.weight_hh_l0.grad], [tx.grad, t.weight_hh_l0.grad], rtol=1e-4, atol=1e-5)


def test_dropout_between_layers_only_in_training():
    c = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = cr.randn(4, 2, 3)
    c.eval()
    a, b = c(x)[0], c(x)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    c.train()
    cr.manual_seed(0)
    d1 = c(x)[0].detach().numpy()
    cr.manual_seed(1)
    d2 = c(x)[0].detach().numpy()
    assert not np.allclose(d1, d2)  # random masks between the layers
    one = nn.LSTM(3, 8, num_layers=2, dropout=0.0)
    one.load_state_dict(c.state_dict())
    one.train()
    np.testing.assert_allclose(one(x)[0].detach().numpy(), a.detach().numpy())  # p=0 in training = eval


def test_no_grad_builds_no_graph():
    c = nn.GRU(3, 4)
    with cr.no_grad():
        out, h = c(cr.randn(5, 2, 3))
    assert not out.requires_grad and not h.requires_grad and out.grad_fn is None


def test_bad_arguments_raise_like_torch():
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.warns(UserWarning, match="num_layers"):
        nn.GRU(3, 4, dropout=0.5)
    with pytest.raises(ValueError, match="hidden_size"):
        nn.LSTM(3, 0)
    lstm = nn.LSTM(3, 4)
    with pytest.raises(RuntimeError, match="input_size. Expected 3, got 5"):
        lstm(cr.randn(2, 2, 5))
    with pytest.raises(ValueError, match="2D or 3D"):
        lstm(cr.randn(2, 2, 2, 3))
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        lstm(cr.randn(2, 2, 3), (cr.zeros(2, 2, 4), cr.zeros(2, 2, 4)))
    with pytest.raises(RuntimeError, match="3-D"):
        lstm(cr.randn(2, 2, 3), (cr.zeros(2, 4), cr.zeros(2, 4)))
    with pytest.raises(RuntimeError, match="sequence length"):
        lstm(cr.zeros(0, 2, 3))
    out, (h, _) = lstm(cr.zeros(4, 0, 3))  # an empty batch is fine, as in torch
    assert tuple(out.shape) == (4, 0, 4) and tuple(h.shape) == (1, 0, 4)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_finite_differences_tiny(mode):
    layer = getattr(nn, mode)(2, 3, bidirectional=True).double()
    rng = np.random.default_rng(3)
    x = cr.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0 = cr.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)

    def loss():
        out, hn = layer(x, (h0, h0 * 0.5) if mode == "LSTM" else h0)
        hn = hn[1] if mode == "LSTM" else hn  # c_n for the LSTM
        return (out * out).sum() + (hn * hn).sum()

    loss().backward()
    eps = 1e-6
    for t in [x, h0, *layer.parameters()]:
        values, grad = t._data.reshape(-1), t.grad.numpy().reshape(-1)
        for i in range(values.size):
            old = values[i]
            values[i] = old + eps
            up = loss().item()
            values[i] = old - eps
            down = loss().item()
            values[i] = old
            assert abs((up - down) / (2 * eps) - grad[i]) < 1e-6 * max(1.0, abs(grad[i]))


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("compiled", [False, True])
def test_numpy_and_compiled_backward_both_match_torch(mode, compiled, monkeypatch):
    from chainrule.ops import rnn_fast

    kernels = rnn_fast.kernels()
    if compiled and kernels is None:
        pytest.skip("numba is not installed (pip install chainrule[fast])")
    monkeypatch.setattr(rnn_fast.kernels, "loaded", kernels if compiled else False)
    check_against_torch(mode, {"num_layers": 2, "bidirectional": True}, (6, 3, 5))
