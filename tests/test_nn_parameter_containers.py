"""nn.ParameterList / nn.ParameterDict register their parameters as PyTorch's do."""

import numpy as np
import pytest
import torch

import chainrule as cr


def _build(lib):
    class Mixture(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2) * (i + 1)) for i in range(3)])
            self.extra = lib.nn.ParameterDict({"shift": lib.nn.Parameter(lib.zeros(2))})
            self.scales.append(lib.nn.Parameter(lib.full((2,), 0.5)))

        def forward(self, x):
            out = sum(x * s for s in self.scales)
            return out + self.extra["shift"]

    return Mixture()


def test_names_values_and_training_match_torch():
    ours, theirs = _build(cr), _build(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for lib, model in ((cr, ours), (torch, theirs)):
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            loss = ((model(lib.tensor([1.0, -2.0])) - 1) ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-6, err_msg=n)


def test_list_and_dict_protocols():
    pl = cr.nn.ParameterList([cr.ones(2), cr.zeros(3)])
    assert len(pl) == 2 and isinstance(pl[0], cr.nn.Parameter) and pl[-1].shape == (3,)
    pl[1] = cr.ones(4)
    assert pl[1].shape == (4,) and len(pl[0:1]) == 1
    with pytest.raises(IndexError):
        pl[5]
    pd = cr.nn.ParameterDict({"a": cr.ones(1)})
    pd["b"] = cr.zeros(2)
    assert list(pd) == ["a", "b"] and "b" in pd and len(pd) == 2
    assert pd.pop("a").shape == (1,) and list(pd.keys()) == ["b"] and pd.get("zz") is None
