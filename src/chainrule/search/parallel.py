"""A grid or random search spread over MPI ranks: ``mpirun -n K chainrule search ...``.

Trial ``k`` runs on rank ``k mod K``, one trial at a time per rank, each trained in its process alone
(``local_training``: no data parallelism inside a trial). Rank 0 writes its trials' run folders in the
search folder as the serial search does; the other ranks train theirs in a private temporary folder
and send the files to rank 0 with their results, so that only rank 0 writes the search folder (no
shared file system needed across machines). Rank 0 then chooses the winner exactly as the serial
search does (best validation score, the earlier trial on a tie); the rank that trained it sends its
weights and history, and rank 0 alone evaluates it once on the test set and writes the report. Every
trial uses the search's seed, so each trial, and so the winner, is the same as in the serial search
(bit for bit with a fixed BLAS thread count, e.g. ``--threads 1``).

The assignment is static (round-robin), so the ranks finish together only when trials take similar
times; a rank whose trial fails (an exception other than divergence) makes every rank stop with its
message once all have finished their share, never leaving one waiting in a collective.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path


def mpi_group():
    """The MPI communicator when ``mpirun`` started this process among K > 1 (joining the group), else None."""
    from chainrule import distributed as dist
    from chainrule.train.distributed import auto_init

    if not auto_init():
        return None
    return dist._group()


def run_parallel(comm, spec, dims, parser, search_dir: Path, configs, resolved, verbose) -> dict:
    """Run this rank's share of the trials; rank 0 gathers them and finishes the search (see the module)."""
    from chainrule.search.runner import _better, _options_text, _run_trial, finish_search
    from chainrule.train.distributed import local_training

    rank, size, metric = comm.Get_rank(), comm.Get_size(), spec["metric"]
    rows, best, error = [], None, None
    scratch = None if rank == 0 else Path(tempfile.mkdtemp(prefix=f"chainrule-search-rank{rank}-"))
    try:
        with local_training():
            for k in range(rank, len(configs), size):
                config = resolved[k]  # as in the serial search (its run folder's config.json too)
                row, kept = _run_trial(k, configs[k], config, parser, metric,
                                       run_root=None if scratch is None else scratch / "trials")
                if scratch is not None:  # the run folder's files travel to rank 0 with the row
                    row["_files"] = _read_folder(scratch / "trials" / config["name"])
                rows.append(row)
                if kept is not None and (best is None or _better(row["score"], best[0]["score"], metric)):
                    best = (row, *kept)
                if verbose and rank == 0:
                    _print_row(row, metric, _options_text, rank)
    except Exception as e:  # noqa: BLE001 - reported by every rank after the gather, so no rank hangs
        error = f"rank {rank}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    gathered = comm.gather((rows, error), root=0)
    winner = None
    if rank == 0:
        errors = [e for _, e in gathered if e]
        every = sorted((r for part, _ in gathered for r in part), key=lambda r: r["trial"])
        for row in every:
            files = row.pop("_files", None)
            if files is not None:
                _write_folder(search_dir / row["run"], files)
                if verbose:
                    _print_row(row, metric, _options_text, row["trial"] % size)
        win = None
        for row in every:  # the serial search's rule, in trial order
            if row["status"] == "ok" and (win is None or _better(row["score"], win["score"], metric)):
                win = row
        winner = None if win is None else win["trial"]
        decision = (winner, errors)
    else:
        decision = None
    winner, errors = comm.bcast(decision, root=0)
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)
    if errors:
        raise RuntimeError("parallel search failed on " + "; ".join(errors))
    owner = None if winner is None else winner % size
    if owner is not None and owner != 0 and rank == owner:
        row, config, _data, model, _loss_fn, history = best
        assert row["trial"] == winner, (row["trial"], winner)  # the best of a share is the share's earliest best
        comm.send((config, {k: v.numpy() for k, v in model.state_dict().items()}, history), dest=0)
    if rank != 0:
        for row in rows:
            row.pop("_files", None)
        return {"dir": str(search_dir), "rank": rank, "trials": rows}
    if owner not in (None, 0):
        best = _rebuild(comm.recv(source=owner), every[winner], parser)
    if winner is None:
        best = None
    elif owner == 0:
        assert best[0]["trial"] == winner, (best[0]["trial"], winner)
    return finish_search(spec, dims, parser, search_dir, every, best, verbose)


def _rebuild(message, row, parser):
    """The winner as rank 0 would hold it after training it: data, model with the sent weights, loss."""
    import chainrule as cr
    from chainrule.cli.runs import build_loss, build_model
    from chainrule.cli.train import load_data

    config, state, history = message
    data = load_data(config, parser)
    model = build_model(config)
    model.load_state_dict({k: cr.from_numpy(v) for k, v in state.items()})
    return (row, config, data, model, build_loss(config), history)


def _read_folder(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _write_folder(folder: Path, files: dict) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _print_row(row, metric, options_text, rank) -> None:
    print(f"  trial {row['trial']:3d} {options_text(row['options'])}: {metric} {row['score']:.4f} "
          f"(best epoch {row['best_epoch']}, {row['seconds']:.1f} s, rank {rank})", flush=True)
