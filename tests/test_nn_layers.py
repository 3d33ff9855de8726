"""Every layer against PyTorch in float64: forward, input gradients and every parameter's gradient."""

import numpy as np
import pytest
import torch
from oracle import assert_close, check_finite_differences, check_op

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn


def copy_from_torch(module, t_module):
    """Load torch's state_dict (as NumPy arrays) into a chainrule module of the same architecture."""
    result = module.load_state_dict({k: v.detach().numpy() for k, v in t_module.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys


def check_module(module, t_module, inputs, rtol=1e-7, atol=1e-9):
    """Same weights in both libraries; compare outputs, input gradients and parameter gradients."""
    module.double()
    t_module.double()
    copy_from_torch(module, t_module)
    check_op(inputs, lambda *xs, lib: (module if lib is cr else t_module)(*xs), rtol=rtol, atol=atol)
    t_params = dict(t_module.named_parameters())
    names = [name for name, _ in module.named_parameters()]
    assert names == list(t_params)
    for name, p in module.named_parameters():
        assert p.grad is not None, f"{name} got no gradient"
        assert_close(p.grad, t_params[name].grad, rtol, atol, what=f"gradient of {name}")
        assert p.grad.dtype == p.dtype


def rand(*shape, seed=0):
    return cr.tensor(np.random.default_rng(seed).normal(size=shape), dtype=cr.float64, requires_grad=True)


# -- Linear and shape layers ------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias):
    check_module(nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias), [shape])


def test_linear_weight_layout_and_dtype():
    layer = nn.Linear(784, 256)
    assert layer.weight.shape == (256, 784) and layer.bias.shape == (256,)
    assert layer.weight.dtype == cr.float32
    assert layer(cr.zeros(2, 784)).dtype == cr.float32
    assert nn.Linear(3, 2, dtype=cr.float64).weight.dtype == cr.float64
    assert nn.Linear(3, 2, bias=False).bias is None


def test_linear_shape_error_names_the_layer_and_the_fix():
    layer = nn.Linear(784, 10)
    with pytest.raises(ValueError, match=r"Linear\(in_features=784\) got input of shape \(64, 28, 28\); "
                                         r"flatten it first \(x.view\(-1, 784\) or nn.Flatten\(\)\)"):
        layer(cr.zeros(64, 28, 28))
    with pytest.raises(ValueError, match=r"last dimension must be 784"):
        layer(cr.zeros(64, 100))


def test_identity_flatten_unflatten():
    x = rand(2, 3, 4, 5)
    assert nn.Identity(54, unused=1)(x) is x
    check_module(nn.Flatten(), torch.nn.Flatten(), [(2, 3, 4, 5)])
    check_module(nn.Flatten(0, 1), torch.nn.Flatten(0, 1), [(2, 3, 4)])
    check_module(nn.Unflatten(1, (3, 4)), torch.nn.Unflatten(1, (3, 4)), [(2, 12)])
    check_module(nn.Unflatten(-1, (2, -1)), torch.nn.Unflatten(-1, (2, -1)), [(2, 12)])


# -- activations ---------------------------------------------------------------------------------------
ACTIVATIONS = [
    ("ReLU", (), {}), ("ReLU", (), {"inplace": True}), ("LeakyReLU", (), {}), ("LeakyReLU", (0.2,), {}),
    ("ELU", (), {}), ("ELU", (0.5,), {}), ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}),
    ("SiLU", (), {}), ("Sigmoid", (), {}), ("Tanh", (), {}), ("Softplus", (), {}),
    ("Softplus", (2.0, 1.0), {}), ("Softmax", (1,), {}), ("Softmax", (-1,), {}), ("LogSoftmax", (1,), {}),
    ("LogSoftmax", (0,), {}), ("Softmin", (1,), {}),
]


@pytest.mark.parametrize("name,args,kwargs", ACTIVATIONS)
def test_activation_modules_match_torch(name, args, kwargs):
    module, t_module = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    # `x * 1`: torch's inplace=True may not modify a leaf; chainrule ignores inplace
    check_op([(3, 5)], lambda x, lib: (module if lib is cr else t_module)(x * 1))
    assert repr(module) == repr(t_module)


@pytest.mark.parametrize("fn,kwargs", [
    ("relu", {}), ("leaky_relu", {"negative_slope": 0.1}), ("elu", {"alpha": 2.0}), ("gelu", {}), ("silu", {}),
    ("sigmoid", {}), ("tanh", {}), ("softplus", {"beta": 2.0}), ("softmax", {"dim": 1}),
    ("log_softmax", {"dim": 1}), ("softmin", {"dim": 0}), ("relu6", {}), ("normalize", {}),
    ("relu", {"inplace": False}), ("elu", {"inplace": False}), ("silu", {"inplace": False}),
])
def test_functional_activations_match_torch(fn, kwargs):
    check_op([(4, 6)], lambda x, lib: getattr(lib.nn.functional, fn)(x * 4, **kwargs))


