"""Before/after of a change: two git revisions of chainrule measured side by side in one process.

    python benchmarks/revisions.py main HEAD                # the 1,000-op chain and an MLP epoch
    python benchmarks/revisions.py main WORKTREE --pairs 400 --case chain

Each revision is exported (``git archive``) into a temporary folder as its own package, so both are
imported at once; every pair of runs goes back to back in alternating order, and the report is the
median of the per-pair ratios (after / before, below 1 is faster). Times are CPU time of this process
with one BLAS thread by default, which a busy shared machine disturbs far less than wall time;
``--wall`` measures wall time with the installed BLAS threading instead. ``WORKTREE`` is the working
tree as it is, uncommitted changes included.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if "MALLOC_TRIM_THRESHOLD_" not in os.environ:  # freed temporaries stay mapped (see overhead.py)
    os.environ.update(MALLOC_TRIM_THRESHOLD_="1000000000", MALLOC_MMAP_THRESHOLD_="1000000000")
    if "--wall" not in sys.argv:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
import overhead  # noqa: E402


def export(revision: str, folder: Path, name: str) -> None:
    """chainrule at ``revision`` (or the working tree) as the package ``name`` inside ``folder``."""
    target = folder / name
    if revision == "WORKTREE":
        shutil.copytree(ROOT / "src" / "chainrule", target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "src/chainrule"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        (folder / "src" / "chainrule").rename(target)
    for path in target.rglob("*.py"):
        path.write_text(re.sub(r"\bchainrule\b", name, path.read_text()))


def epoch_case(lib, n: int = 3200, batch: int = 64):
    """One epoch of the lectures' loop: a 784-256-10 MLP, Adam, cross-entropy, batches of 64."""
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((n, 784)).astype(np.float32), rng.integers(0, 10, n)
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(784, 256), lib.nn.ReLU(), lib.nn.Linear(256, 10))
    optimizer, loss_fn = lib.optim.Adam(model.parameters(), lr=1e-3), lib.nn.CrossEntropyLoss()
    batches = [(lib.from_numpy(X[i:i + batch]), lib.from_numpy(Y[i:i + batch])) for i in range(0, n, batch)]

    def run():
        for x, y in batches:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run


def paired(before, after, pairs: int, clock) -> tuple[float, float, float]:
    """Median times of both and the median of the per-pair ratios after / before."""
    before(), after()  # warm up
    tb, ta, ratios = [], [], []
    for i in range(pairs):
        first, second = (before, after) if i % 2 == 0 else (after, before)
        t0 = clock()
        first()
        t1 = clock()
        second()
        t2 = clock()
        b, a = (t1 - t0, t2 - t1) if i % 2 == 0 else (t2 - t1, t1 - t0)
        tb.append(b)
        ta.append(a)
        ratios.append(a / b)
    return statistics.median(tb), statistics.median(ta), statistics.median(ratios)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="a git revision (main, HEAD~3, a hash) or WORKTREE")
    parser.add_argument("after", help="a git revision or WORKTREE")
    parser.add_argument("--pairs", type=int, default=None, help="pairs of runs (default 300 chain, 20 epoch)")
    parser.add_argument("--case", choices=("chain", "epoch", "both"), default="both")
    parser.add_argument("--wall", action="store_true", help="wall time with the installed BLAS threads")
    args = parser.parse_args(argv)
    clock = time.perf_counter if args.wall else time.process_time
    with tempfile.TemporaryDirectory() as tmp:
        export(args.before, Path(tmp), "chainrule_before")
        export(args.after, Path(tmp), "chainrule_after")
        sys.path.insert(0, tmp)
        before, after = importlib.import_module("chainrule_before"), importlib.import_module("chainrule_after")
        cases = {"chain": ("1,000-op chain, fwd+bwd", overhead.chain_case, 300),
                 "epoch": ("MLP 784-256-10 epoch, 3,200 samples", epoch_case, 20)}
        for key in (("chain", "epoch") if args.case == "both" else (args.case,)):
            label, make, default_pairs = cases[key]
            tb, ta, ratio = paired(make(before), make(after), args.pairs or default_pairs, clock)
            print(f"{label:38} {args.before}: {tb * 1e3:9.2f} ms   {args.after}: {ta * 1e3:9.2f} ms   "
                  f"after/before {ratio:.3f}")
    print(f"({'wall' if args.wall else 'CPU'} time, medians; the ratio is the median of the paired ratios)")


if __name__ == "__main__":
    main()
