"""chainrule.save / chainrule.load give back exactly the tree that was saved: keys with '/', keys that look like
the format's own tags, tuples, non-string keys, NumPy arrays beside Tensors; a cycle is refused clearly."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule as cr


def same(a, b) -> bool:
    """Equal trees with equal types; tensors and arrays compared bitwise, NaN equal to NaN."""
    if isinstance(a, cr.Tensor):
        return (isinstance(b, cr.Tensor) and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a.numpy(), b.numpy(), equal_nan=True))
    if isinstance(a, np.ndarray):
        return type(b) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape and \
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, dict):  # a flat state_dict comes back as an OrderedDict, as torch.load gives it
        if not isinstance(b, dict):
            return False
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


def roundtrip(obj, tmp_path):
    path = tmp_path / "tree.pt"
    cr.save(obj, path)
    return cr.load(path)


def test_a_key_with_a_slash_and_the_nested_path_stay_apart(tmp_path):
    t1, t2 = cr.tensor([1.0]), cr.tensor([2.0])
    back = roundtrip({"a/b": t1, "a": {"b": t2}}, tmp_path)
    assert back["a/b"].tolist() == [1.0] and back["a"]["b"].tolist() == [2.0]


def test_a_user_dict_shaped_like_the_placeholder_stays_a_dict(tmp_path):
    tree = {"x": {"__tensor__": "w"}, "y": {"__array__": "0"}, "z": {"__tuple__": [1]}, "w": cr.ones(1)}
    back = roundtrip(tree, tmp_path)
    assert back["x"] == {"__tensor__": "w"} and back["y"] == {"__array__": "0"} and back["z"] == {"__tuple__": [1]}


def test_tilde_and_metadata_names_and_non_string_keys(tmp_path):
    tree = {"~1": cr.ones(1), "/": cr.zeros(1), "__metadata__": cr.full((1,), 3.0), 1: cr.full((1,), 4.0),
            "1": cr.full((1,), 5.0), (1, "a"): "tuple key"}
    assert same(roundtrip(tree, tmp_path), tree)


def test_numpy_arrays_come_back_as_arrays_and_tensors_as_tensors(tmp_path):
    tree = {"a": np.arange(3, dtype=np.int32), "t": cr.arange(3)}
    back = roundtrip(tree, tmp_path)
    assert type(back["a"]) is np.ndarray and isinstance(back["t"], cr.Tensor) and same(back, tree)


def test_a_cycle_is_refused_with_a_clear_error(tmp_path):
    tree = {"a": [1, 2]}
    tree["a"].append(tree)
    with pytest.raises(ValueError, match=r"obj\['a'\]\[2\] contains itself \(a cycle\)"):
        cr.save(tree, tmp_path / "x.pt")
    shared = [cr.ones(1)]
    assert same(roundtrip({"p": shared, "q": shared}, tmp_path), {"p": shared, "q": shared})  # sharing is no cycle


def test_too_deep_and_unsaveable_objects_are_refused(tmp_path):
    deep = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ValueError, match="nested too deeply"):
        cr.save(deep, tmp_path / "x.pt")
    with pytest.raises(TypeError, match=r"obj\['f'\] is a builtin_function"):
        cr.save({"f": len}, tmp_path / "x.pt")
    assert not list(tmp_path.iterdir())


keys = st.one_of(st.text(alphabet="ab/~_ _tensor_array_tuple_dict_metadata", max_size=12),
                 st.sampled_from(["__tensor__", "__array__", "__tuple__", "__dict__", "__float__", "__counter__",
                                  "__metadata__", "a/b", "~0", "~1", ""]),
                 st.integers(-3, 3), st.none(), st.booleans())
arrays = st.builds(lambda shape, kind: np.random.default_rng(sum(shape)).normal(size=shape).astype(kind),
                   st.lists(st.integers(0, 3), max_size=3), st.sampled_from([np.float32, np.float64, np.int64]))
leaves = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True), st.text(max_size=8),
                   arrays.map(cr.from_numpy), arrays)
trees = st.recursive(leaves, lambda children: st.one_of(
    st.lists(children, max_size=4), st.lists(children, max_size=4).map(tuple),
    st.dictionaries(keys, children, max_size=4)), max_leaves=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=trees)
def test_every_saveable_tree_round_trips_exactly(tree, tmp_path):
    assert same(roundtrip(tree, tmp_path), tree)
