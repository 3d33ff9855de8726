"""Export a playground session: a runnable chainrule script, and the trained weights as safetensors.

The script rebuilds the same data (same generator, seed, noise and split), the same features, network,
loss and optimizer, and trains it for as many epochs as the session has (at least 100). The weights use
the names of that script's ``nn.Sequential`` (``0.weight``, ``0.bias``, ``2.weight``, ...; a hidden
layer with dropout has one more module), so ``model.load_state_dict(chainrule.io.load_state_dict(...))``
restores them there.
"""

from __future__ import annotations

import numpy as np

from chainrule.playground.session import OPTIMIZERS, Session

__all__ = ["python_script", "safetensors_bytes", "sequential_modules"]

_FEATURE_CODE = {"x1": "X[:, 0]", "x2": "X[:, 1]", "x1sq": "X[:, 0] ** 2", "x2sq": "X[:, 1] ** 2",
                 "x1x2": "X[:, 0] * X[:, 1]", "sinx1": "np.sin(X[:, 0])", "sinx2": "np.sin(X[:, 1])"}
_OPTIMIZER_CODE = {
    "sgd": "optim.SGD(params, lr={lr})", "momentum": "optim.SGD(params, lr={lr}, momentum=0.9)",
    "nesterov": "optim.SGD(params, lr={lr}, momentum=0.9, nesterov=True)",
    "adagrad": "optim.Adagrad(params, lr={lr})", "adadelta": "optim.Adadelta(params, lr={lr})",
    "rmsprop": "optim.RMSprop(params, lr={lr})", "adam": "optim.Adam(params, lr={lr})",
    "nadam": "optim.NAdam(params, lr={lr})",
}
_ACTIVATION_CODE = {"relu": "nn.ReLU()", "tanh": "nn.Tanh()", "sigmoid": "nn.Sigmoid()", "linear": "nn.Identity()"}
assert set(_OPTIMIZER_CODE) == set(OPTIMIZERS)


