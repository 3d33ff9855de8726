"""The code on the lecture slides (../shared/seeds/) runs unchanged with ``import chainrule as torch``.

Each test keeps the slide's lines as they are and only supplies the data the slide leaves out.
"""

import numpy as np
import pytest

import chainrule as torch  # the whole point: lecture code names the library `torch`


def test_seed_000_and_001_linear_regression_snippet():
    import chainrule as torch
    import chainrule.nn as nn

    torch.manual_seed(0)
    x = torch.randn(32, 3)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.25

    model = nn.Linear(3, 1)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters())
    # ...
    y_pred = model(x)
    loss = loss_fn(y_pred, y)
    loss.backward()
    optimizer.step()

    assert optimizer.param_groups[0]["lr"] == 1e-3  # PyTorch 2's default
    assert loss_fn(model(x), y).item() < loss.item()  # one step of SGD went downhill


def test_seed_000_softmax_by_hand():
    logits = torch.tensor([2.0, -1.0, 0.5])
    xx = logits.exp()
    probs = xx / xx.sum()
    assert probs.sum().item() == pytest.approx(1.0)
    assert probs.argmax().item() == logits.argmax().item()
    np.testing.assert_allclose((logits + 3).softmax(0).numpy(), probs.numpy(), rtol=1e-6)  # shift-invariant
    assert not np.allclose((logits * 3).softmax(0).numpy(), probs.numpy())  # but not scale-invariant


def test_seed_001_logistic_regression_loss_matches_cross_entropy():
    rng = np.random.default_rng(0)
    x_train = torch.tensor(rng.normal(size=(20, 4)))
    y_train = torch.tensor(rng.integers(0, 3, 20))
    W = torch.randn(4, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)

    scores = x_train @ W + b
    probs = scores.softmax(dim=1)
    probs_of_correct = probs[torch.arange(len(y_train)), y_train]
    loss = -probs_of_correct.log().mean()

    fused = torch.nn.functional.cross_entropy(scores, y_train)
    assert loss.item() == pytest.approx(fused.item(), rel=1e-5)
    loss.backward()
    assert W.grad.shape == (4, 3) and b.grad.shape == (3,)


def test_seed_002_parameter_count_of_the_784_256_10_mlp():
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    assert sum(p.numel() for p in model.parameters()) == 784 * 256 + 256 + 256 * 10 + 10 == 203_530
    assert torch.summary(model, (1, 784)).total_params == 203_530


@pytest.mark.filterwarnings("ignore:CrossEntropyLoss.*already probabilities")  # the slide's Softmax layer: expected
def test_seed_003_full_code_sequential_with_softmax_layer():
    torch.manual_seed(0)
    n = 5
    x = torch.rand(8, 3, 128, 128)
    y = torch.randint(0, 4, (8,))

    model = torch.nn.Sequential(
        torch.nn.Linear(128*128*3, 100),
        torch.nn.Sigmoid(),
        torch.nn.Linear(100,4),
        torch.nn.Softmax(1))
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for t in range(n):
        y_pred = model(x.view(-1,128*128*3))
        loss = loss_fn(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_seed_003_two_layer_net_module():
    class TwoLayerNet(torch.nn.Module):
        def __init__(self, D_in, H, D_out):
            super(TwoLayerNet, self).__init__()
            self.linear1 = torch.nn.Linear(D_in, H)
            self.sig1 = torch.nn.Sigmoid()
            self.linear2 = torch.nn.Linear(H, D_out)
            self.softmax = torch.nn.Softmax(1)

        def forward(self, x):
            h = self.linear1(x)
            h = self.sig1(h)
            y_pred = self.linear2(h)
            return self.softmax(y_pred)

    x = torch.rand(2, 3, 128, 128)
    model = TwoLayerNet(128*128*3,100,4)
    y_pred = model(x.view(-1,128*128*3))

    assert y_pred.shape == (2, 4)
    np.testing.assert_allclose(y_pred.sum(1).detach().numpy(), 1.0, rtol=1e-6)
    assert [name for name, _ in model.named_parameters()] == [
        "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"]
    assert repr(model).startswith("TwoLayerNet(\n  (linear1): Linear(in_features=49152, out_features=100, bias=True)")
