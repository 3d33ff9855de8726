"""Cost of a 25x25 loss-landscape grid for the default MLP (hidden 256,128) on 2,000 samples.

    PYTHONPATH=src python benchmarks/landscape_cost.py [resolution] [toy|image]

``toy``: 2-256-128-2 on the spiral; ``image``: the `chainrule train` default 784-256-128-10 on 2,000
random 28x28 inputs (the cost does not depend on the pixel values).

Prints wall-clock and process CPU seconds (CPU time is steadier on a shared machine).
"""

import sys
import time

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.data.datasets.toy import spiral
from chainrule.models import mlp
from chainrule.viz.landscape import filter_normalized_direction, loss_surface

res = int(sys.argv[1]) if len(sys.argv) > 1 else 25
image = len(sys.argv) > 2 and sys.argv[2] == "image"
if image:
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((2000, 784)).astype(np.float32), rng.integers(0, 10, 2000)
else:
    X, y = spiral(2000, noise=0.1, seed=0)
cr.manual_seed(0)
model = mlp(X.shape[1], (256, 128), int(y.max()) + 1, "relu", dropout=0.2)
rng = np.random.default_rng(0)
d1, d2 = filter_normalized_direction(model, rng), filter_normalized_direction(model, rng)
grid = np.linspace(-1, 1, res)
wall, cpu = time.perf_counter(), time.process_time()
loss_surface(model, nn.CrossEntropyLoss(), X, y, d1, d2, grid, grid)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
sizes = f"{X.shape[1]}-256-128-{int(y.max()) + 1}"
print(f"{res}x{res} grid, MLP {sizes}, 2000 samples: {wall:.1f} s wall, {cpu:.1f} s CPU "
      f"({1e3 * wall / res ** 2:.1f} ms per point)")
