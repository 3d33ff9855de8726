"""Module machinery: registration, tree walks, modes, dtype casts, state_dict, containers and repr."""

import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


def mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(784, 256), lib.nn.ReLU(), lib.nn.Linear(256, 10))


def lecture_model(lib):
    # the "Full code" slide of the lecture (seeds/003)
    return lib.nn.Sequential(lib.nn.Linear(128 * 128 * 3, 100), lib.nn.Sigmoid(), lib.nn.Linear(100, 4),
                             lib.nn.Softmax(1))


def two_layer_net(lib):
    class TwoLayerNet(lib.nn.Module):
        def __init__(self, D_in, H, D_out):
            super(TwoLayerNet, self).__init__()
            self.linear1 = lib.nn.Linear(D_in, H)
            self.sig1 = lib.nn.Sigmoid()
            self.linear2 = lib.nn.Linear(H, D_out)
            self.softmax = lib.nn.Softmax(1)

        def forward(self, x):
            h = self.linear1(x)
            h = self.sig1(h)
            y_pred = self.linear2(h)
            return self.softmax(y_pred)

    return TwoLayerNet(128 * 128 * 3 // 64, 100, 4)


def nested(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.nn.Linear(6, 5)
            self.bn = lib.nn.BatchNorm1d(5)
            self.blocks = lib.nn.ModuleList([lib.nn.Linear(5, 5), lib.nn.LayerNorm(5)])
            self.heads = lib.nn.ModuleDict({"a": lib.nn.Linear(5, 2), "b": lib.nn.Linear(5, 1, bias=False)})
            self.emb = lib.nn.Embedding(7, 6)
            self.drop = lib.nn.Dropout(0.1)
            self.scale = lib.nn.Parameter(lib.ones(1))

        def forward(self, idx):
            h = self.bn(self.fc1(self.emb(idx)))
            for block in self.blocks:
                h = block(h)
            return self.heads["a"](self.drop(h)) * self.scale

    return Net()


ARCHITECTURES = [mlp, lecture_model, two_layer_net, nested]


# -- registration and walks -------------------------------------------------------------------------
@pytest.mark.parametrize("make", ARCHITECTURES)
def test_state_dict_keys_shapes_and_parameter_names_match_torch(make):
    model, t_model = make(cr), make(torch)
    sd, t_sd = model.state_dict(), t_model.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == list(t_sd)
    assert [tuple(v.shape) for v in sd.values()] == [tuple(v.shape) for v in t_sd.values()]
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in t_model.named_parameters()]
    assert [n for n, _ in model.named_buffers()] == [n for n, _ in t_model.named_buffers()]
    assert [n for n, _ in model.named_modules()] == [n for n, _ in t_model.named_modules()]
    assert [n for n, _ in model.named_children()] == [n for n, _ in t_model.named_children()]
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in t_model.parameters())


@pytest.mark.parametrize("make", [mlp, lecture_model, two_layer_net])
def test_repr_equals_torch(make):
    assert repr(make(cr)) == repr(make(torch))


def test_nested_repr_equals_torch():
    assert repr(nested(cr)) == repr(nested(torch))


def test_state_dict_values_are_detached_and_share_memory():
    model = mlp(cr)
    sd = model.state_dict()
    assert not sd["0.weight"].requires_grad and sd["0.weight"].is_leaf
    sd["0.bias"][0] = 123.0
    assert model[0].bias[0].item() == 123.0
    assert model.state_dict(keep_vars=True)["0.weight"] is model[0].weight


def test_load_state_dict_from_torch_gives_torchs_outputs():
    model, t_model = nested(cr).double(), nested(torch).double()
    model.load_state_dict({k: v.numpy() for k, v in t_model.state_dict().items()})
    model.eval()
    t_model.eval()
    idx = np.array([1, 2, 3, 6, 0, 0])
    out = model(cr.tensor(idx))
    np.testing.assert_allclose(out.detach().numpy(), t_model(torch.from_numpy(idx)).detach().numpy(), rtol=1e-12,
                               atol=1e-14)


