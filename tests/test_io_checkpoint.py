"""chainrule.io checkpoints: resuming training exactly, and refusing checkpoints that do not fit."""

import json
import math
from collections import Counter

import numpy as np
import pytest
import safetensors.torch

import chainrule as cr
from chainrule import nn, optim
from chainrule.io import WeightsFileError, load_checkpoint, read_metadata, save_checkpoint, save_state_dict
from chainrule.optim import lr_scheduler


def make_run(seed=0):
    cr.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    optimizer = optim.Adam(model.parameters(), lr=0.05, betas=(0.8, 0.95))
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    return model, optimizer, scheduler


def train(model, optimizer, scheduler, steps, start):
    rng = np.random.default_rng(start)
    for _ in range(steps):
        x = cr.tensor(rng.standard_normal((8, 3)).astype(np.float32))
        loss = (model(x) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()


def params(model):
    return {k: v._data.copy() for k, v in model.state_dict().items()}


def test_resume_continues_exactly_like_an_uninterrupted_run(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model, optimizer, scheduler = make_run(0)
    train(model, optimizer, scheduler, 3, start=0)
    save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler,
                    extra={"epoch": 3, "rng": cr.get_rng_state(), "config": {"hidden": 4, "act": "tanh"}})
    train(model, optimizer, scheduler, 3, start=1)

    resumed, resumed_opt, resumed_sched = make_run(1)  # different initial weights
    cr.manual_seed(123)
    extra = load_checkpoint(path, model=resumed, optimizer=resumed_opt, scheduler=resumed_sched)
    assert extra["epoch"] == 3 and extra["config"] == {"hidden": 4, "act": "tanh"}
    cr.set_rng_state(extra["rng"])
    train(resumed, resumed_opt, resumed_sched, 3, start=1)

    for k, v in params(model).items():
        np.testing.assert_array_equal(params(resumed)[k], v, err_msg=k)
    assert resumed_sched.get_last_lr() == scheduler.get_last_lr()
    assert resumed_opt.param_groups[0]["betas"] == (0.8, 0.95)  # a tuple again, not a list
    state, resumed_state = optimizer.state_dict()["state"], resumed_opt.state_dict()["state"]
    assert state.keys() == resumed_state.keys()
    for index in state:
        for name, value in state[index].items():
            np.testing.assert_array_equal(resumed_state[index][name]._data, value._data)


def test_checkpoint_layout_and_torch_can_read_it(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model, optimizer, scheduler = make_run()
    train(model, optimizer, scheduler, 1, start=0)
    save_checkpoint(path, model=model, optimizer=optimizer, extra={"epoch": 1})
    loaded = safetensors.torch.load_file(str(path))
    assert set(loaded) == {f"model.{k}" for k in model.state_dict()} | {
        f"optim.{i}.{name}" for i in range(4) for name in ("step", "exp_avg", "exp_avg_sq")}
    np.testing.assert_array_equal(loaded["model.0.weight"].numpy(), model[0].weight._data)
    document = json.loads(read_metadata(path)["chainrule"])
    assert document["format"] == "chainrule.checkpoint" and document["version"] == 1
    assert document["optimizer"]["class"] == "Adam" and document["scheduler"] is None


def test_schedulers_with_counters_and_infinities_round_trip(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model, optimizer, _ = make_run()
    for make in (lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, 2, 5]),
                 lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=1),
                 lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=20)):
        scheduler = make(optimizer)
        save_checkpoint(path, scheduler=scheduler)
        fresh = make(optim.Adam(model.parameters()))
        fresh.last_epoch = 99
        load_checkpoint(path, scheduler=fresh)
        assert fresh.state_dict() == scheduler.state_dict()
    assert isinstance(fresh.state_dict()["_schedule_phases"][0], tuple)
    multi = lr_scheduler.MultiStepLR(optimizer, milestones=[2, 2, 5])
    save_checkpoint(path, scheduler=multi)
    fresh = lr_scheduler.MultiStepLR(optimizer, milestones=[1])
    load_checkpoint(path, scheduler=fresh)
    assert fresh.milestones == Counter({2: 2, 5: 1}) and isinstance(fresh.milestones, Counter)
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer)
    save_checkpoint(path, scheduler=plateau)
    fresh = lr_scheduler.ReduceLROnPlateau(optimizer, mode="max")
    load_checkpoint(path, scheduler=fresh)
    assert fresh.best == math.inf and fresh.mode == "min"


