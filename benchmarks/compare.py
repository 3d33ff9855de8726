"""chainrule against PyTorch and JAX on one machine, in one run: speed, steadiness under load, memory.

    python benchmarks/compare.py              # everything (about 10 minutes on 2 cores)
    python benchmarks/compare.py --quick      # smaller tables (about 5 minutes)
    python benchmarks/compare.py --only race contention memory scaling overhead

Sections (each runner is in ``runners.py``, written the fastest idiomatic way for its library):

- race: MLP 784-256-10, Adam 1e-3, batch 64, Fashion-MNIST. chainrule as installed by default (numba
  Adam in one call per step, fused Linear+ReLU, adaptive BLAS threads) and with the NumPy forms (what
  runs where numba is missing), PyTorch eager,
  JAX jit (when installed). Epochs alternate between the libraries so that machine noise hits all alike;
  median s/epoch, the 95th-percentile epoch over the median, ratios, test accuracy.
- contention: the same while a competing CPU-bound process (started and stopped here) keeps one core
  busy, on a subset so that a library on the BLAS cliff cannot stall the run; chainrule also with its
  BLAS threads fixed at the machine's core count (the behaviour before the adaptive default).
- memory: peak resident memory of each library for the same training run, each in a fresh process.
- overhead: a 1,000-op chain forward and backward (``overhead.py``), and ``import`` times.
- scaling: step time against batch size and width, and against the GEMM floor (``scaling.py``).

Ratios are what to read on a shared machine; ``docs/performance.md`` says under what conditions the
published numbers were taken. ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` should be unset for all.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time

# The same allocator settings for every library (see GUIDE); memory children run as a user's process would.
if "MALLOC_TRIM_THRESHOLD_" not in os.environ and "CHAINRULE_BENCH_CHILD" not in os.environ:
    os.environ.update(MALLOC_TRIM_THRESHOLD_="1000000000", MALLOC_MMAP_THRESHOLD_="1000000000")
    os.execv(sys.executable, [sys.executable] + sys.argv)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runners  # noqa: E402


def p95(values):
    """The nearest-rank 95th percentile (the maximum for fewer than 20 values)."""
    s = sorted(values)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


DEFAULT = "chainrule (default install)"
GOALS = {"PyTorch eager": 0.5, "JAX jit": 0.9}  # issue #18: the default install's epoch against each peer's
CPU = {}  # run name -> CPU seconds (all of this process's threads) per epoch, beside the wall times


def alternate(runs, epochs, budget=None):
    """Per-epoch seconds of each run, epochs alternating; a run that has spent ``budget`` s stops early."""
    times = {r.name: [] for r in runs}
    for _ in range(epochs):
        for r in runs:
            if budget is not None and sum(times[r.name]) > budget:
                continue
            t, c = time.perf_counter(), time.process_time()
            r.epoch()
            times[r.name].append(time.perf_counter() - t)
            CPU.setdefault(r.name, []).append(time.process_time() - c)
    return times


def make_runs(X, y, seed, jax_ok, extra=()):
    runs = [runners.ChainruleRun(X, y, seed=seed, name=DEFAULT), *extra,
            runners.TorchRun(X, y, seed=seed)]
    if jax_ok:
        runs.append(runners.JaxRun(X, y, seed=seed))
    return runs


def print_table(times, title, accs=None):
    med = {k: statistics.median(v) for k, v in times.items()}
    torch_t, jax_t = med.get("PyTorch eager"), med.get("JAX jit")
    print(f"\n{title}")
    print(f"{'library':40} {'s/epoch':>8} {'p95/med':>8} {'/PyTorch':>9} {'/JAX':>6} {'CPU s':>7} {'epochs':>7}"
          + (f" {'test acc':>9}" if accs else ""))
    for name, sec in med.items():
        vs_t = f"{sec / torch_t:>9.2f}" if torch_t else " " * 9
        vs_j = f"{sec / jax_t:>6.2f}" if jax_t else " " * 6
        acc = f" {statistics.mean(accs[name]):>9.4f}" if accs else ""
        cpu = _cpu_median(name, times)
        print(f"{name:40} {sec:>8.3f} {p95(times[name]) / sec:>8.2f} {vs_t} {vs_j} {cpu:>7.3f} "
              f"{len(times[name]):>7}{acc}")
    print("s/epoch: median wall time; p95/med: the 95th-percentile epoch over the median; /PyTorch, /JAX: ratios of "
          "the medians (below 1: faster); CPU s: median CPU seconds per epoch of all the process's threads")
    return med


def race(data, args, jax_ok):
    X, y, Xt, yt = data
    X, y = X[: args.samples], y[: args.samples]
    times, accs = {}, {}
    for seed in range(args.seeds):  # each seed: a fresh model per library, epochs alternating
        extra = [runners.ChainruleRun(X, y, seed=seed, jit=False)]
        runs = make_runs(X, y, seed, jax_ok, extra)
        runs.insert(3, runners.TorchRun(X, y, seed=seed, threads=1))
        for r in runs:  # numba's kernels loaded from its disk cache (JAX compiled in its constructor): not timed
            r.steps(2)
        for name, sec in alternate(runs, args.epochs, args.budget).items():
            times.setdefault(name, []).extend(sec)
        for r in runs:
            accs.setdefault(r.name, []).append(r.accuracy(Xt, yt))
    med = print_table(times, f"MLP 784-256-10, Adam 1e-3, batch 64, Fashion-MNIST ({len(X):,}): {args.seeds} seeds x "
                      f"{args.epochs} epochs alternating; test accuracy after {args.epochs} epochs (mean over seeds)",
                      accs)
    ratio_lines(med, times, "race")


def _cpu_median(name, times):
    return statistics.median(CPU[name][-len(times[name]):])


def ratio_lines(med, times, section):
    """The figures the issue's goals are stated in, one line each, for reading without the table."""
    me = med[DEFAULT]
    for peer, goal in [*GOALS.items(), ("PyTorch eager, 1 thread(s) fixed", None)]:
        if peer in med and goal is None:
            print(f"{section}: {DEFAULT} / {peer} = {me / med[peer]:.2f} of its median epoch; CPU time "
                  f"{_cpu_median(DEFAULT, times) / _cpu_median(peer, times):.2f}")
        elif peer in med:
            r = me / med[peer]
            cpu = _cpu_median(DEFAULT, times) / _cpu_median(peer, times)
            print(f"{section}: {DEFAULT} / {peer} = {r:.2f} of its median epoch (goal <= {goal}: "
                  f"{'met' if r <= goal else 'not met'}); CPU time {cpu:.2f}")