def test_load_state_dict_accepts_torch_tensors_and_keeps_parameter_identity():
    model, t_model = mlp(cr), mlp(torch)
    weight = model[0].weight
    result = model.load_state_dict(t_model.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert model[0].weight is weight and weight.dtype == cr.float32
    np.testing.assert_array_equal(weight.detach().numpy(), t_model[0].weight.detach().numpy())


def test_load_state_dict_assign_takes_the_state_dicts_tensors_like_torch():
    model, t_model = nested(cr), nested(torch)
    frozen = model.bn.weight
    frozen.requires_grad_(False)
    t_model.bn.weight.requires_grad_(False)
    source = {k: np.array(v.numpy(), dtype=np.float64) for k, v in nested(cr).state_dict().items()}
    model.load_state_dict(source, assign=True)
    t_model.load_state_dict({k: torch.from_numpy(v) for k, v in source.items()}, assign=True)
    for name, p in model.named_parameters():
        t = dict(t_model.named_parameters())[name]
        assert isinstance(p, nn.Parameter) and p.dtype == cr.float64 and str(t.dtype) == "torch.float64", name
        assert np.shares_memory(p._data, source[name]), name  # taken, not copied
        assert p.requires_grad == t.requires_grad, name
    assert model.bn.weight is not frozen and not model.bn.weight.requires_grad  # the module's flag is kept
    assert np.shares_memory(model.bn.running_mean._data, source["bn.running_mean"])
    assert "bn.running_mean" in dict(model.named_buffers())
    default = nested(cr)
    weight = default.bn.weight
    default.load_state_dict(source)  # assign=False: copied into the module's own float32 tensors
    assert default.bn.weight is weight and weight.dtype == cr.float32


def test_state_dict_round_trip():
    src, dst = nested(cr), nested(cr)
    src.train()
    src(cr.tensor([1, 2, 3, 4]))  # moves the BatchNorm statistics
    dst.load_state_dict(src.state_dict())
    for (k, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    assert dst.bn.num_batches_tracked.item() == 1


def test_load_state_dict_missing_and_unexpected_keys():
    model = mlp(cr)
    sd = model.state_dict()
    del sd["2.bias"]
    sd["3.weight"] = cr.zeros(1)
    sd["extra"] = cr.zeros(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(sd)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Sequential:")
    assert 'Missing key(s) in state_dict: "2.bias".' in msg
    assert 'Unexpected key(s) in state_dict: "3.weight", "extra".' in msg
    result = model.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["3.weight", "extra"]
    t_result = mlp(torch).load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in sd.items()}, strict=False)
    assert result.missing_keys == t_result.missing_keys
    assert result.unexpected_keys == t_result.unexpected_keys


def test_load_state_dict_shape_mismatch_names_key_and_shapes():
    model = mlp(cr)
    sd = model.state_dict()
    sd["0.weight"] = np.zeros((3, 4), dtype=np.float32)
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight: copying a param with shape "
                                           r"Size\(\[3, 4\]\) from checkpoint, the shape in current model is "
                                           r"Size\(\[256, 784\]\)"):
        model.load_state_dict(sd, strict=False)


def test_batchnorm_checkpoint_without_num_batches_tracked_loads_like_torch():
    bn, t_bn = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    sd = {"weight": np.ones(3), "bias": np.zeros(3), "running_mean": np.zeros(3), "running_var": np.ones(3)}
    assert bn.load_state_dict(sd).missing_keys == t_bn.load_state_dict(
        {k: torch.from_numpy(v) for k, v in sd.items()}).missing_keys == []


def test_setattr_registration_and_delattr():
    m = nn.Module()
    m.w = nn.Parameter(cr.ones(2))
    m.child = nn.Linear(2, 2)
    m.register_buffer("stat", cr.zeros(2))
    m.register_buffer("tmp", cr.zeros(1), persistent=False)
    m.plain = cr.zeros(3)  # a plain tensor attribute is not registered
    assert [n for n, _ in m.named_parameters()] == ["w", "child.weight", "child.bias"]
    assert list(m.state_dict()) == ["w", "stat", "child.weight", "child.bias"]
    assert [n for n, _ in m.named_buffers()] == ["stat", "tmp"]
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = cr.zeros(2)
    m.w = None
    assert list(m.named_parameters())[0][0] == "child.weight"
    m.stat = cr.ones(2)
    assert m._buffers["stat"] is m.stat
    del m.child
    assert "child" not in m._modules and not hasattr(m, "child")
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope  # noqa: B018
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.register_buffer("plain", cr.zeros(1))
    with pytest.raises(TypeError, match="cannot assign 'list' object to parameter 'p'"):
        m.register_parameter("p", [1.0])


def test_assignment_before_init_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Bad()


def test_shared_parameters_are_listed_once():
    a = nn.Linear(3, 3)
    model = nn.Sequential(a, nn.ReLU(), a)
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


# -- modes, gradients, dtype ------------------------------------------------------------------------
def test_train_eval_propagate():
    model = nested(cr)
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not model.drop.training
    with pytest.raises(ValueError, match="boolean"):
        model.train("yes")


