"""A checkpoint whose JSON state was damaged (each value made null, a string, huge, or deleted) is refused
with an error naming the file (a ValueError such as WeightsFileError or SchemaError), or resumes: never a
KeyError, TypeError or OverflowError from deep inside the restore."""

import json

import numpy as np
import pytest
import safetensors.numpy

import chainrule as cr
from chainrule import nn, optim
from chainrule.train import NonFiniteError, fit
from chainrule.train.callbacks import CSVLogger, EarlyStopping, ReduceLROnPlateau


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64)


def _run(ckpt, log, resume=None, epochs=2):
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    callbacks = [CSVLogger(log), EarlyStopping(patience=3, restore_best_weights=True),
                 ReduceLROnPlateau(patience=2)]
    fit(model, nn.CrossEntropyLoss(), opt, _data(), epochs=epochs, val_split=0.25, batch_size=8, seed=1,
        verbose=0, callbacks=callbacks, checkpoint=ckpt, checkpoint_every=3, resume=resume)


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):  # the first items of long lists stand for the rest
            yield from _paths(v, path + (i,))


def _mutated(doc, path, how):
    doc = json.loads(json.dumps(doc))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if how == "delete":
        del parent[key]
    else:
        parent[key] = {"null": None, "string": "x", "huge": 10**40, "negative": -1}[how]
    return doc


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ckpt")
    ckpt = folder / "ckpt.safetensors"
    _run(ckpt, folder / "log.csv", epochs=1)
    with safetensors.safe_open(str(ckpt), framework="np") as f:
        metadata = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    return tensors, metadata


def test_every_damaged_value_of_the_state_is_refused_with_the_file_named_or_resumes(saved, tmp_path):
    tensors, metadata = saved
    doc = json.loads(metadata["chainrule"])
    paths = [p for p in _paths(doc) if p]
    assert len(paths) > 60
    path = tmp_path / "bad.safetensors"
    raw = []
    for p in paths:
        for how in ("null", "string", "huge", "negative", "delete"):
            bad = dict(metadata, chainrule=json.dumps(_mutated(doc, p, how)))
            path.write_bytes(safetensors.numpy.save(tensors, metadata=bad))
            try:
                with np.errstate(all="ignore"):
                    _run(path, tmp_path / "log.csv", resume=path)
            except NonFiniteError:  # a valid but enormous learning rate: the guard's clear stop
                pass
            except ValueError as e:  # WeightsFileError, SchemaError: the file is named
                if str(path) not in str(e):
                    raw.append(f"{'.'.join(map(str, p))} -> {how}: unnamed {type(e).__name__}: {e}")
            except Exception as e:  # noqa: BLE001 - a raw error is the failure this test looks for
                raw.append(f"{'.'.join(map(str, p))} -> {how}: {type(e).__name__}: {e}")
    assert not raw, "\n".join(raw[:20]) + f"\n({len(raw)} raw errors)"


@pytest.mark.parametrize("damage", ["drop uinteger", "state null", "seed string", "not a dict"])
def test_set_rng_state_refuses_a_damaged_state_and_changes_nothing(damage):
    state = cr.get_rng_state()
    bad = json.loads(json.dumps(state))
    if damage == "drop uinteger":
        del bad["bit_generator"]["uinteger"]
    elif damage == "state null":
        bad["bit_generator"]["state"] = None
    elif damage == "seed string":
        bad["seed"] = "x"
    else:
        bad = [1, 2]
    with pytest.raises(ValueError, match="set_rng_state: not a generator state"):
        cr.set_rng_state(bad)
    assert cr.get_rng_state() == state