def test_extra_values_round_trip(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    extra = {
        "epoch": 7, "loss": 0.125, "best": -math.inf, "nan": math.nan, "shape": (28, 28), "nested": [(1, "a"), {}],
        "by_int": {1: "one", (2, 3): "pair"}, "looks_tagged": {"__tuple__": [1]}, "none": None, "flag": True,
        "np_scalars": [np.float32(0.5), np.int64(3), np.bool_(True)], "big": 2**100, "text": "ünïcode",
        "rng": cr.Generator(5).get_state(),
    }
    save_checkpoint(path, extra=extra)
    loaded = load_checkpoint(path)
    assert math.isnan(loaded.pop("nan"))
    expected = dict(extra, np_scalars=[0.5, 3, True])
    del expected["nan"]
    assert loaded == expected
    assert loaded["shape"] == (28, 28) and isinstance(loaded["shape"], tuple)
    assert loaded["looks_tagged"] == {"__tuple__": [1]}


@pytest.mark.parametrize("extra, text", [
    ({"w": np.zeros(3)}, r"extra\['w'\] is a ndarray"),
    ({"g": cr.Generator(1)}, r"extra\['g'\] is a Generator \(store generator.get_state\(\) instead\)"),
    ({"f": print}, r"extra\['f'\] is a builtin_function_or_method"),
    ([1, 2], "extra must be a dict"),
])
def test_extra_that_json_cannot_hold_is_refused_at_save_time(tmp_path, extra, text):
    with pytest.raises(TypeError, match=text):
        save_checkpoint(tmp_path / "ckpt.safetensors", extra=extra)
    assert not any(tmp_path.iterdir())


class FakeOptimizer:
    """PyTorch's state_dict layout with Python-number state (as torch keeps ``step`` on some paths)."""

    def __init__(self, shapes):
        self.param_groups = [{"params": list(range(len(shapes))), "lr": 0.1, "momentum": 0.9, "nesterov": False}]
        self.state = {i: {"step": 3, "momentum_buffer": cr.ones(*s) * i} for i, s in enumerate(shapes)}
        self.loaded = None

    def state_dict(self):
        groups = [{k: v for k, v in g.items()} for g in self.param_groups]
        return {"state": self.state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        self.loaded = state_dict


def test_optimizer_number_state_goes_to_json_and_tensors_to_the_file(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, optimizer=FakeOptimizer([(2,), (3, 1)]))
    names = set(safetensors.safe_open(str(path), framework="np").keys())
    assert names == {"optim.0.momentum_buffer", "optim.1.momentum_buffer"}
    fresh = FakeOptimizer([(2,), (3, 1)])
    load_checkpoint(path, optimizer=fresh)
    assert fresh.loaded["param_groups"] == [{"params": [0, 1], "lr": 0.1, "momentum": 0.9, "nesterov": False}]
    assert fresh.loaded["state"][1]["step"] == 3
    np.testing.assert_array_equal(fresh.loaded["state"][1]["momentum_buffer"]._data, np.ones((3, 1)))


# --- refusing checkpoints that do not fit, before changing anything -------------------------------

def saved_run(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model, optimizer, scheduler = make_run()
    train(model, optimizer, scheduler, 2, start=0)
    save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler, extra={"epoch": 2})
    return path


def untouched(model, optimizer, scheduler):
    before = (params(model), repr(optimizer.state_dict()), repr(scheduler.state_dict()))
    return lambda: (before[0].keys() == params(model).keys()
                    and all(np.array_equal(v, params(model)[k]) for k, v in before[0].items())
                    and before[1] == repr(optimizer.state_dict()) and before[2] == repr(scheduler.state_dict()))


@pytest.mark.parametrize("change, text", [
    (lambda m, o, s: (nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1)), o, s),
     "tensor 'model.0.weight' has shape (4, 3) but the model expects (5, 3)"),
    (lambda m, o, s: (m, optim.SGD(m.parameters(), lr=0.1), s),
     "optimizer state: the checkpoint holds Adam state, but the optimizer is SGD"),
    (lambda m, o, s: (m, optim.Adam(list(m.parameters())[:2]), s),
     "optimizer state: param_groups[0] has 4 parameters saved, but the optimizer's group has 2"),
    (lambda m, o, s: (m, o, lr_scheduler.ExponentialLR(o, gamma=0.9)),
     "scheduler state: the checkpoint holds StepLR state, but the scheduler is ExponentialLR"),
])
def test_mismatched_objects_are_refused_and_left_unchanged(tmp_path, change, text):
    path = saved_run(tmp_path)
    model, optimizer, scheduler = change(*make_run(5))
    still_same = untouched(model, optimizer, scheduler)
    with pytest.raises(WeightsFileError) as info:
        load_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler)
    assert str(info.value).startswith(f"{path}: ") and text in str(info.value)
    assert still_same()


