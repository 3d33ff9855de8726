"""chainrule's progress bar against tqdm.auto, the reference of issue 14: cost per step, log volume, notebooks.

    python benchmarks/progress_vs_tqdm.py            # all four measurements (about a minute)
    python benchmarks/progress_vs_tqdm.py --quick    # skip the two notebook runs

1. CPU time of one ``update`` call (no redraw: both redraw at most every 0.1 s), chainrule's ``Bar.update``
   and ``tqdm.update`` alternating in rounds, one process, ``time.process_time``.
2. Output redirected to a file (a CI log): bytes written by a 2-second loop of 4,000 steps. chainrule's
   ``fit`` draws no bar there (``is_live`` is False) and writes one line per epoch; ``tqdm.auto`` outside
   a notebook is the terminal tqdm, which redraws into the file.
3. In a Jupyter kernel (nbclient), with ipywidgets and with ipywidgets hidden: the same loop under
   ``chainrule.train.fit``'s bar and under ``tqdm.auto.tqdm``; the cell's wall time and what the executed
   notebook stores (output kinds and bytes).
4. Import time of ``tqdm.auto`` in a fresh interpreter (chainrule's bar is imported with chainrule).

tqdm is not a dependency of chainrule; this script needs it (``pip install tqdm``) and, for 3, nbclient,
ipykernel and ipywidgets (the ``test`` extra).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time

LOOP = """
import time
import numpy as np
a = np.ones((64, 64), np.float32)
def step():
    t = time.perf_counter()
    while time.perf_counter() - t < 0.0005:  # 0.5 ms of work per step, 4,000 steps: 2 s
        a @ a
"""


def per_call_cost(rounds: int = 5, calls: int = 200_000) -> dict:
    from tqdm import tqdm

    from chainrule.utils.progress import Bar

    times = {"chainrule": [], "tqdm": []}
    for _ in range(rounds):
        bar = Bar(calls, "x", file=io.StringIO(), widget=False)
        t = time.process_time()
        for i in range(calls):
            bar.update(i + 1)
        times["chainrule"].append((time.process_time() - t) / calls)
        bar = tqdm(total=calls, file=io.StringIO(), mininterval=0.1)
        t = time.process_time()
        for _ in range(calls):
            bar.update(1)
        times["tqdm"].append((time.process_time() - t) / calls)
        bar.close()
    return {k: min(v) * 1e9 for k, v in times.items()}  # ns per call


def redirected_bytes() -> dict:
    namespace: dict = {}
    exec(LOOP, namespace)
    step = namespace["step"]
    from tqdm.auto import tqdm

    from chainrule.train.callbacks import ProgressBar

    out = io.StringIO()
    for _ in tqdm(range(4000), file=out):
        step()
    tqdm_bytes = len(out.getvalue())
    out = io.StringIO()
    bar = ProgressBar(file=out)  # what fit installs; the file is not a terminal
    bar.set_params({"epochs": 1, "steps": 4000})
    bar.on_train_begin()
    bar.on_epoch_begin(0)
    for i in range(4000):
        step()
        bar.on_train_batch_end(i, {"loss": 0.5})
    bar.on_epoch_end(0, {"loss": 0.5})
    return {"tqdm": tqdm_bytes, "chainrule": len(out.getvalue())}


def in_notebook(hide_widgets: bool) -> dict:
    import nbformat
    from nbclient import NotebookClient

    hide = "import sys; sys.modules['ipywidgets'] = None\n" if hide_widgets else ""
    cells = {
        "chainrule": hide + LOOP + """
from chainrule.train.callbacks import ProgressBar
t0 = time.perf_counter()
bar = ProgressBar()
bar.set_params({"epochs": 1, "steps": 4000})
bar.on_train_begin(); bar.on_epoch_begin(0)
for i in range(4000):
    step(); bar.on_train_batch_end(i, {"loss": 0.5})
bar.on_epoch_end(0, {"loss": 0.5})
print(f"cell {time.perf_counter() - t0:.3f} s")
""",
        "tqdm.auto": hide + LOOP + """
import warnings
warnings.simplefilter("ignore")
from tqdm.auto import tqdm
t0 = time.perf_counter()
for i in tqdm(range(4000)):
    step()
print(f"cell {time.perf_counter() - t0:.3f} s")
""",
    }
    result = {}
    for name, code in cells.items():
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
        outputs = nb.cells[0].outputs
        kinds = sorted({o.get("name") or "+".join(o.get("data", {})) for o in outputs
                        if "cell " not in str(o.get("text", ""))})
        cell = next(o["text"] for o in outputs if "cell " in str(o.get("text", "")))
        result[name] = {"cell_s": float(cell.split()[1]), "stored_bytes": len(json.dumps(outputs)), "outputs": kinds}
    return result


def import_time() -> float:
    code = "import time; t = time.perf_counter(); import tqdm.auto; print(time.perf_counter() - t)"
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True) for _ in range(3)]
    return min(float(r.stdout) for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the notebook runs")
    args = parser.parse_args()
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        os.environ.pop(key, None)
    cost = per_call_cost()
    print(f"1. update() CPU cost per call: chainrule {cost['chainrule']:.0f} ns, tqdm {cost['tqdm']:.0f} ns "
          f"(ratio chainrule/tqdm {cost['chainrule'] / cost['tqdm']:.2f})")
    written = redirected_bytes()
    print(f"2. redirected to a file, 4,000 steps in ~2 s: chainrule wrote {written['chainrule']} bytes, "
          f"tqdm.auto {written['tqdm']} bytes")
    if not args.quick:
        for hide in (False, True):
            label = "without ipywidgets" if hide else "with ipywidgets"
            for name, r in in_notebook(hide).items():
                print(f"3. notebook {label}: {name:9s} cell {r['cell_s']:.2f} s, stored {r['stored_bytes']} bytes, "
                      f"outputs {r['outputs']}")
    print(f"4. import tqdm.auto: {import_time() * 1000:.0f} ms (chainrule's bar: part of import chainrule)")


if __name__ == "__main__":
    main()