def test_zero_grad_and_requires_grad():
    model = mlp(cr)
    model(cr.randn(2, 784)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert type(model[0].weight.grad) is cr.Tensor  # a plain Tensor, not a Parameter
    model.zero_grad(set_to_none=False)
    assert all((p.grad.numpy() == 0).all() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    assert not model(cr.randn(2, 784)).requires_grad


def test_to_double_keeps_parameter_identity():
    model = nested(cr)
    params = list(model.parameters())
    assert model.to(cr.float64) is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(p.dtype == cr.float64 for p in params)
    assert model.bn.running_mean.dtype == cr.float64
    assert model.bn.num_batches_tracked.dtype == cr.int64  # integer buffers are not cast
    model.float()
    assert all(p.dtype == cr.float32 for p in params)
    model.to("cpu")
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to("cuda")
    with pytest.raises(TypeError, match="floating point"):
        model.to(cr.int64)


def test_apply_and_reset_parameters():
    model = mlp(cr)

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)

    assert model.apply(init) is model
    assert (model[0].weight.detach().numpy() == 0).all()
    model[0].reset_parameters()
    assert (model[0].weight.detach().numpy() != 0).any()
    order = []
    model.apply(lambda m: order.append(type(m).__name__))
    assert order == ["Linear", "ReLU", "Linear", "Sequential"]


def test_forward_hooks_and_missing_forward():
    layer = nn.Linear(2, 3)
    seen = []
    handle = layer.register_forward_hook(lambda m, args, out: seen.append(tuple(out.shape)))
    layer(cr.zeros(4, 2))
    handle.remove()
    layer(cr.zeros(4, 2))
    assert seen == [(4, 3)]
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(cr.zeros(1))


def test_deepcopy_gives_independent_parameters():
    model = nested(cr)
    clone = copy.deepcopy(model)
    assert clone.fc1.weight is not model.fc1.weight
    assert clone.fc1.weight is clone._modules["fc1"]._parameters["weight"]
    assert isinstance(clone.fc1.weight, nn.Parameter)
    clone.fc1.weight._data.fill(0.0)
    assert (model.fc1.weight.detach().numpy() != 0).any()


def test_parameter_basics():
    p = nn.Parameter(cr.tensor([1.0, 2.0]))
    assert p.requires_grad and p.is_leaf and isinstance(p, cr.Tensor)
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert not nn.Parameter(cr.zeros(1), requires_grad=False).requires_grad


# -- containers ----------------------------------------------------------------------------------------
def test_sequential_indexing_and_editing():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and seq[0] is layers[0] and seq[-1] is layers[2]
    assert list(seq) == layers
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    assert list(seq[1:]._modules) == list(torch.nn.Sequential(*[torch.nn.ReLU()] * 3)[1:]._modules)
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    seq.append(nn.Tanh())
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2", "3"]
    del seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "Linear", "Tanh"]
    assert list(seq._modules) == ["0", "1", "2"] and seq.__dict__["2"] is seq[2]
    assert "3" not in seq.__dict__
    seq[0] = nn.Linear(2, 3)
    seq.insert(1, nn.ReLU())
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear", "Tanh"]
    assert seq(cr.zeros(5, 2)).shape == (5, 4)


def test_sequential_from_ordered_dict():
    seq = nn.Sequential(OrderedDict([("fc1", nn.Linear(4, 3)), ("act", nn.ReLU()), ("fc2", nn.Linear(3, 1))]))
    t_seq = torch.nn.Sequential(OrderedDict([("fc1", torch.nn.Linear(4, 3)), ("act", torch.nn.ReLU()),
                                             ("fc2", torch.nn.Linear(3, 1))]))
    assert list(seq.state_dict()) == list(t_seq.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert repr(seq) == repr(t_seq)
    assert seq.fc1 is seq[0]


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    t_layers = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)])
    assert repr(layers) == repr(t_layers)
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    assert layers[-1].__class__ is nn.ReLU
    del layers[0]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2"]
    d = nn.ModuleDict({"a": nn.Linear(1, 1)})
    d["b"] = nn.Linear(1, 2)
    assert list(d) == ["a", "b"] and "b" in d and len(d) == 2
    assert list(d.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert d.pop("a").out_features == 1 and list(d.keys()) == ["b"]


def test_load_state_dict_non_strict_reports_unexpected_keys_like_torch():
    import torch as _torch

    m = cr.nn.Sequential(cr.nn.Linear(4, 3))
    tm = _torch.nn.Sequential(_torch.nn.Linear(4, 3))
    ours = m.load_state_dict({"0.weight": cr.zeros(3, 4), "extra": cr.zeros(1)}, strict=False)
    theirs = tm.load_state_dict({"0.weight": _torch.zeros(3, 4), "extra": _torch.zeros(1)}, strict=False)
    assert ours.missing_keys == theirs.missing_keys == ["0.bias"]
    assert ours.unexpected_keys == theirs.unexpected_keys == ["extra"]


def test_parameter_grad_is_a_plain_tensor():
    p = nn.Parameter(cr.ones(2))
    (p * 2).sum().backward()
    assert type(p.grad) is cr.Tensor
