"""The reference CNN in chainrule and PyTorch, side by side in one process.

    python benchmarks/cnn.py                 # epoch ratio, per-layer profile, scaling, peak memory
    python benchmarks/cnn.py --quick         # only the epoch ratio: median of 3 alternating epochs each
    python benchmarks/cnn.py --only epoch --epochs 5
    python benchmarks/cnn.py --only layers   # or: scaling, memory
    python benchmarks/cnn.py --threads 1     # both libraries on one thread (steadier on a busy machine)

Model (issue 9): conv3x3(32)-ReLU-maxpool2, conv3x3(64)-ReLU-maxpool2, fc128-ReLU, fc10; Adam 1e-3,
batch 64, Fashion-MNIST, float32. Each library runs its idiomatic eager loop over in-memory float32
tensors; epochs alternate between the libraries (so load on the machine hits both alike) and the
median is reported with test accuracy. Ratios are chainrule / PyTorch: below 1 means chainrule is faster.

- layers: forward + backward of each layer alone at the reference shapes (CPU time, median of alternating runs).
- scaling: training-step CPU time against batch size (16, 64, 256) and image size (28, 56, 112).
- memory: peak resident memory of 20 training steps, each library in a fresh child process, minus
  the same process's footprint before the first step.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

if "MALLOC_TRIM_THRESHOLD_" not in os.environ:  # same allocator settings for every library (see GUIDE)
    os.environ.update(MALLOC_TRIM_THRESHOLD_="1000000000", MALLOC_MMAP_THRESHOLD_="1000000000")
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402

BATCH, LR = 64, 1e-3


def reference_cnn(lib, size=28):
    side = ((size - 2) // 2 - 2) // 2
    return lib.Sequential(lib.Conv2d(1, 32, 3), lib.ReLU(), lib.MaxPool2d(2), lib.Conv2d(32, 64, 3), lib.ReLU(),
                          lib.MaxPool2d(2), lib.Flatten(), lib.Linear(64 * side * side, 128), lib.ReLU(),
                          lib.Linear(128, 10))


def load_data():
    from chainrule.data.datasets import FashionMNIST

    train, test = FashionMNIST(train=True), FashionMNIST(train=False)
    X = (train.data.numpy().astype(np.float32) / 255)[:, None]
    Xt = (test.data.numpy().astype(np.float32) / 255)[:, None]
    return X, train.targets.numpy(), Xt, test.targets.numpy()


class ChainruleRun:
    name = "chainrule"

    def __init__(self, X, y, seed=0, batch=BATCH, size=28):
        cr.manual_seed(seed)
        self.model = reference_cnn(nn, size)
        self.opt = cr.optim.Adam(self.model.parameters(), lr=LR)
        self.loss_fn = nn.CrossEntropyLoss()
        self.X, self.y, self.batch = X, y, batch
        self.rng = np.random.default_rng(seed)

    def steps(self, n=None):
        model, opt, loss_fn, batch = self.model, self.opt, self.loss_fn, self.batch
        model.train()
        perm = self.rng.permutation(len(self.X))
        stop = len(perm) if n is None else n * batch
        for i in range(0, stop, batch):
            idx = perm[i:i + batch]
            loss = loss_fn(model(cr.from_numpy(self.X[idx])), cr.from_numpy(self.y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()

    def accuracy(self, Xt, yt):
        self.model.eval()
        with cr.no_grad():
            pred = np.concatenate([self.model(cr.from_numpy(Xt[i:i + 1000])).argmax(1).numpy()
                                   for i in range(0, len(Xt), 1000)])
        return float((pred == yt).mean())


class TorchRun:
    name = "PyTorch eager"

    def __init__(self, X, y, seed=0, batch=BATCH, size=28):
        import torch

        self.torch = torch
        torch.manual_seed(seed)
        self.model = reference_cnn(torch.nn, size)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.X, self.y, self.batch = torch.from_numpy(X), torch.from_numpy(y), batch

    def steps(self, n=None):
        torch, model, opt, loss_fn, batch = self.torch, self.model, self.opt, self.loss_fn, self.batch
        model.train()
        perm = torch.randperm(len(self.X))
        stop = len(perm) if n is None else n * batch
        for i in range(0, stop, batch):
            idx = perm[i:i + batch]
            loss = loss_fn(model(self.X[idx]), self.y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

    def accuracy(self, Xt, yt):
        self.model.eval()
        with self.torch.no_grad():
            return float((self.model(self.torch.from_numpy(Xt)).argmax(1).numpy() == yt).mean())


def alternate(runs, reps, fn, cpu=None):
    """Median seconds of ``fn(run)`` per run, the runs taking turns ``reps`` times.

    Wall-clock seconds; pass a dict as ``cpu`` to also get each run's median CPU seconds (this process's
    user + system time, all threads), the steadier measure on a machine other processes keep busy.
    """
    times = {r.name: [] for r in runs}
    cpus = {r.name: [] for r in runs}
    for _ in range(reps):
        for r in runs:
            t, c = time.perf_counter(), time.process_time()
            fn(r)
            cpus[r.name].append(time.process_time() - c)
            times[r.name].append(time.perf_counter() - t)
    if cpu is not None:
        cpu.update({k: statistics.median(v) for k, v in cpus.items()})
    return {k: statistics.median(v) for k, v in times.items()}


def bench_epoch(epochs, steps=None):
    X, y, Xt, yt = load_data()
    runs = [ChainruleRun(X, y), TorchRun(X, y)]
    cpu = {}
    t = alternate(runs, epochs, lambda r: r.steps(steps), cpu)
    a, b = t["chainrule"], t["PyTorch eager"]
    what = "epochs" if steps is None else f"blocks of {steps} steps"
    print(f"\n## Reference CNN training (batch {BATCH}, median of {epochs} alternating {what})\n")
    print("| | chainrule | PyTorch eager | ratio |\n|---|---:|---:|---:|")
    label = "epoch" if steps is None else f"{steps} steps"
    print(f"| {label}, wall clock | {a:.2f} s | {b:.2f} s | {a / b:.2f} |")
    print(f"| {label}, CPU time | {cpu['chainrule']:.2f} s | {cpu['PyTorch eager']:.2f} s | "
          f"{cpu['chainrule'] / cpu['PyTorch eager']:.2f} |")
    if steps is None:
        accs = [r.accuracy(Xt, yt) for r in runs]
        print(f"| test accuracy after {epochs} epochs | {accs[0]:.4f} | {accs[1]:.4f} | |")
    print(f"\nmedian {label} ratio chainrule / PyTorch: {a / b:.2f} wall clock "
          f"({cpu['chainrule'] / cpu['PyTorch eager']:.2f} CPU time)")


LAYERS = [  # name, builder, input shape at batch 64
    ("conv1 1->32, 28x28", lambda lib: lib.Conv2d(1, 32, 3), (1, 28, 28), False),
    ("relu1", lambda lib: lib.ReLU(), (32, 26, 26), True),
    ("maxpool1 26->13", lambda lib: lib.MaxPool2d(2), (32, 26, 26), True),
    ("conv2 32->64, 13x13", lambda lib: lib.Conv2d(32, 64, 3), (32, 13, 13), True),
    ("relu2", lambda lib: lib.ReLU(), (64, 11, 11), True),
    ("maxpool2 11->5", lambda lib: lib.MaxPool2d(2), (64, 11, 11), True),
    ("fc1 1600->128", lambda lib: lib.Linear(1600, 128), (1600,), True),
]


class Step:
    def __init__(self, name, fn):
        self.name, self.fn = name, fn


def bench_layers(reps):
    import torch

    rng = np.random.default_rng(0)
    print(f"\n## Per-layer forward + backward, batch {BATCH} (CPU time, median of {reps} alternating runs of 10)\n")
    print("| layer | chainrule ms | PyTorch ms | ratio |\n|---|---:|---:|---:|")
    tot = [0.0, 0.0]
    for name, build, shape, needs_input_grad in LAYERS:
        x = rng.standard_normal((BATCH, *shape)).astype(np.float32)
        layer, t_layer = build(nn), build(torch.nn)
        if x.ndim == 4:  # as in the network, where a conv output is channels-last in memory (see ops/conv.py)
            x_cr = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        else:
            x_cr = x
        xc = cr.from_numpy(x_cr).requires_grad_(needs_input_grad)
        xt = torch.tensor(x, requires_grad=needs_input_grad)

        def run_cr(layer=layer, xc=xc):
            for _ in range(10):
                out = layer(xc)
                out.backward(cr.ones_like(out))

        def run_torch(t_layer=t_layer, xt=xt):
            for _ in range(10):
                out = t_layer(xt)
                out.backward(torch.ones_like(out))

        t = {}
        alternate([Step("cr", run_cr), Step("torch", run_torch)], reps, lambda s: s.fn(), t)
        a, b = t["cr"] * 100, t["torch"] * 100  # CPU ms per call
        tot[0] += a
        tot[1] += b
        print(f"| {name} | {a:.2f} | {b:.2f} | {a / b:.2f} |")
    print(f"| **sum** | {tot[0]:.2f} | {tot[1]:.2f} | {tot[0] / tot[1]:.2f} |")


def bench_scaling(reps):
    rng = np.random.default_rng(0)
    print(f"\n## Scaling: training-step CPU time (ms, median of {reps} alternating runs of 5 steps)\n")
    print("| batch | image | chainrule ms | PyTorch ms | ratio |\n|---:|---:|---:|---:|---:|")
    for batch, size in ((16, 28), (64, 28), (256, 28), (64, 56), (64, 112)):
        X = rng.random((batch * 5, 1, size, size), dtype=np.float32)
        y = rng.integers(0, 10, len(X))
        runs = [ChainruleRun(X, y, batch=batch, size=size), TorchRun(X, y, batch=batch, size=size)]
        t = {}
        alternate(runs, reps, lambda r: r.steps(5), t)
        a, b = t["chainrule"] * 200, t["PyTorch eager"] * 200  # CPU ms per step
        print(f"| {batch} | {size}x{size} | {a:.1f} | {b:.1f} | {a / b:.2f} |")


_MEMORY_CHILD = """
import sys
import numpy as np
sys.path.insert(0, {here!r})
import cnn
lib = sys.argv[1]
X = np.random.default_rng(0).random((64 * 20, 1, 28, 28), dtype=np.float32)
y = np.random.default_rng(0).integers(0, 10, len(X))
run = (cnn.ChainruleRun if lib == "chainrule" else cnn.TorchRun)(X, y)
run.steps(1)

