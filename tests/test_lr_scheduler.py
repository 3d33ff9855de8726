"""Learning-rate schedulers against torch.optim.lr_scheduler: the same optimizer setup and calls in
both libraries must give the same learning rates (and momenta) at every step, to 1e-12."""

import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import optim
from chainrule.optim import lr_scheduler


def make_optimizer(lib, opt_name="SGD", lrs=(0.1, 0.05), **kwargs):
    """Two param groups with different learning rates (one parameter each, no gradients)."""
    groups = [{"params": [lib.tensor([1.0, 2.0], requires_grad=True)], "lr": lr} for lr in lrs]
    module = optim if lib is cr else torch.optim
    return getattr(module, opt_name)(groups, **kwargs)


def run_schedule(lib, make_scheduler, steps, opt_name="SGD", metrics=None, **opt_kwargs):
    """Create the scheduler, then alternate optimizer.step() / scheduler.step(); record lrs and momenta."""
    opt = make_optimizer(lib, opt_name, **opt_kwargs)
    module = lr_scheduler if lib is cr else torch.optim.lr_scheduler
    scheduler = make_scheduler(module, opt)
    record = []
    for i in range(steps + 1):
        momenta = [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]
        record.append([g["lr"] for g in opt.param_groups] + list(scheduler.get_last_lr()) + momenta)
        if i < steps:
            opt.step()
            scheduler.step(metrics[i]) if metrics is not None else scheduler.step()
    return np.array(record, dtype=np.float64), scheduler


