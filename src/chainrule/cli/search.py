"""``chainrule search``: grid or random search over ``chainrule train`` options (see ``chainrule.search``).

    chainrule search --name lr-width --lr 1e-4,1e-3,1e-2 --hidden '128;256,128' --dropout 0,0.2
    chainrule search --name quick --trials 8 --lr 1e-4:1e-1:log --dataset spiral --epochs 50

Options of ``chainrule train`` with a comma-separated list (``;`` for ``--hidden`` and ``--augment``)
are searched; with one value they apply to every trial. Under ``mpirun -n K`` a grid or random
search spreads its trials over the K ranks (see docs/distributed.md):

    mpirun -n 4 chainrule search --name lr-width --lr 1e-4,1e-3,1e-2 --hidden '128;256,128' --threads 1
"""

from __future__ import annotations

import argparse
import os
import sys

DESCRIPTION = (
    "Search over chainrule train options: every combination (or --trials N random draws) is trained with "
    "early stopping on the validation split; the winner is chosen on validation only and evaluated once on "
    "the test set. Writes runs/<name>/ with trials.csv, trials.md, search.png, report.md and one run folder "
    "per trial. Give train options with lists of values: --lr 1e-4,1e-3,1e-2 --hidden '128;256,128' "
    "--dropout 0,0.2 (';' separates --hidden/--augment alternatives; random search also takes LOW:HIGH and "
    "LOW:HIGH:log ranges). Under mpirun -n K the trials are spread over the K ranks; rank 0 writes the folder.")


def add_search_options(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--name", required=True, help="the search's folder name under --out")
    p.add_argument("--out", default="runs", help="parent folder (default: %(default)s)")
    p.add_argument("--trials", type=int, default=None, metavar="N",
                   help="random search with N trials (default: the full grid)")
    p.add_argument("--seed", type=int, default=0, help="data split, initialisation and draws (default: %(default)s)")
    p.add_argument("--metric", choices=("val_accuracy", "val_loss"), default=None,
                   help="what chooses the winner (default: val_accuracy; val_loss for regression)")
    p.add_argument("--retrain", action="store_true",
                   help="retrain the winner on train+validation before its one test evaluation")
    p.add_argument("--optuna", action="store_true",
                   help="Optuna's TPE sampler with median pruning (--trials, default 20); the study is kept in "
                        "study.db in the search folder, so running the same command again resumes it")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="with --optuna: N worker processes, one BLAS thread each (default: %(default)s)")
    p.add_argument("--threads", type=int, default=None, metavar="N", help="threads for matrix products")
    p.add_argument("--quiet", action="store_true", help="print only the result")
    return p


def register(commands) -> argparse.ArgumentParser:
    """Add ``search`` to the ``chainrule`` subcommands (for ``--help``); ``main`` routes it to ``run``."""
    return add_search_options(commands.add_parser("search", help="grid/random search over train options",
                                                  description=DESCRIPTION))


def run(argv) -> int:
    """``chainrule search ARGS``: returns the exit status (2: a bad specification, 1: a failure)."""
    parser = add_search_options(argparse.ArgumentParser(prog="chainrule search", description=DESCRIPTION,
                                                        allow_abbrev=False))  # train options pass through
    from chainrule.cli.ranks import parse_on_rank_zero

    args, space = parse_on_rank_zero(parser.parse_known_args, argv)
    from chainrule.search import SearchError, run_search

    if args.threads:
        import chainrule as cr

        cr.set_num_threads(args.threads)
    try:
        summary = run_search(space, name=args.name, out=args.out, trials=args.trials, seed=args.seed,
                             metric=args.metric, retrain=args.retrain, verbose=not args.quiet, optuna=args.optuna,
                             jobs=args.jobs)
        if args.quiet and "winner" in summary:  # only rank 0's summary has the winner
            w = summary["winner"]
            options = " ".join(f"{k} {v}" for k, v in w["options"].items())
            print(f"winner: trial {w['trial']} {options} ({summary['spec']['metric']} {w['score']:.4f}); "
                  f"{summary['test']['headline']}", flush=True)
    except SearchError as e:
        if _prints_errors():  # under mpirun every rank finds the same error: one message
            parser.print_usage(sys.stderr)
            print(f"chainrule search: error: {e}", file=sys.stderr)
        else:
            _let_rank_zero_print()
        return 2
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError, ImportError, RuntimeError) as e:
        if os.environ.get("CHAINRULE_DEBUG"):
            raise
        if _prints_errors():  # a parallel search's failure names every rank's error already
            print(f"chainrule search: error: {str(e).splitlines()[0]}", file=sys.stderr)
        else:
            _let_rank_zero_print()
        return 1
    return 0


def _let_rank_zero_print():
    """A silent rank waits a moment before exiting, because mpirun ends every rank once one exits non-zero:
    rank 0, which finds the same error at about the same time, gets to print it first."""
    import time

    time.sleep(1.0)


def _prints_errors() -> bool:
    """Whether this process reports errors: rank 0 of the group, or of ``mpirun``'s ranks when the group is
    not up yet (a bad specification is found before it joins), or a single process."""
    from chainrule import distributed as dist
    from chainrule.train.distributed import is_rank_zero

    if dist.is_initialized():
        return is_rank_zero()
    from chainrule.cli.ranks import launcher_rank

    return launcher_rank() == 0