def status(key):  # kB from /proc/self/status (ru_maxrss would include the parent's peak: it survives exec)
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key))

before = status("VmRSS:")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the high-water mark to the current RSS
run.steps(20)
print(before / 1024, status("VmHWM:") / 1024)
"""


def bench_memory():
    here = os.path.dirname(os.path.abspath(__file__))
    code = _MEMORY_CHILD.format(here=here)
    print("\n## Peak memory of training steps (batch 64, fresh process each)\n")
    print("| library | RSS after 1 step (MB) | peak during 20 more steps (MB) | growth (MB) |\n|---|---:|---:|---:|")
    for lib in ("chainrule", "torch"):
        out = subprocess.run([sys.executable, "-c", code, lib], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        before, peak = (float(v) for v in out.stdout.split())
        print(f"| {lib} | {before:.0f} | {peak:.0f} | {peak - before:.0f} |")
    import tracemalloc

    X = np.random.default_rng(0).random((64 * 3, 1, 28, 28), dtype=np.float32)
    run = ChainruleRun(X, np.zeros(len(X), dtype=np.int64))
    run.steps(1)
    tracemalloc.start()
    run.steps(1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\nchainrule NumPy allocations live at the peak of one training step: {peak / 2**20:.1f} MiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("epoch", "layers", "scaling", "memory"), action="append")
    parser.add_argument("--quick", action="store_true",
                        help="only the epoch ratio, 3 alternating epochs per library (--only epoch --epochs 3)")
    parser.add_argument("--epochs", type=int, default=None, help="alternating epochs per library (default 5)")
    parser.add_argument("--steps", type=int, default=None,
                        help="time blocks of this many steps instead of whole epochs (a quick, busy-machine mode)")
    parser.add_argument("--reps", type=int, default=7, help="alternating repetitions for layers/scaling")
    parser.add_argument("--threads", type=int, default=None, help="threads for both libraries (default: 2)")
    args = parser.parse_args()
    import torch

    threads = args.threads or 2
    torch.set_num_threads(threads)
    cr.set_num_threads(threads)
    print(f"chainrule {cr.__version__}, PyTorch {torch.__version__}, NumPy {np.__version__}, {threads} threads")
    if args.quick:
        args.only, args.epochs = ["epoch"], 3 if args.epochs is None else args.epochs
    parts = args.only or ["layers", "scaling", "memory", "epoch"]
    if "layers" in parts:
        bench_layers(args.reps)
    if "scaling" in parts:
        bench_scaling(args.reps)
    if "memory" in parts:
        bench_memory()
    if "epoch" in parts:
        bench_epoch(args.epochs or 5, args.steps)


if __name__ == "__main__":
    main()