def test_softmax_without_dim_warns_and_uses_torchs_legacy_choice():
    x = rand(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = nn.Softmax()(x)
    np.testing.assert_allclose(out.sum(1).detach().numpy(), 1.0)


def test_functional_linear_and_one_hot():
    check_op([(5, 4), (3, 4), (3,)], lambda x, w, b, lib: lib.nn.functional.linear(x, w, b))
    check_op([(5, 4), (3, 4)], lambda x, w, lib: lib.nn.functional.linear(x, w))
    labels = cr.tensor([0, 2, 1])
    np.testing.assert_array_equal(F.one_hot(labels, 4).numpy(), torch.nn.functional.one_hot(torch.tensor([0, 2, 1]), 4))


# -- Dropout ---------------------------------------------------------------------------------------------
def test_dropout_train_and_eval():
    cr.manual_seed(0)
    drop = nn.Dropout(p=0.25)
    x = cr.ones(200, 500, requires_grad=True)
    out = drop(x)
    values = np.unique(out.detach().numpy())
    np.testing.assert_allclose(values, [0.0, 1 / 0.75], rtol=1e-6)
    assert out.dtype == cr.float32
    assert abs((out.detach().numpy() == 0).mean() - 0.25) < 0.01
    out.backward(cr.ones_like(out))
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())  # the same mask scales the gradient
    drop.eval()
    assert not drop.training
    np.testing.assert_array_equal(drop(x).detach().numpy(), x.detach().numpy())


def test_dropout_reproducible_from_manual_seed_and_edge_probabilities():
    x = cr.ones(1000)
    cr.manual_seed(3)
    a = nn.Dropout()(x).numpy()
    cr.manual_seed(3)
    b = nn.Dropout()(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert (nn.Dropout(1.0)(x).numpy() == 0).all()
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 0.5, training=False).numpy(), x.numpy())
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            nn.Dropout(bad)
    assert repr(nn.Dropout(0.2)) == repr(torch.nn.Dropout(0.2))


# -- Embedding ------------------------------------------------------------------------------------------
def _embedding_pair(**kwargs):
    emb, t_emb = nn.Embedding(10, 4, **kwargs), torch.nn.Embedding(10, 4, **kwargs)
    emb.double()
    t_emb.double()
    copy_from_torch(emb, t_emb)
    return emb, t_emb


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 0}, {"padding_idx": -1}, {"scale_grad_by_freq": True}])
def test_embedding_matches_torch(kwargs):
    emb, t_emb = _embedding_pair(**kwargs)
    idx = np.array([[1, 2, 0, 1], [9, 0, 1, 1]])
    out, t_out = emb(cr.tensor(idx)), t_emb(torch.from_numpy(idx))
    assert_close(out, t_out)
    w = np.random.default_rng(0).normal(size=out.shape)
    (out * cr.tensor(w)).sum().backward()
    (t_out * torch.from_numpy(w)).sum().backward()
    assert_close(emb.weight.grad, t_emb.weight.grad)
    assert repr(emb) == repr(t_emb)


def test_embedding_padding_row_is_zero_and_max_norm():
    emb = nn.Embedding(5, 3, padding_idx=2)
    assert (emb.weight.detach().numpy()[2] == 0).all()
    emb, t_emb = _embedding_pair(max_norm=1.0)
    idx = np.array([3, 4, 3])
    assert_close(emb(cr.tensor(idx)), t_emb(torch.from_numpy(idx)))
    assert_close(emb.weight, t_emb.weight)  # rows renormalised in place, as torch


def test_embedding_errors():
    emb = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match="index 12 is out of range.*num_embeddings=10"):
        emb(cr.tensor([1, 12]))
    with pytest.raises(IndexError, match="index -1"):
        emb(cr.tensor([-1]))
    with pytest.raises(TypeError, match="integer indices"):
        emb(cr.tensor([1.0]))


def test_embedding_from_pretrained_is_frozen():
    table = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    np.testing.assert_array_equal(emb(cr.tensor([1])).numpy(), [[3.0, 4.0]])


