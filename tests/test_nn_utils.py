"""nn.utils (gradient clipping, parameter vectors) against torch, and nn.summary."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


def models_with_grads(scale=1.0, dtype=np.float64):
    """The same small MLP in both libraries, with identical gradients after one backward."""
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    t_model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    if dtype == np.float64:
        model.double()
        t_model.double()
    model.load_state_dict(t_model.state_dict())
    x = np.random.default_rng(0).normal(size=(6, 4)).astype(dtype) * scale
    (model(cr.tensor(x)) ** 2).sum().backward()
    (t_model(torch.from_numpy(x)) ** 2).sum().backward()
    return model, t_model


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.1, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    model, t_model = models_with_grads()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(t_model.parameters(), max_norm, norm_type=norm_type)
    assert isinstance(total, cr.Tensor) and total.ndim == 0 and total.dtype == cr.float64
    np.testing.assert_allclose(total.item(), t_total.item(), rtol=1e-12)
    for p, tp in zip(model.parameters(), t_model.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-12, atol=1e-14)  # atol: BLAS sums in any order
    if max_norm < 1:
        norm = nn.utils.get_total_norm([p.grad for p in model.parameters()], norm_type)
        assert norm.item() == pytest.approx(max_norm, rel=1e-5)


def test_clip_grad_norm_float32_single_tensor_and_no_grads():
    model, t_model = models_with_grads(dtype=np.float32)
    w = model[0].weight
    total = nn.utils.clip_grad_norm_(w, 0.01)
    t_total = torch.nn.utils.clip_grad_norm_(t_model[0].weight, 0.01)
    assert total.dtype == cr.float32 and w.grad.dtype == cr.float32
    np.testing.assert_allclose(total.item(), t_total.item(), rtol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), t_model[0].weight.grad.numpy(), rtol=1e-4, atol=1e-8)
    assert nn.utils.clip_grad_norm_(nn.Linear(2, 2).parameters(), 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    p = nn.Parameter(cr.ones(3))
    p.grad = cr.tensor([1.0, float("inf"), 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isinf(nn.utils.clip_grad_norm_([p], 1.0).item())


def test_clip_grad_value_matches_torch():
    model, t_model = models_with_grads(scale=3.0)
    nn.utils.clip_grad_value_(model.parameters(), 0.5)
    torch.nn.utils.clip_grad_value_(t_model.parameters(), 0.5)
    for p, tp in zip(model.parameters(), t_model.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-12, atol=1e-14)  # atol: BLAS sums in any order
    assert max(np.abs(p.grad.numpy()).max() for p in model.parameters()) == 0.5


def test_parameters_to_vector_and_back():
    model, t_model = models_with_grads()
    vec = nn.utils.parameters_to_vector(model.parameters())
    np.testing.assert_array_equal(vec.detach().numpy(),
                                  torch.nn.utils.parameters_to_vector(t_model.parameters()).detach().numpy())
    assert vec.requires_grad
    weight = model[0].weight
    nn.utils.vector_to_parameters(cr.zeros(vec.numel(), dtype=cr.float64), model.parameters())
    assert model[0].weight is weight and (weight.detach().numpy() == 0).all()
    with pytest.raises(ValueError, match="elements"):
        nn.utils.vector_to_parameters(cr.zeros(3), model.parameters())


# -- summary ------------------------------------------------------------------------------------------
def test_summary_of_the_mlp(capsys):
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    result = nn.summary(model, (1, 784))
    printed = capsys.readouterr().out
    assert result.total_params == 203_530 and result.trainable_params == 203_530
    assert result.non_trainable_params == 0
    assert [(r["name"], r["type"], r["output_shape"], r["num_params"]) for r in result.rows] == [
        ("0", "Linear", [1, 256], 200_960), ("1", "ReLU", [1, 256], 0), ("2", "Linear", [1, 10], 2_570)]
    assert "Total params: 203,530" in printed and "Non-trainable params: 0" in printed
    assert str(result) in printed


def test_summary_restores_modes_and_leaves_state_untouched():
    model = nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4), nn.Dropout(0.5), nn.Linear(4, 2))
    model[3].requires_grad_(False)
    model[2].eval()  # a mixed state must come back exactly
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    result = nn.summary(model, (3, 6), verbose=False)
    assert [m.training for m in model.modules()] == [True, True, True, False, True]
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)
    assert all(p.grad is None for p in model.parameters())
    assert result.total_params == 28 + 8 + 10 and result.non_trainable_params == 10
    assert [r["output_shape"] for r in result.rows] == [[3, 4], [3, 4], [3, 4], [3, 2]]
    assert not model._has_hooks or not model._forward_hooks


def test_summary_nested_names_and_dtype():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 4)
            self.body = nn.Sequential(nn.Flatten(), nn.Linear(12, 2))

        def forward(self, idx):
            return self.body(self.emb(idx))

    result = nn.summary(Net(), (2, 3), dtype=cr.int64, verbose=False)
    assert [(r["name"], r["output_shape"]) for r in result.rows] == [
        ("emb", [2, 3, 4]), ("body.0", [2, 12]), ("body.1", [2, 2])]
    assert result.total_params == 40 + 26