def python_script(session: Session) -> str:
    """The chainrule program that rebuilds and retrains ``session``'s network, as text."""
    cfg = session.config
    problem = cfg["problem"]
    if cfg["dataset"] == "csv":  # the uploaded rows themselves, scaled as the playground used them
        X, y = session.custom
        data = (f"X = np.array({np.round(X.astype(float), 6).tolist()}, dtype=np.float32)\n"
                f"y = np.array({y.tolist()})\n"
                f"order = np.random.default_rng({cfg['seed']}).permutation(len(X))\nX, y = X[order], y[order]")
    elif problem == "multiclass":
        data = (f"from chainrule.playground.multiclass import {cfg['dataset']}\n\n"
                f"X, y = {cfg['dataset']}(500, classes={cfg['classes']}, noise={cfg['noise'] / 100!r}, "
                f"seed={cfg['seed']})")
    else:
        data = (f"from chainrule.data.datasets.toy import {cfg['dataset']}\n\n"
                f"X, y = {cfg['dataset']}(500, noise={cfg['noise'] / 100!r}, seed={cfg['seed']})")
    if problem == "multiclass":
        outputs, loss, target = cfg["classes"], "nn.CrossEntropyLoss()", "torch.from_numpy(y.astype(np.int64))"
    else:
        outputs, target = 1, "torch.from_numpy(y.astype(np.float32).reshape(-1, 1))"
        loss = "nn.BCEWithLogitsLoss()" if problem == "classification" else "nn.MSELoss()"
    layers = sequential_modules(cfg, outputs)
    reseed = f"torch.manual_seed({cfg['seed'] + 1})  # dropout's random stream, as the playground's\n" \
        if any(cfg["dropout"]) else ""
    features = ", ".join(_FEATURE_CODE[f] for f in cfg["features"])
    reg = ""
    if cfg["regularization"] != "none" and cfg["reg_rate"]:
        term = "w.abs().sum()" if cfg["regularization"] == "L1" else "(w * w).sum() * 0.5"
        reg = (f"\n        loss = loss + {cfg['reg_rate']!r} * sum({term} for name, w in model.named_parameters()"
               " if name.endswith('weight'))")
    half = " * 0.5" if problem == "regression" else ""
    init = {
        "pytorch": "",
        "he": "nn.init.kaiming_normal_(layer.weight, nonlinearity='relu')\n            nn.init.zeros_(layer.bias)",
        "xavier": "nn.init.xavier_uniform_(layer.weight)\n            nn.init.zeros_(layer.bias)",
        "playground": "nn.init.uniform_(layer.weight, -0.5, 0.5)\n            nn.init.constant_(layer.bias, 0.1)",
    }[cfg["init"]]
    if init:
        init = ("\nwith torch.no_grad():\n    for layer in model:\n        if isinstance(layer, nn.Linear):\n"
                f"            {init}")
    return f'''"""A network exported from the chainrule playground: {problem}, dataset {cfg["dataset"]}.

Run it with: python this_file.py
"""
import numpy as np

import chainrule as torch
import chainrule.nn as nn
import chainrule.optim as optim
{data}

EPOCHS = {max(100, session.epoch)}
BATCH_SIZE = {cfg["batch_size"]}
n_train = int(round(len(X) * {cfg["train_ratio"]} / 100))
inputs = torch.from_numpy(np.stack([{features}], axis=1).astype(np.float32))
target = {target}

torch.manual_seed({cfg["seed"]})
model = nn.Sequential({", ".join(layers)}){init}
{reseed}params = list(model.parameters())
optimizer = {_OPTIMIZER_CODE[cfg["optimizer"]].format(lr=cfg["learning_rate"])}
loss_fn = {loss}

for epoch in range(EPOCHS):
    order = np.random.default_rng({cfg["seed"]} + epoch).permutation(n_train)
    for start in range(0, n_train, BATCH_SIZE):
        idx = torch.from_numpy(order[start:start + BATCH_SIZE])
        loss = loss_fn(model(inputs[idx]), target[idx]){half}{reg}
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

model.eval()  # no dropout while measuring
with torch.no_grad():
    train_loss = float(loss_fn(model(inputs[:n_train]), target[:n_train]).item()){half}
    test_loss = float(loss_fn(model(inputs[n_train:]), target[n_train:]).item()){half}
print(f"after {{EPOCHS}} epochs: training loss {{train_loss:.4f}}, test loss {{test_loss:.4f}}")
'''


def safetensors_bytes(session: Session) -> bytes:
    """The session's weights as a safetensors file, named as in the exported script's ``nn.Sequential``."""
    try:
        from safetensors.numpy import save
    except ImportError as e:
        raise ImportError("exporting weights needs safetensors: pip install 'chainrule[safe]'") from e
    with session.lock:
        tensors = {}
        modules = sequential_modules(session.config, session.layers[-1].out_features)
        index = [i for i, m in enumerate(modules) if m.startswith("nn.Linear")]
        for i, layer in zip(index, session.layers):
            tensors[f"{i}.weight"] = layer.weight.detach().numpy().copy()
            tensors[f"{i}.bias"] = layer.bias.detach().numpy().copy()
    return save(tensors, metadata={"format": "pt", "producer": "chainrule playground"})


def sequential_modules(cfg: dict, outputs: int) -> list[str]:
    """The modules of the exported ``nn.Sequential``, as code: Linear, its activation, then Dropout if any."""
    sizes = [len(cfg["features"])] + list(cfg["hidden"]) + [outputs]
    modules = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        modules.append(f"nn.Linear({a}, {b})")
        if i < len(sizes) - 2:
            modules.append(_ACTIVATION_CODE[cfg["activations"][i]])
            if cfg["dropout"][i]:
                modules.append(f"nn.Dropout({cfg['dropout'][i]!r})")
    return modules