# -- BatchNorm1d ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
@pytest.mark.parametrize("kwargs", [{}, {"affine": False}, {"momentum": None}, {"track_running_stats": False}])
def test_batchnorm_training_steps_match_torch(shape, kwargs):
    bn, t_bn = nn.BatchNorm1d(3, **kwargs).double(), torch.nn.BatchNorm1d(3, **kwargs).double()
    rng = np.random.default_rng(1)
    if bn.affine:
        with torch.no_grad():
            t_bn.weight.uniform_(0.5, 1.5)
            t_bn.bias.uniform_(-0.5, 0.5)
    copy_from_torch(bn, t_bn)
    for step in range(4):
        x = rng.normal(2.0, 3.0, size=shape)
        cx = cr.tensor(x, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        out, t_out = bn(cx), t_bn(tx)
        assert_close(out, t_out, what=f"step {step} output")
        w = rng.normal(size=shape)
        (out * cr.tensor(w)).sum().backward()
        (t_out * torch.from_numpy(w)).sum().backward()
        assert_close(cx.grad, tx.grad, what="input gradient")
    for name, p in bn.named_parameters():
        assert_close(p.grad, dict(t_bn.named_parameters())[name].grad, what=name)
    for key, value in t_bn.state_dict().items():
        assert_close(bn.state_dict()[key], value, what=key)
    bn.eval()
    t_bn.eval()
    x = rng.normal(size=shape)
    check_op([cr.tensor(x, requires_grad=True)], lambda a, lib: (bn if lib is cr else t_bn)(a))


def test_batchnorm_state_and_eval():
    bn = nn.BatchNorm1d(4)
    assert bn.running_mean.dtype == cr.float32 and bn.num_batches_tracked.dtype == cr.int64
    assert [k for k, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    bn(cr.randn(16, 4))
    bn(cr.randn(16, 4))
    assert bn.num_batches_tracked.item() == 2
    bn.eval()
    before = bn.running_mean.numpy().copy()
    bn(cr.randn(16, 4))
    np.testing.assert_array_equal(bn.running_mean.numpy(), before)
    assert bn.num_batches_tracked.item() == 2
    assert bn(cr.randn(16, 4)).dtype == cr.float32


def test_batchnorm_errors():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        bn(cr.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(num_features=3\) got input of shape \(2, 4\)"):
        bn(cr.zeros(2, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(cr.zeros(1, 3))
    bn.eval()
    assert bn(cr.zeros(1, 3)).shape == (1, 3)


def test_functional_batch_norm_on_4d_input_matches_torch():
    rm, rv = np.zeros(3), np.ones(3)
    t_rm, t_rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)

    def fn(x, w, b, lib):
        if lib is cr:
            return F.batch_norm(x, cr.tensor(rm), cr.tensor(rv), w, b, training=True)
        return torch.nn.functional.batch_norm(x, t_rm, t_rv, w, b, training=True)

    check_op([(2, 3, 4, 2), (3,), (3,)], fn)


def test_batchnorm_finite_differences():
    def fn(x, w, b):
        return cr.ops.nn.BatchNorm.apply(x, w, b, training=True, eps=1e-5)

    import chainrule.ops.nn  # noqa: F401

    check_finite_differences([(6, 3, 2), (3,), (3,)], fn)


# -- LayerNorm -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("normalized_shape,shape", [(5, (4, 5)), ((3, 5), (2, 3, 5)), (5, (2, 3, 5))])
@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-3}])
def test_layernorm_matches_torch(normalized_shape, shape, kwargs):
    ln, t_ln = nn.LayerNorm(normalized_shape, **kwargs), torch.nn.LayerNorm(normalized_shape, **kwargs)
    if t_ln.weight is not None:
        with torch.no_grad():
            t_ln.weight.uniform_(0.5, 1.5)
            if t_ln.bias is not None:
                t_ln.bias.uniform_(-0.5, 0.5)
    check_module(ln, t_ln, [shape])
    assert repr(ln) == repr(t_ln)


def test_layernorm_finite_differences_and_shape_error():
    import chainrule.ops.nn as ops

    check_finite_differences([(3, 4), (4,), (4,)], lambda x, w, b: ops.LayerNorm.apply(x, w, b, ndims=1))
    with pytest.raises(RuntimeError, match=r"expected input with shape \[\*, 5\]"):
        nn.LayerNorm(5)(cr.zeros(2, 4))
    assert nn.LayerNorm(8)(cr.randn(2, 8)).dtype == cr.float32


# -- reprs of every layer ----------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Linear(784, 256), lambda lib: lib.nn.Linear(3, 2, bias=False),
    lambda lib: lib.nn.BatchNorm1d(3), lambda lib: lib.nn.BatchNorm1d(3, momentum=None, affine=False),
    lambda lib: lib.nn.BatchNorm1d(3, bias=False), lambda lib: lib.nn.LayerNorm(4, bias=False),
    lambda lib: lib.nn.LayerNorm(10), lambda lib: lib.nn.LayerNorm((2, 3), elementwise_affine=False),
    lambda lib: lib.nn.Embedding(10, 3), lambda lib: lib.nn.Embedding(10, 3, padding_idx=0, max_norm=1.0),
    lambda lib: lib.nn.Dropout(), lambda lib: lib.nn.Flatten(), lambda lib: lib.nn.Unflatten(1, (2, 5)),
    lambda lib: lib.nn.Identity(), lambda lib: lib.nn.SiLU(inplace=True),
    lambda lib: lib.nn.LeakyReLU(0.2, inplace=True),
])
def test_layer_repr_equals_torch(make):
    assert repr(make(cr)) == repr(make(torch))
