"""chainrule.distributed, DistributedDataParallel and DistributedSampler.

The multi-rank checks run ``mpirun -n 2`` on tests/distributed_worker.py (skipped, with the reason,
where Open MPI or mpi4py is missing); a timeout makes a hung collective fail instead of hanging CI.
"""

import sys
from pathlib import Path

import pytest
from helpers import mpirun

import chainrule as torch
import chainrule.distributed as dist
from chainrule.data import DistributedSampler

HERE = Path(__file__).resolve().parent
WORKER = HERE / "distributed_worker.py"


def test_two_ranks_match_one_process():
    rc, out = mpirun("checks")
    assert rc == 0, out
    for name in ("collectives", "sampler", "equivalence-sgd", "equivalence-adam", "equivalence-sgd-cnn",
                 "equivalence-adam-cnn", "no_sync", "done"):
        assert f"OK {name}" in out, out


def test_killed_rank_ends_the_job():
    rc, out = mpirun("kill", timeout=60)
    assert rc != 0, out
    assert "signal 9" in out or "Killed" in out, out
    assert "finished" not in out


def test_killed_rank_in_fit_ends_the_job_and_keeps_the_checkpoint(tmp_path):
    from chainrule.train.callbacks.backup_and_restore import read_state

    rc, out = mpirun("fit-kill", tmp_path, timeout=60)
    assert rc != 0 and "finished" not in out, out
    assert "signal 9" in out or "Killed" in out, out
    state = read_state(tmp_path / "ckpt.safetensors")  # rank 0's last checkpoint: complete and readable
    assert (state["epoch"], state["global_step"]) == (1, 6), state


def test_without_init_group_calls_fail_clearly():
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.get_rank()
    with pytest.raises(RuntimeError, match="init_process_group"):
        torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="backend='mpi'"):
        dist.init_process_group("nccl")


def test_distributed_sampler_partitions_and_pads():
    shares = [list(DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
    assert shares == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]  # padded with the first indices
    shares = [list(DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False, drop_last=True))
              for r in range(3)]
    assert shares == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    a = [DistributedSampler(range(9), num_replicas=2, rank=r, seed=4) for r in range(2)]
    for s in a:
        s.set_epoch(1)
    e1 = [list(s) for s in a]
    assert sorted(set(e1[0]) | set(e1[1])) == list(range(9)) and len(e1[0]) == len(e1[1]) == 5
    for s in a:
        s.set_epoch(2)
    assert [list(s) for s in a] != e1
    with pytest.raises(ValueError, match="rank"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))


def test_distributed_sampler_in_a_dataloader():
    ds = torch.data.TensorDataset(torch.arange(7.0))
    loader = torch.data.DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds, 2, 1, shuffle=False))
    assert [b[0].tolist() for b in loader] == [[1.0, 3.0], [5.0, 0.0]]


@pytest.mark.parametrize("mode", ["fit", "fit-resume"])
def test_fit_under_mpirun_matches_one_process(tmp_path, mode):
    import numpy as np

    sys.path.insert(0, str(HERE))
    try:
        import distributed_worker as worker
    finally:
        sys.path.remove(str(HERE))
    (tmp_path / "k2").mkdir()
    rc, out = mpirun(mode, tmp_path / "k2", timeout=120)
    assert rc == 0, out
    assert out.count("Epoch 2/2") == 1, out  # only rank 0 prints
    model, hist = worker.fit_run(str(tmp_path))
    want = worker.weights(model)
    for rank in (0, 1):
        got = np.load(tmp_path / "k2" / f"weights{rank}.npy")
        assert np.max(np.abs(got - want)) < 1e-6, rank
    logged = [float(v) for v in (tmp_path / "k2" / "loss.txt").read_text().split()]
    np.testing.assert_allclose(logged, hist.history["loss"] + hist.history["accuracy"], rtol=1e-6)
    assert sorted(p.name for p in (tmp_path / "k2").iterdir()) == [
        "ckpt.safetensors", "loss.txt", "weights0.npy", "weights1.npy"]  # one checkpoint, by rank 0


def test_fit_non_finite_guard_stops_every_rank(tmp_path):
    rc, out = mpirun("fit-nan", tmp_path, timeout=120)
    assert rc == 0, out
    for rank in (0, 1):
        assert f"rank {rank} stopped: NonFiniteError: fit: the loss is nan" in out, out
    assert "without noticing" not in out


def test_chainrule_train_under_mpirun(tmp_path):
    import csv

    from chainrule.cli import main

    argv = ["--dataset", "circle", "--epochs", "2", "--hidden", "16", "--dropout", "0", "--out", str(tmp_path),
            "--seed", "0"]
    rc, out = mpirun("-m", "chainrule", "train", *argv, "--name", "k2", script=None, timeout=120)
    assert rc == 0, out
    assert out.count("Training an MLP") == 1 and out.count("wrote ") == 1, out  # rank 0 alone prints
    assert main(["train", *argv, "--name", "k1", "--quiet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k1", "k2"]  # one run folder from the K=2 job
    k1, k2 = (list(csv.DictReader(open(tmp_path / name / "metrics.csv"))) for name in ("k1", "k2"))
    assert len(k1) == len(k2) == 2
    for a, b in zip(k1, k2):
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert abs(float(a[key]) - float(b[key])) < 1e-5, (key, a, b)
