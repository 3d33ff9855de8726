"""Device code as lectures write it runs on chainrule's CPU; GPUs give one clear error (issue 20, 17)."""

import pytest
import torch

import chainrule as cr
from chainrule.devices import DeviceError

FACTORIES = [
    lambda lib, d: lib.zeros(2, 3, device=d), lambda lib, d: lib.ones(2, device=d),
    lambda lib, d: lib.empty(2, device=d), lambda lib, d: lib.full((2,), 1.5, device=d),
    lambda lib, d: lib.rand(2, device=d), lambda lib, d: lib.randn(2, device=d),
    lambda lib, d: lib.randint(0, 5, (2,), device=d), lambda lib, d: lib.randperm(4, device=d),
    lambda lib, d: lib.arange(3, device=d), lambda lib, d: lib.linspace(0, 1, 5, device=d),
    lambda lib, d: lib.eye(2, device=d), lambda lib, d: lib.tensor([1.0], device=d),
    lambda lib, d: lib.as_tensor([1.0], device=d), lambda lib, d: lib.zeros_like(lib.ones(2), device=d),
    lambda lib, d: lib.ones_like(lib.ones(2), device=d), lambda lib, d: lib.full_like(lib.ones(2), 3, device=d),
    lambda lib, d: lib.empty_like(lib.ones(2), device=d), lambda lib, d: lib.rand_like(lib.ones(2), device=d),
    lambda lib, d: lib.randn_like(lib.ones(2), device=d), lambda lib, d: lib.normal(0.0, 1.0, (2,), device=d),
]


def test_the_usual_device_lines_run():
    device = cr.device("cuda" if cr.cuda.is_available() else "cpu")
    assert device == cr.device("cpu") and str(device) == "cpu" and repr(device) == "device(type='cpu')"
    assert not cr.cuda.is_available() and cr.cuda.device_count() == 0
    assert not cr.backends.mps.is_available() and not cr.accelerator.is_available()
    cr.backends.cudnn.deterministic = True  # accepted, no effect
    cr.cuda.manual_seed_all(0)
    model = cr.nn.Linear(3, 2).to(device)
    x = cr.rand(4, 3, device=device).to(device)
    assert model(x).device == device and x.cpu() is x and x.to(device) is x
    assert x.is_cpu and not x.is_cuda and x.get_device() == -1
    cr.set_default_device("cpu")
    assert cr.get_default_device() == cr.device("cpu")
    with cr.device("cpu"):
        pass


@pytest.mark.parametrize("make", FACTORIES)
def test_every_factory_takes_a_cpu_device(make):
    for d in ("cpu", cr.device("cpu"), "cpu:0", cr.device("cpu", 0)):
        assert make(cr, d).device == cr.device("cpu")
    torch_dev = {"cpu": "cpu"}.get("cpu")
    assert make(torch, torch_dev).device == torch.device("cpu")  # the same call is valid PyTorch
    with pytest.raises(RuntimeError, match="CPU only"):
        make(cr, "cuda")


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(2).cuda(), lambda lib: lib.zeros(2).to("cuda"), lambda lib: lib.zeros(2, device="cuda"),
    lambda lib: lib.nn.Linear(2, 2).to("cuda"), lambda lib: lib.nn.Linear(2, 2).cuda(),
])
def test_asking_for_a_gpu_raises_what_cpu_only_pytorch_raises(call):
    with pytest.raises(AssertionError):  # CPU-only PyTorch: "Torch not compiled with CUDA enabled"
        call(torch)
    with pytest.raises(AssertionError, match="CPU only"):
        call(cr)
    with pytest.raises(RuntimeError):
        call(cr)


def test_device_parsing_matches_torch():
    for args in [("cpu",), ("cpu:0",), ("cuda", 1), ("cuda:2",), ("mps",)]:
        t, c = torch.device(*args), cr.device(*args)
        assert (str(c), repr(c), c.type, c.index) == (str(t), repr(t), t.type, t.index)
    for bad in ["bogus", "cpu:x"]:
        with pytest.raises(RuntimeError):
            torch.device(bad)
        with pytest.raises(RuntimeError):
            cr.device(bad)
    assert cr.device("cpu") != cr.device("cpu", 0)  # as torch
    assert hash(cr.device("cpu")) == hash(cr.device("cpu"))
    assert issubclass(DeviceError, RuntimeError) and issubclass(DeviceError, AssertionError)


def test_generator_takes_a_device():
    for g in (cr.Generator(device="cpu"), cr.Generator("cpu"), cr.Generator(device=cr.device("cpu"))):
        assert g.device == cr.device("cpu") and g.manual_seed(3) is g
    assert torch.Generator(device="cpu").device == torch.device("cpu")
    with pytest.raises(RuntimeError):
        cr.Generator(device="cuda")


def test_dir_lists_the_lazy_subpackages():
    names = dir(cr)
    for n in ("nn", "optim", "data", "utils", "save", "load", "summary", "linalg", "cuda", "backends", "device"):
        assert n in names, n