def test_missing_parts_are_refused(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model, optimizer, scheduler = make_run()
    save_checkpoint(path, model=model)
    assert load_checkpoint(path) == {}
    for part in ("optimizer", "scheduler"):
        with pytest.raises(WeightsFileError, match=f"the checkpoint has no {part} state"):
            load_checkpoint(path, **{part: locals()[part]})
    save_checkpoint(path, optimizer=optimizer)
    with pytest.raises(WeightsFileError, match="the checkpoint has no model state"):
        load_checkpoint(path, model=model)


def _edit_document(path, edit):
    """Rewrite the checkpoint's JSON document through ``edit(document)``, keeping the tensors."""
    document = json.loads(read_metadata(path)["chainrule"])
    edit(document)
    tensors = {k: safetensors.safe_open(str(path), framework="np").get_tensor(k)
               for k in safetensors.safe_open(str(path), framework="np").keys()}
    save_state_dict(tensors, path, metadata={"chainrule": json.dumps(document)})


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def edit(document):
        for k in keys[:-1]:
            document = document[k]
        document[keys[-1]] = value
    return edit


def _split_group(group):
    return [dict(group, params=group["params"][:2]), dict(group, params=group["params"][2:])]


@pytest.mark.parametrize("edit, text", [
    (_set("version", 2), "version 2 is not 'chainrule.checkpoint' version 1"),
    (_set("format", "other"), "format 'other'"),
    (_set("surprise", 1), "expected an object with keys"),
    (_set("model", "yes"), "'model' is 'yes', expected true or false"),
    (_set("extra", [1]), "'extra' is a list"),
    (_set("optimizer", "param_groups", 0, "lr", "fast"),
     "param_groups[0]['lr'] is 'fast', but the optimizer has a float"),
    (_set("optimizer", "param_groups", 0, "params", [0, 0, 1, 2]), "must be a list of distinct parameter indices"),
    (lambda d: d["optimizer"].update(param_groups=_split_group(d["optimizer"]["param_groups"][0])),
     "2 param groups saved, but the optimizer has 1"),
    (_set("optimizer", "param_groups", []),
     "tensor 'optim.0.exp_avg' is state of parameter 0, which no saved param group holds"),
    (_set("optimizer", "param_groups", 0, "betas", {"__tuple__": 3}), "'__tuple__' holds a int, expected a list"),
    (_set("optimizer", "state", {"9": {"step": 1}}), "state entry '9' is not an object for a parameter index"),
    (_set("optimizer", "class", 7), "'optimizer.class' must be a string"),
    (_set("scheduler", "state", "last_epoch", "three"), "'last_epoch' is 'three', but the scheduler has a int"),
    (_set("scheduler", "state", "gamma", {"__float__": "huge"}), "expected 'inf', '-inf' or 'nan'"),
    (_set("extra", "x", {"__tuple__": [1], "y": 2}), "mixes the tag '__tuple__' with other keys"),
    (_set("extra", {"__dict__": [[[1], 2]]}), "key [1] cannot be a dict key"),
])
def test_invalid_checkpoint_description_is_refused(tmp_path, edit, text):
    path = saved_run(tmp_path)
    _edit_document(path, edit)
    model, optimizer, scheduler = make_run(5)
    still_same = untouched(model, optimizer, scheduler)
    with pytest.raises(WeightsFileError) as info:
        load_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler)
    assert str(info.value).startswith(f"{path}: ") and text in str(info.value), str(info.value)
    assert still_same()


def test_stray_tensors_are_refused(tmp_path):
    path = saved_run(tmp_path)
    document = read_metadata(path)
    tensors = {k: safetensors.safe_open(str(path), framework="np").get_tensor(k)
               for k in safetensors.safe_open(str(path), framework="np").keys()}
    for name, text in (("weights.x", "neither 'model.<key>' nor 'optim.<index>.<name>'"),
                       ("optim.9.exp_avg", "state of parameter 9, which no saved param group holds"),
                       ("optim.x.exp_avg", "neither")):
        save_state_dict(dict(tensors, **{name: np.zeros(1, np.float32)}), path, metadata=document)
        with pytest.raises(WeightsFileError, match=text.replace("(", r"\(").replace(")", r"\)")):
            load_checkpoint(path)