def contention(data, args, jax_ok):
    from chainrule import threads

    X, y = data[0][: args.contention_samples], data[1][: args.contention_samples]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    fixed = runners.ChainruleRun(X, y, threads=cores, name=f"chainrule, {cores} BLAS threads fixed (before)")
    runs = make_runs(X, y, 0, jax_ok, [fixed])
    runs.insert(3, runners.TorchRun(X, y, threads=1))  # what a PyTorch user on a busy machine would do
    for r in runs:  # warm up (numba loaded, JAX compiled in its constructor) before the competitor starts
        r.epoch()
    default, g = runs[0], threads.governor
    default.steps(50)  # the adaptive default again (the fixed run turned it off), settled on the load now
    before = g.threads if g.enabled and g.lib is not None else None
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        drop = _governor_reaction(default, lambda: g.threads < before) if before and before > 1 else None
        times = alternate(runs, args.contention_epochs, budget=args.contention_budget)
        default._threads()
        during = g.threads if before is not None else None
    finally:
        busy.kill()
        busy.wait()
    back = _governor_reaction(default, lambda: g.threads >= before, limit=15.0) if before and before > 1 else None
    med = print_table(times, f"with one competing busy process: {len(X):,} samples per epoch, up to "
                      f"{args.contention_epochs} epochs alternating (a run stops after {args.contention_budget:.0f} s)")
    few = [name for name, t in times.items() if len(t) < 20]
    if few:
        print(f"(fewer than 20 epochs within the budget, so p95 is their slowest epoch: {', '.join(few)})")
    mine = times[DEFAULT]
    r = p95(mine) / med[DEFAULT]
    rank = len(mine) - max(0, math.ceil(0.95 * len(mine)) - 1)  # p95 is the rank-th slowest epoch
    which = f"{_ordinal(rank)} slowest" if rank > 1 else "slowest"
    print(f"contention: {DEFAULT} p95/median = {r:.2f} over {len(mine)} epochs (p95: the {which}; "
          f"goal <= 1.5: {'met' if r <= 1.5 else 'not met'}); median {med[DEFAULT]:.3f} s, p95 {p95(mine):.3f} s")
    if before is None:
        print("contention: the thread governor is off (fixed thread count) or found no multi-threaded BLAS")
    elif before == 1:
        print(f"contention: governor: already 1 BLAS thread before the competitor started (load average "
              f"{os.getloadavg()[0]:.1f}: the machine was busy), {during} during it; its reaction was not measurable")
    else:
        print(f"contention: governor: {before} BLAS threads before the competitor, {during} during it; "
              f"fewer threads {_seconds(drop)} after it started, {before} again {_seconds(back)} after it stopped "
              f"(load average {os.getloadavg()[0]:.1f}: other processes count too)")


