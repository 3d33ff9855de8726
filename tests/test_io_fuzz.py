"""Byte-mutation fuzzing of weight files and checkpoints: only WeightsFileError (or a clean load) comes out.

Set CHAINRULE_FUZZ_EXAMPLES to run more (or fewer) examples than the default 2000.
"""

import json
import os
import struct
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn, optim
from chainrule.io import WeightsFileError, load_checkpoint, load_state_dict, read_metadata
from chainrule.io import save_checkpoint, save_state_dict
from chainrule.optim import lr_scheduler

EXAMPLES = int(os.environ.get("CHAINRULE_FUZZ_EXAMPLES", 2000))
TIME_LIMIT = 0.1  # seconds per load: these files are tiny, so a slow load means something was allocated


def make_run():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scheduler = lr_scheduler.MultiStepLR(optimizer, milestones=[2, 4])
    return model, optimizer, scheduler


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    model, optimizer, scheduler = make_run()
    model(cr.randn(4, 3)).sum().backward()
    optimizer.step()
    scheduler.step()
    save_checkpoint(folder / "ckpt", model=model, optimizer=optimizer, scheduler=scheduler,
                    extra={"epoch": 1, "shape": (3, 2), "best": float("inf")})
    save_state_dict({"w": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.array(7, np.int64),
                     "e": np.zeros((0, 2), np.float64), "m": np.array([True, False])},
                    folder / "weights", metadata={"k": "v"})
    weights = {"weights": (folder / "weights").read_bytes(), "ckpt": (folder / "ckpt").read_bytes()}
    path = folder / "mutated.safetensors"
    path.write_bytes(weights["weights"])
    load_state_dict(path)  # warm up the lazy imports, so that the timing below is of loading only
    return weights, path


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.sampled_from([-1, 0, 1, 2**63, 2**64])
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6)
    | st.sampled_from(["F32", "BF16", "I64", "__tuple__", "__float__", "inf"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    | st.dictionaries(st.sampled_from(["__tuple__", "__dict__", "__counter__", "__float__"]), inner, max_size=1),
    max_leaves=6,
)

mutations = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 2**20), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 2**20)),
    st.tuples(st.just("insert"), st.integers(0, 2**20), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("length"), st.integers(0, 2**64 - 1)),
    st.tuples(st.just("header"), st.integers(0, 2**20), st.sampled_from(["dtype", "shape", "data_offsets", "entry"]),
              json_values),
    st.tuples(st.just("document"), st.integers(0, 2**20), json_values),
)


def _split(data):
    if len(data) < 8:
        return None
    n = struct.unpack("<Q", data[:8])[0]
    try:
        return json.loads(data[8:8 + n]), data[8 + n:]
    except ValueError:
        return None


def _join(header, rest):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + rest


def _nodes(document, out):
    # every (container, key) pair of a JSON document, to replace one of them
    if isinstance(document, dict):
        items = document.items()
    else:
        items = enumerate(document) if isinstance(document, list) else ()
    for key, value in items:
        out.append((document, key))
        _nodes(value, out)
    return out


def mutate(data, mutation):
    kind, *args = mutation
    if kind == "flip" and data:
        i = args[0] % len(data)
        return data[:i] + bytes([data[i] ^ args[1]]) + data[i + 1:]
    if kind == "truncate":
        return data[:args[0] % (len(data) + 1)]
    if kind == "insert":
        i = args[0] % (len(data) + 1)
        return data[:i] + args[1] + data[i:]
    if kind == "length":
        return struct.pack("<Q", args[0]) + data[8:]
    split = _split(data)
    if split is None or not isinstance(split[0], dict):
        return data
    header, rest = split
    if kind == "header":
        names = [k for k in header if k != "__metadata__"]
        if names:
            name = names[args[0] % len(names)]
            if args[1] == "entry":
                header[name] = args[2]
            elif isinstance(header[name], dict):
                header[name][args[1]] = args[2]
        return _join(header, rest)
    meta = header.get("__metadata__")
    if isinstance(meta, dict) and isinstance(meta.get("chainrule"), str):  # "document": edit the checkpoint JSON
        try:
            document = json.loads(meta["chainrule"])
        except ValueError:
            return data
        nodes = _nodes(document, [])
        if nodes:
            container, key = nodes[args[0] % len(nodes)]
            container[key] = args[1]
            meta["chainrule"] = json.dumps(document)
    return _join(header, rest)


def _timed(load, path):
    # The best of up to 3 tries: a load that allocates what a header declares is slow every time,
    # while a busy machine only delays one try now and then.
    for _ in range(3):
        start = time.perf_counter()
        try:
            load()
        except WeightsFileError as e:
            assert str(e).startswith(f"{path}: "), str(e)
        elapsed = time.perf_counter() - start
        if elapsed < TIME_LIMIT:
            return
    raise AssertionError(f"a load took {elapsed * 1000:.0f} ms (3 tries)")


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(["weights", "ckpt"]), edits=st.lists(mutations, min_size=1, max_size=3))
def test_mutated_files_fail_only_with_weights_file_error(originals, which, edits):
    files, path = originals
    data = files[which]
    for edit in edits:
        data = mutate(data, edit)
    path.write_bytes(data)
    _timed(lambda: load_state_dict(path), path)
    _timed(lambda: read_metadata(path), path)
    if which == "ckpt":
        model, optimizer, scheduler = make_run()
        _timed(lambda: load_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler), path)
    else:
        expected = {"w": ((2, 3), np.float32), "n": ((), np.int64), "e": ((0, 2), np.float64), "m": ((2,), np.bool_)}
        _timed(lambda: load_state_dict(path, expected=expected), path)


def test_the_mutations_reach_every_outcome(originals, tmp_path):
    # The fuzzer is only useful if mutated files both load and fail: check a few fixed edits do each.
    files, _ = originals
    path = tmp_path / "m.safetensors"
    outcomes = {}
    for name, edit in [("flip in data", ("flip", len(files["weights"]) - 1, 1)),
                       ("truncate", ("truncate", 20)),
                       ("lr edit", ("document", 0, 0.5))]:
        path.write_bytes(mutate(files["weights" if name != "lr edit" else "ckpt"], edit))
        try:
            if name == "lr edit":
                load_checkpoint(path, model=make_run()[0])
            else:
                load_state_dict(path)
            outcomes[name] = "loaded"
        except WeightsFileError:
            outcomes[name] = "error"
    assert outcomes == {"flip in data": "loaded", "truncate": "error", "lr edit": "error"}
