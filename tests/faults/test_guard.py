"""The non-finite guard keeps its promise: an update that overflows by itself (huge lr, float16 parameters) is
caught after the step, the model and optimizer are rolled back to finite values, no checkpoint or model file
ever holds a NaN, the message says what is true, and the CLI exits non-zero."""

import json
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule import io, nn, optim
from chainrule.cli import main
from chainrule.train import NonFiniteError, fit


def _data(n=64):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64)


def _model():
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))


def _finite(state) -> bool:
    return all(np.isfinite(np.asarray(getattr(v, "_data", v))).all() for v in state.values())


def test_adam_with_an_enormous_lr_is_rolled_back_and_the_message_is_true(tmp_path):
    model = _model()
    initial = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    opt = optim.Adam(model.parameters(), lr=1e39)
    ckpt = tmp_path / "ckpt.safetensors"
    with pytest.raises(NonFiniteError, match=r"the update of epoch 1, step 1 made parameter '0.weight'.*"
                                             r"although the loss and the gradients were finite.*rolled back to their "
                                             r"last finite values, from the start of epoch 1") as e:
        fit(model, nn.CrossEntropyLoss(), opt, _data(), epochs=3, batch_size=16, verbose=0, seed=0, checkpoint=ckpt)
    assert e.value.parameter == "0.weight" and (e.value.epoch, e.value.step) == (0, 0)
    assert _finite(model.state_dict())
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), initial[k])
    assert not ckpt.exists()  # nothing was ever written: no step finished


def test_a_later_overflow_rolls_back_to_the_last_checkpoint_which_stays_finite(tmp_path):
    model = _model()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    ckpt = tmp_path / "ckpt.safetensors"

    class Boost:
        """Raises the lr to an overflowing value once the first checkpoint exists."""
        def __init__(self):
            self.calls = 0

        def __call__(self, output, target):
            self.calls += 1
            if self.calls == 6:
                opt.param_groups[0]["lr"] = 1e39
            return nn.functional.cross_entropy(output, target)

    with pytest.raises(NonFiniteError, match="from the checkpoint of epoch 1, step 4.*is as it was"):
        fit(model, Boost(), opt, _data(), epochs=2, batch_size=8, verbose=0, seed=0, checkpoint=ckpt,
            checkpoint_every=4)
    saved = _model()
    io.load_checkpoint(ckpt, model=saved)
    assert _finite(model.state_dict()) and _finite(saved.state_dict())
    for (k, a), b in zip(model.state_dict().items(), saved.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    assert _finite(opt.state_dict()["state"][0])


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=1e5), lambda ps: optim.Adam(ps, lr=1e-3)])
def test_float16_parameters_whose_update_overflows_are_caught(tmp_path, make):
    model = _model().half()  # Adam's eps=1e-8 is 0 in float16: its very first update divides by zero
    X, y = _data()
    with pytest.raises(NonFiniteError, match=r"In float16 \(largest value 65504.*Train in float32") as e:
        fit(model, lambda out, t: nn.functional.cross_entropy(out.float(), t), make(model.parameters()),
            (X.astype(np.float16), y), epochs=5, batch_size=16, verbose=0, seed=0)
    assert e.value.parameter is not None and _finite(model.state_dict())


def test_a_model_that_is_non_finite_from_the_start_is_named_not_called_finite():
    model = _model()
    model[0].weight.data[0, 0] = float("nan")
    with pytest.raises(NonFiniteError, match=r"parameter '0.weight' already holds 1 non-finite values \(nan\) before"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), _data(), verbose=0)


def test_cli_with_an_enormous_lr_exits_1_and_writes_no_non_finite_file(tmp_path, capsys):
    code = main(["train", "--dataset", "xor", "--subset", "64", "--epochs", "3", "--hidden", "8", "--lr", "1e38",
                 "--quiet", "--out", str(tmp_path), "--name", "big", "--checkpoint-every", "1"])
    err = capsys.readouterr().err
    assert code == 1 and "NaN" not in err.split("error:")[0], err
    run = tmp_path / "big"
    assert not (run / "model.safetensors").exists()
    if (run / "checkpoint.safetensors").exists():
        restored = cr.models.mlp(2, hidden=(8,), out_features=2)
        io.load_checkpoint(run / "checkpoint.safetensors", model=restored)
        assert _finite(restored.state_dict())
    assert json.loads((run / "config.json").read_text())["lr"] == 1e38
    assert not [n for n in os.listdir(run) if n.endswith(".tmp")]


def test_a_non_finite_parameter_that_does_not_reach_the_loss_is_not_blamed_on_the_update():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 2), nn.Flatten(), nn.Linear(2, 2))
    model[0].weight.data[9] = float("nan")  # a row no input selects: the loss stays finite
    X, y = np.zeros((8, 1), np.int64), np.zeros(8, np.int64)
    with pytest.raises(NonFiniteError, match=r"'0.weight' holds 2 non-finite values \(nan\).*already at the start "
                                             r"of epoch 1 \(the model was given or loaded that way"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), verbose=0)


def test_cli_run_stopped_by_terminate_on_nan_exits_1_with_one_error_line(tmp_path, capsys):
    # mse on "plane" with an enormous lr: the weights stay finite, the loss overflows to inf, and
    # TerminateOnNaN (not the guard) stops the run before that update; this used to exit 0 with a report
    code = main(["train", "--dataset", "plane", "--subset", "64", "--epochs", "3", "--hidden", "8", "--lr", "1e12",
                 "--quiet", "--out", str(tmp_path), "--name", "nan"])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert code == 1, err
    assert len(errors) == 1 and errors[0].startswith("chainrule train: error: the training loss was NaN or infinite "
                                                     "at epoch 1, step "), err
    assert "TerminateOnNaN stopped training" in errors[0] and "smaller --lr" in err
    run = tmp_path / "nan"
    assert not (run / "model.safetensors").exists() and not (run / "results.json").exists()
    restored = cr.models.mlp(2, hidden=(8,), out_features=1)
    io.load_checkpoint(run / "checkpoint.safetensors", model=restored)
    assert _finite(restored.state_dict())  # stopped before the bad update
