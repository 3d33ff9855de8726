"""Run by tests/test_distributed.py under ``mpirun -n 2``: each check prints ``OK <name>`` on rank 0.

Modes: ``checks`` (collectives, DistributedSampler, DDP == one process with the whole batch for an MLP and
a CNN, SGD and Adam, no_sync),
``kill`` (rank 1 dies with SIGKILL inside a loop of collectives; the job must end, not hang),
``fit FOLDER`` (an unchanged ``fit`` call), ``fit-resume FOLDER`` (one epoch, then resumed to two),
``fit-kill FOLDER`` (rank 1 killed mid-epoch), ``fit-nan FOLDER`` (a NaN in one rank's rows stops both ranks).
"""

import os
import signal
import sys

import numpy as np

import chainrule as torch
import chainrule.distributed as dist
from chainrule import nn
from chainrule.data import DistributedSampler
from chainrule.nn.parallel import DistributedDataParallel


def say(rank, name):
    if rank == 0:
        print("OK", name, flush=True)


def check_collectives(rank, size):
    t = torch.ones(3) * (rank + 1)
    dist.all_reduce(t)
    assert t.tolist() == [3.0] * 3, t
    buf = t._data
    t = torch.full((2, 2), float(rank + 1))
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    assert np.all(t.numpy() == 1.5)
    t = torch.tensor([rank, -rank], dtype=torch.int64)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    assert t.tolist() == [1, 0], t
    t = torch.arange(6.0).reshape(2, 3).t()  # not contiguous: reduced through a copy, written back
    dist.all_reduce(t)
    assert np.array_equal(t.numpy(), 2 * np.arange(6.0).reshape(2, 3).T)
    t = torch.ones(3)
    buf = t._data
    dist.all_reduce(t)
    assert t._data is buf  # in place on the tensor's own buffer
    b = torch.arange(4.0) * (rank + 5)
    dist.broadcast(b, src=1)
    assert b.tolist() == [0.0, 6.0, 12.0, 18.0]
    out = [torch.zeros(2) for _ in range(size)]
    dist.all_gather(out, torch.ones(2) * rank)
    assert [o.tolist() for o in out] == [[0.0, 0.0], [1.0, 1.0]]
    dist.barrier()
    say(rank, "collectives")


def check_sampler(rank, size):
    s = DistributedSampler(range(11), shuffle=True, seed=3)
    s.set_epoch(2)
    mine = torch.tensor(list(s))
    out = [torch.zeros(len(s), dtype=torch.int64) for _ in range(size)]
    dist.all_gather(out, mine)
    every = np.concatenate([o.numpy() for o in out])
    assert len(s) == 6 and sorted(set(every.tolist())) == list(range(11)), every
    s.set_epoch(3)
    assert list(s) != mine.tolist()
    say(rank, "sampler")


def make_mlp():
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))


def make_cnn():
    """A small CNN without BatchNorm: BatchNorm's batch statistics are per rank (as in PyTorch's DDP), so
    a K-rank step with BatchNorm is not the one-process step on the whole batch."""
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.Tanh(),
                         nn.Flatten(), nn.Linear(6 * 2 * 2, 3))


def train(model, opt, X, Y, steps, batch):
    loss_fn = nn.CrossEntropyLoss()
    for s in range(steps):
        xb, yb = X[s * batch:(s + 1) * batch], Y[s * batch:(s + 1) * batch]
        opt.zero_grad()
        loss_fn(model(xb), yb).backward()
        opt.step()


def weights(model):
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


def check_equivalence(rank, size, optim_name, make_model, steps=6, B=16, shape=(6,), label="mlp"):
    torch.manual_seed(0)
    X, Y = torch.randn(steps * B, *shape), torch.randint(0, 3, (steps * B,))
    make_opt = {"sgd": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
                "adam": lambda ps: torch.optim.Adam(ps, lr=0.01)}[optim_name]
    torch.manual_seed(1 + rank)  # different initial weights per rank: DDP must broadcast rank 0's
    model = make_model()
    torch.manual_seed(1)
    single = make_model()  # what rank 0 starts from
    train(single, make_opt(single.parameters()), X, Y, steps, B)
    ddp = DistributedDataParallel(model, bucket_cap_mb=0.0005)  # ~500 bytes: several buckets
    assert len(ddp._buckets) > 1
    # rank r takes rows r*B/K ... of each global batch of B
    half = B // size
    idx = np.concatenate([np.arange(s * B + rank * half, s * B + (rank + 1) * half) for s in range(steps)])
    train(ddp, make_opt(ddp.parameters()), X[idx], Y[idx], steps, half)
    got, want = weights(model), weights(single)
    err = np.max(np.abs(got - want))
    assert err < 2e-6, f"{label} {optim_name}: DDP differs from one process by {err}"
    # the check can fail: without averaging the ranks' weights drift far apart from the reference
    torch.manual_seed(1)
    alone = make_model()
    train(alone, make_opt(alone.parameters()), X[idx], Y[idx], steps, half)
    assert np.max(np.abs(weights(alone) - want)) > 1e-3
    say(rank, f"equivalence-{optim_name}{'' if label == 'mlp' else '-' + label} err={err:.2e}")