def _governor_reaction(run, done, limit=5.0):
    """Seconds of chainrule training until ``done()`` holds (None if not within ``limit``; 0 if at once)."""
    t = time.perf_counter()
    while not done():
        if time.perf_counter() - t > limit:
            return None
        run.steps(10)
    return time.perf_counter() - t


def _ordinal(k):
    return {2: "2nd", 3: "3rd"}.get(k, f"{k}th")


def _seconds(t):
    return "never within the wait" if t is None else f"{t:.2f} s"


def child(lib, epochs):
    """Run in a fresh process: load the data and train ``epochs`` epochs (peak_rss_of measures it)."""
    X, y, _, _ = runners.load_data()
    cls = {"chainrule": runners.ChainruleRun, "torch": runners.TorchRun, "jax": runners.JaxRun}[lib]
    run = cls(X, y)
    if lib == "torch":  # on a busy machine its 2 threads can stall for minutes; threads barely change memory
        run.torch.set_num_threads(1)
    for _ in range(epochs):
        run.epoch()


def _user_env(**env):
    """The environment a user's run has: glibc's own allocator thresholds (they change peak memory)."""
    base = {k: v for k, v in os.environ.items() if k not in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")}
    return {**base, "CHAINRULE_BENCH_CHILD": "1", **env}


def peak_rss(lib, epochs, **env):
    return peak_rss_of([sys.executable, __file__, "--child", lib, "--epochs", str(epochs)], **env)


def peak_rss_of(cmd, **env):
    """Peak resident memory (MB) of ``cmd``, started from a small probe process: Linux carries a parent's
    peak RSS over into a child's across fork and exec, so a child of this (large) process would report
    at least this process's size."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, "
             "stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe] + cmd, check=True, capture_output=True, text=True,
                         env=_user_env(**env))
    return int(out.stdout) / 1024


def memory(args, jax_ok):
    epochs = 1 if args.quick else 2
    rows = [("chainrule (default install: numba kernels)", peak_rss("chainrule", epochs)),
            ("chainrule without numba (CHAINRULE_JIT=0)", peak_rss("chainrule", epochs, CHAINRULE_JIT="0")),
            ("PyTorch eager", peak_rss("torch", epochs))]
    if jax_ok:
        rows.append(("JAX jit", peak_rss("jax", epochs)))
    torch_mb = rows[2][1]
    print(f"\npeak resident memory, the race's training run ({epochs} epoch(s)), each library in a fresh process")
    for name, mb in rows:
        print(f"{name:42} {mb:>7.0f} MB {mb / torch_mb:>6.2f} of PyTorch's")
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), "chainrule-bench-runs")
    cmd = [sys.executable, "-m", "chainrule", "train", "--quiet", "--out", out, "--epochs", str(epochs)]
    print(f"`chainrule train --epochs {epochs}` (the CLI's default run): {peak_rss_of(cmd):.0f} MB, "
          f"{peak_rss_of(cmd, CHAINRULE_JIT='0'):.0f} MB without numba")


def import_time(module):
    def run(code):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - t

    return min(run(f"import {module}") for _ in range(5)) - min(run("pass") for _ in range(5))


def overhead(args):
    import overhead as oh
    import torch

    import chainrule as cr

    t = oh.measure({"chainrule": oh.chain_case(cr), "torch": oh.chain_case(torch)}, 15, 3)
    print(f"\nsmall-op chain (1,000 ops fwd+bwd): chainrule {t['chainrule'] * 1e3:.2f} ms, PyTorch "
          f"{t['torch'] * 1e3:.2f} ms, ratio {t['chainrule'] / t['torch']:.2f}")
    jit = "from chainrule.optim._fused import adam_kernel; adam_kernel()"
    print(f"import time: chainrule {import_time('chainrule'):.3f} s, torch {import_time('torch'):.3f} s; "
          f"loading the cached numba kernel: {import_time('chainrule; ' + jit) - import_time('chainrule'):.3f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description="chainrule vs PyTorch and JAX side by side")
    parser.add_argument("--quick", action="store_true", help="fewer epochs and smaller tables")
    parser.add_argument("--only", nargs="+", choices=["race", "contention", "memory", "overhead", "scaling"])
    parser.add_argument("--epochs", type=int, default=None,
                        help="race epochs per library and seed (10; quick 10, so that p95 is not just the slowest)")
    parser.add_argument("--seeds", type=int, default=None, help="fresh models per library (2; quick 1)")
    parser.add_argument("--samples", type=int, default=60_000, help="training images per race epoch")
    parser.add_argument("--budget", type=float, default=None, help="race: seconds per library and seed at most")
    parser.add_argument("--contention-samples", type=int, default=None, help="(10,000; quick 5,000)")
    parser.add_argument("--contention-epochs", type=int, default=None,
                        help="(40; quick 24: with fewer than 20 the nearest-rank p95 is the slowest epoch)")
    parser.add_argument("--contention-budget", type=float, default=None,
                        help="seconds per library at most (60; quick 30)")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="scaling: fix PyTorch's threads (on a busy machine its default stalls for minutes)")
    parser.add_argument("--child", choices=["chainrule", "torch", "jax"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.epochs or 1)
    args.epochs = args.epochs or 10
    args.seeds = args.seeds or (1 if args.quick else 2)
    args.contention_epochs = args.contention_epochs or (24 if args.quick else 40)
    args.contention_samples = args.contention_samples or (5_000 if args.quick else 10_000)
    args.contention_budget = args.contention_budget or (30.0 if args.quick else 60.0)
    only = set(args.only or ["race", "contention", "memory", "overhead", "scaling"])
    jax_ok = runners.have_jax()
    if not jax_ok:
        print("(JAX is not installed: its rows are left out; pip install jax jaxlib to include them)")
    import numpy as np
    import torch

    from chainrule import threads

    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start; "
          f"numpy {np.__version__}, torch {torch.__version__}, torch threads {torch.get_num_threads()}, "
          f"chainrule thread governor {'on' if threads.governor.enabled else 'off'}")
    data = runners.load_data() if only & {"race", "contention"} else None
    if "race" in only:
        race(data, args, jax_ok)
    if "contention" in only:
        contention(data, args, jax_ok)
    if "memory" in only:
        memory(args, jax_ok)
    if "overhead" in only:
        overhead(args)
    if "scaling" in only:
        import scaling

        scaling.main((["--quick"] if args.quick else [])
                     + (["--torch-threads", str(args.torch_threads)] if args.torch_threads else []))
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