def assert_same_schedule(make_scheduler, steps=50, **kwargs):
    ours, cr_scheduler = run_schedule(cr, make_scheduler, steps, **kwargs)
    theirs, _ = run_schedule(torch, make_scheduler, steps, **kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert cr_scheduler.last_epoch == steps
    return ours


SCHEDULES = {
    "lambda": lambda m, opt: m.LambdaLR(opt, lr_lambda=lambda epoch: 0.95**epoch / (1 + 0.1 * epoch)),
    "lambda_per_group": lambda m, opt: m.LambdaLR(opt, lr_lambda=[lambda e: 0.9**e, lambda e: 1.0 / (e + 1)]),
    "step": lambda m, opt: m.StepLR(opt, step_size=7, gamma=0.5),
    "multistep": lambda m, opt: m.MultiStepLR(opt, milestones=[5, 12, 12, 30], gamma=0.3),
    "exponential": lambda m, opt: m.ExponentialLR(opt, gamma=0.93),
    "cosine": lambda m, opt: m.CosineAnnealingLR(opt, T_max=10, eta_min=0.001),
    "cosine_default": lambda m, opt: m.CosineAnnealingLR(opt, T_max=17),
    "linear": lambda m, opt: m.LinearLR(opt, start_factor=0.25, end_factor=0.9, total_iters=8),
    "linear_default": lambda m, opt: m.LinearLR(opt),
    "one_cycle": lambda m, opt: m.OneCycleLR(opt, max_lr=[1.0, 0.5], total_steps=50),
    "one_cycle_linear_3phase": lambda m, opt: m.OneCycleLR(
        opt, max_lr=0.8, epochs=5, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear",
        three_phase=True, base_momentum=0.8, max_momentum=[0.9, 0.99], div_factor=10.0, final_div_factor=100.0),
    "one_cycle_no_momentum": lambda m, opt: m.OneCycleLR(opt, max_lr=0.3, total_steps=60, cycle_momentum=False),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_matches_torch(name):
    steps = 60 if name == "one_cycle_no_momentum" else 50
    record = assert_same_schedule(SCHEDULES[name], steps=steps, momentum=0.9)
    assert len(np.unique(record[:, 0])) > 2  # the rate did change


@pytest.mark.parametrize("name", ["one_cycle", "one_cycle_linear_3phase"])
def test_one_cycle_cycles_adam_beta1(name):
    record = assert_same_schedule(SCHEDULES[name], opt_name="Adam", betas=(0.9, 0.99))
    momenta = record[:, 4:]
    assert momenta.min() < 0.86 and momenta.max() > 0.94


def test_one_cycle_rejects_steps_beyond_total_and_optimizers_without_momentum():
    opt = make_optimizer(cr, momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        scheduler.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
        scheduler.step()
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        lr_scheduler.OneCycleLR(make_optimizer(cr, "Adagrad"), max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError, match="total_steps OR"):
        lr_scheduler.OneCycleLR(make_optimizer(cr, momentum=0.9), max_lr=0.1)
    with pytest.raises(ValueError, match="pct_start"):
        lr_scheduler.OneCycleLR(make_optimizer(cr, momentum=0.9), max_lr=0.1, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        lr_scheduler.OneCycleLR(make_optimizer(cr, momentum=0.9), max_lr=[0.1], total_steps=10)


class Chain:
    """Step several schedulers of one optimizer together (as torch's ChainedScheduler)."""

    def __init__(self, *schedulers):
        self.schedulers = schedulers

    def step(self):
        for scheduler in self.schedulers:
            scheduler.step()

    def get_last_lr(self):
        return self.schedulers[-1].get_last_lr()

    @property
    def last_epoch(self):
        return self.schedulers[-1].last_epoch


@pytest.mark.parametrize("make", [
    lambda m, opt: Chain(m.LinearLR(opt, start_factor=0.1, total_iters=5), m.ExponentialLR(opt, gamma=0.9)),
    # the second scheduler starts from a rate the first one already changed (milestone 0)
    lambda m, opt: Chain(m.MultiStepLR(opt, milestones=[0, 10], gamma=0.5), m.LinearLR(opt, start_factor=0.2),
                         m.CosineAnnealingLR(opt, T_max=12)),
], ids=["warmup-exponential", "multistep-linear-cosine"])
def test_chained_schedulers_match_torch(make):
    assert_same_schedule(make, steps=30)


# a falling metric with plateaus, relapses and improvements smaller than the default threshold (1e-4)
FALLING = [1.0, 0.99995, 0.9999, 0.99985, 0.95, 0.9499, 0.96, 0.9, 0.899, 0.8985, 0.898, 0.85, 0.8499, 0.8498,
           0.86, 0.87, 0.8, 0.79995, 0.7999, 0.7998, 0.81, 0.82, 0.83, 0.7, 0.7, 0.7, 0.69999, 0.71, 0.72, 0.73, 0.74]


@pytest.mark.parametrize("kwargs", [
    dict(patience=2),
    dict(mode="max", patience=2),
    dict(mode="min", factor=0.5, patience=1, threshold=0.01, threshold_mode="abs", cooldown=2),
    dict(mode="max", factor=0.7, patience=1, threshold=0.05, min_lr=[0.01, 0.003]),
    dict(mode="max", factor=0.5, patience=1, threshold_mode="abs", threshold=0.0, min_lr=1e-4, cooldown=1),
    dict(patience=0, factor=0.9, eps=0.007),  # eps stops group 1 at once and group 0 after a few cuts
])
def test_reduce_on_plateau_matches_torch(kwargs):
    metrics = FALLING if kwargs.get("mode", "min") == "min" else [2.0 - m for m in FALLING]
    record = assert_same_schedule(
        lambda m, opt: m.ReduceLROnPlateau(opt, **kwargs), steps=len(metrics), metrics=metrics)
    assert record[-1, 0] < record[0, 0]


def test_reduce_on_plateau_validates_arguments():
    opt = make_optimizer(cr)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode average is unknown"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="average")
    with pytest.raises(ValueError, match="threshold mode relative is unknown"):
        lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="relative")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1])


def test_construction_sets_initial_lr_and_performs_the_first_step():
    opt = make_optimizer(cr)
    scheduler = lr_scheduler.LinearLR(opt, start_factor=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert scheduler.base_lrs == [0.1, 0.05] and scheduler.last_epoch == 0
    assert scheduler.get_last_lr() == [g["lr"] for g in opt.param_groups] == [0.05, 0.025]
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(make_optimizer(cr), step_size=3, last_epoch=4)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR("sgd", step_size=3)


@pytest.mark.parametrize("name", ["step", "multistep", "exponential", "cosine", "linear", "lambda"])
def test_state_dict_round_trip_resumes_the_schedule(name):
    make = SCHEDULES[name]
    full, _ = run_schedule(cr, make, 30)
    opt = make_optimizer(cr)
    scheduler = make(lr_scheduler, opt)
    for _ in range(12):
        opt.step()
        scheduler.step()
    saved_opt, saved = opt.state_dict(), scheduler.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 12
    opt2 = make_optimizer(cr)
    scheduler2 = make(lr_scheduler, opt2)
    opt2.load_state_dict(saved_opt)
    scheduler2.load_state_dict(saved)
    for i in range(12, 30):
        opt2.step()
        scheduler2.step()
        np.testing.assert_allclose(scheduler2.get_last_lr(), full[i + 1, 2:4], rtol=1e-15)


def test_lambda_state_dict_keeps_callable_objects_and_drops_functions():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate**epoch

    scheduler = lr_scheduler.LambdaLR(make_optimizer(cr), lr_lambda=[Decay(0.5), lambda e: 1.0])
    saved = scheduler.state_dict()
    assert saved["lr_lambdas"] == [{"rate": 0.5}, None]
    scheduler2 = lr_scheduler.LambdaLR(make_optimizer(cr), lr_lambda=[Decay(0.9), lambda e: 1.0])
    scheduler2.load_state_dict(saved)
    assert scheduler2.lr_lambdas[0].rate == 0.5


def test_step_with_epoch_uses_the_closed_form_and_warns():
    results = []
    for lib, module in [(cr, lr_scheduler), (torch, torch.optim.lr_scheduler)]:
        opt = make_optimizer(lib)
        scheduler = module.CosineAnnealingLR(opt, T_max=10, eta_min=0.01)
        lrs = []
        for epoch in [3, 7, 4, 25]:
            opt.step()
            with pytest.warns(UserWarning, match="epoch parameter"):
                scheduler.step(epoch)
            lrs.append(scheduler.get_last_lr())
        results.append(lrs)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_warns_when_stepped_before_the_optimizer():
    opt = make_optimizer(cr)
    scheduler = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)`"):
        scheduler.step()
    opt = make_optimizer(cr)
    scheduler = lr_scheduler.StepLR(opt, step_size=2)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()


def test_scheduled_training_matches_torch():
    # the rate set by the scheduler really drives the updates (and Adam's betas those of OneCycleLR)
    rng = np.random.default_rng(0)
    w0, x, y = rng.normal(size=(2, 3)), rng.normal(size=(16, 3)), rng.normal(size=(16, 2))
    finals = []
    for lib, module in [(cr, optim), (torch, torch.optim)]:
        w = lib.tensor(w0.copy(), requires_grad=True)
        opt = module.Adam([w], lr=0.01)
        scheduler = module.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=30)
        for _ in range(30):
            loss = ((lib.tensor(x) @ w.T - lib.tensor(y)) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            scheduler.step()
        finals.append(w.detach().numpy() if lib is torch else w._data)
    np.testing.assert_allclose(finals[0], finals[1], rtol=1e-7)