def check_no_sync(rank, size):
    torch.manual_seed(5)
    X = torch.randn(8, 6)
    torch.manual_seed(1)
    single = make_mlp()
    single(X).pow(2).mean().backward()
    want = [p.grad.numpy().copy() for p in single.parameters()]
    torch.manual_seed(1)
    ddp = DistributedDataParallel(make_mlp())
    mine = X[rank * 4:(rank + 1) * 4]
    with ddp.no_sync():
        (ddp(mine[:2]).pow(2).mean() / 2).backward()
    local = [p.grad.numpy().copy() for p in ddp.parameters()]
    (ddp(mine[2:]).pow(2).mean() / 2).backward()
    for p, w in zip(ddp.parameters(), want):
        np.testing.assert_allclose(p.grad.numpy(), w, rtol=1e-5, atol=1e-7)
    assert any(not np.allclose(a, w, rtol=1e-3) for a, w in zip(local, want))  # no_sync really skipped it
    say(rank, "no_sync")


def check_kill(rank, size):
    t = torch.ones(1000)
    for i in range(10_000):
        if rank == 1 and i == 20:
            os.kill(os.getpid(), signal.SIGKILL)
        dist.all_reduce(t, op=dist.ReduceOp.AVG)
    print("rank", rank, "finished: the killed rank was not noticed", flush=True)


def fit_data(nan_at=None):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 6)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    if nan_at is not None:
        X[nan_at] = np.nan
    return X, y


def fit_run(folder, nan_at=None, epochs=2, resume=None, callbacks=None):
    """The same fit in one process (tests/test_distributed.py) and under mpirun (here): fit unchanged."""
    torch.manual_seed(0)
    model = make_mlp()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    hist = torch.train.fit(model, nn.CrossEntropyLoss(), opt, fit_data(nan_at), epochs=epochs, batch_size=16, seed=0,
                           shuffle=True, verbose=2, checkpoint=os.path.join(folder, "ckpt.safetensors"),
                           checkpoint_every=3, resume=resume, callbacks=callbacks)
    return model, hist


def check_fit(folder, resume=False):
    # no init_process_group: fit joins the group itself when mpirun started several processes
    if resume:  # one epoch, then a fresh model and optimizer continue from rank 0's checkpoint
        fit_run(folder, epochs=1)
        dist.barrier()  # rank 0 has written the checkpoint (a new mpirun job would find it there)
        model, hist = fit_run(folder, resume=True)
    else:
        model, hist = fit_run(folder)
    rank = dist.get_rank()
    np.save(os.path.join(folder, f"weights{rank}.npy"), weights(model))
    if rank == 0:
        with open(os.path.join(folder, "loss.txt"), "w") as f:
            f.write(" ".join(repr(v) for v in hist.history["loss"] + hist.history["accuracy"]))


def check_fit_kill(folder):
    from chainrule.train.callbacks.base import Callback

    class Die(Callback):  # rank 1 dies with SIGKILL mid-epoch 2, after rank 0's checkpoint at step 6
        steps = 0

        def on_train_batch_end(self, batch, logs=None):
            Die.steps += 1
            if Die.steps == 7 and dist.get_rank() == 1:
                os.kill(os.getpid(), signal.SIGKILL)

    fit_run(folder, callbacks=[Die()])
    print(f"rank {dist.get_rank()} finished: the killed rank was not noticed", flush=True)


def check_fit_nan(folder):
    try:
        fit_run(folder, nan_at=37)  # a NaN in one row: only the rank whose slice holds it sees it first
    except FloatingPointError as e:
        print(f"rank {dist.get_rank()} stopped: {type(e).__name__}: {e}", flush=True)
        return
    print(f"rank {dist.get_rank()} finished without noticing the NaN", flush=True)


def main():
    if sys.argv[1] in ("fit", "fit-resume"):
        check_fit(sys.argv[2], resume=sys.argv[1] == "fit-resume")
        return
    if sys.argv[1] == "fit-kill":
        check_fit_kill(sys.argv[2])
        return
    if sys.argv[1] == "fit-nan":
        check_fit_nan(sys.argv[2])
        return
    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    assert size == 2, size
    if sys.argv[1] == "kill":
        check_kill(rank, size)
        return
    check_collectives(rank, size)
    check_sampler(rank, size)
    for name in ("sgd", "adam"):
        check_equivalence(rank, size, name, make_mlp)
        check_equivalence(rank, size, name, make_cnn, shape=(1, 8, 8), label="cnn")
    check_no_sync(rank, size)
    dist.barrier()
    dist.destroy_process_group()
    assert not dist.is_initialized()
    say(rank, "done")


if __name__ == "__main__":
    main()
