"""evaluate / predict on non-finite weights or outputs fail loudly; empty training data is an error."""

import shutil
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import io, nn, optim
from chainrule.cli import main
from chainrule.train import evaluate, fit


@pytest.fixture
def run(toy_run):
    return toy_run


def test_evaluate_refuses_nan_weights_and_exits_1(run, tmp_path, capsys):
    bad = tmp_path / "nan"
    shutil.copytree(run, bad)
    state = io.load_state_dict(bad / "model.safetensors")
    first = next(iter(state))
    state[first]._data[...] = np.nan
    io.save_state_dict(state, bad / "model.safetensors")
    capsys.readouterr()
    assert main(["evaluate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "model.safetensors: the weights hold NaN or infinite values" in err and repr(first) in err
    assert main(["evaluate", str(run)]) == 0


def test_evaluate_exits_1_when_finite_weights_give_infinite_outputs(run, tmp_path, capsys):
    bad = tmp_path / "huge"
    shutil.copytree(run, bad)
    state = io.load_state_dict(bad / "model.safetensors")
    for tensor in state.values():
        tensor._data[...] = 3e38
    io.save_state_dict(state, bad / "model.safetensors")
    capsys.readouterr()
    assert main(["evaluate", str(bad)]) == 1
    assert "NaN or infinite" in capsys.readouterr().err


def test_library_evaluate_warns_on_non_finite_outputs():
    model = nn.Linear(2, 2)
    model.weight.data[...] = float("nan")
    X, y = np.zeros((4, 2), np.float32), np.array([0, 1, 0, 1])
    with pytest.warns(RuntimeWarning, match="4 of the model's outputs|8 of the model's outputs"):
        evaluate(model, (X, y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluate(nn.Linear(2, 2), (X, y))  # finite: no warning


def _fit(data, **kw):
    model = nn.Linear(2, 2)
    return fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), data, verbose=0, **kw)


def test_fit_on_empty_data_is_an_error_not_a_history_of_nans():
    empty = (np.zeros((0, 2), np.float32), np.zeros(0, np.int64))
    with pytest.raises(ValueError, match=r"fit: the training data is empty \(0 samples\)"):
        _fit(empty, epochs=2)
    with pytest.raises(ValueError, match="val_split=0.5 of 1 samples leaves 0 for validation"):
        _fit((np.zeros((1, 2), np.float32), np.zeros(1, np.int64)), epochs=1, val_split=0.5)
    with pytest.raises(ValueError, match="gave no batches in epoch 1"):
        _fit([], epochs=1)
    batches = iter([(cr.zeros(2, 2), cr.tensor([0, 1]))])
    with pytest.raises(ValueError, match="gave no batches in epoch 2.*one-shot iterator"):
        _fit(batches, epochs=2)
