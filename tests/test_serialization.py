"""Saving and loading parameter pytrees as safetensors files: exact round trips, other readers, clear errors,
no code run, atomic writes, and autotape 0.1's .npz files."""

import importlib.util
import io
import json
import math
import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import threading
import zipfile
import zlib
from collections import OrderedDict, namedtuple
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.lib import format as npy_format

import autotape as at
from autotape import serialization
from autotape.serialization import FileFormatError, load, register_namedtuple, save

LEGACY_FILE = Path(__file__).parent / "data" / "params-0.1.npz"

# -- helpers ----------------------------------------------------------------------------------


def assert_same_tree(a, b, path="tree"):
    """``b`` is ``a`` exactly: container types, key order, leaf types, dtypes, shapes, bytes.

    Arrays load little-endian and C-ordered, so a big-endian leaf of ``a`` must come back as
    the little-endian dtype of the same kind and size, with the same values.
    """
    assert type(a) is type(b), f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        assert list(a) == list(b), f"{path}: keys {list(a)} vs {list(b)}"
        assert [type(k) for k in a] == [type(k) for k in b], f"{path}: key types differ"
        for key in a:
            assert_same_tree(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{path}: length {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_tree(x, y, f"{path}[{i}]")
    elif a is None:
        pass
    else:
        x, y = np.asarray(a), np.asarray(b)
        assert y.dtype.str == x.dtype.newbyteorder("<").str, f"{path}: dtype {x.dtype.str} vs {y.dtype.str}"
        assert x.shape == y.shape, f"{path}: shape {x.shape} vs {y.shape}"
        assert x.astype(y.dtype).tobytes() == y.tobytes(), f"{path}: values differ"  # bitwise: NaN payloads, -0.0


def files_in(directory):
    return sorted(os.listdir(directory))


RNG = np.random.default_rng(0)

SAMPLE = {
    "layers": [
        {"w": RNG.normal(size=(3, 4)), "b": np.zeros(4, dtype=np.float32)},
        {"w": RNG.normal(size=(4, 1)).astype(np.float16), "b": np.array([np.nan, -0.0, np.inf])},
    ],
    "step": 7,
    "lr": 0.01,
    "flags": (True, np.bool_(False), None),
    3: np.arange(5, dtype=np.uint64),
    "scalar32": np.float32(2.5),
    "complex": [1 + 2j, np.arange(3) * (1 - 1j), np.complex64(1j), np.ones((2, 0), dtype=np.complex64)],
    "big_endian": np.arange(4, dtype=">i4"),
    "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    "strided": np.arange(20.0)[::3],
    "empty": {"list": [], "tuple": (), "dict": {}, "zero_size": np.ones((0, 3), dtype=np.int8)},
    "zero_d": np.array(-1.25),
    "ints": [np.int8(-3), np.arange(3, dtype=np.int16), -(2**63), 2**63 - 1, np.uint32(7)],
}


# -- round trips ------------------------------------------------------------------------------


def test_round_trip_is_exact(tmp_path):
    path = tmp_path / "params.safetensors"
    assert save(path, SAMPLE) == str(path)
    loaded = load(path)
    assert_same_tree(SAMPLE, loaded)
    # Fortran-ordered and strided arrays keep their values (safetensors 0.8.0 alone would scramble
    # the Fortran one) and load C-ordered; the big-endian array loads little-endian.
    np.testing.assert_array_equal(loaded["fortran"], [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    assert loaded["fortran"].flags.c_contiguous
    np.testing.assert_array_equal(loaded["strided"], [0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0])
    assert loaded["big_endian"].dtype == np.dtype("<i4") and loaded["big_endian"].tolist() == [0, 1, 2, 3]
    assert loaded["layers"][0]["b"].dtype == np.float32 and loaded["layers"][1]["w"].dtype == np.float16
    assert files_in(tmp_path) == ["params.safetensors"]  # no temporary file left behind


def test_dict_insertion_order_and_int_keys_survive(tmp_path):
    params = {"z": np.ones(1), "a": np.zeros(1), 10: 1.0, 2: 2.0, "m": {"y": 1, "x": 2}}
    save(tmp_path / "p", params)
    loaded = load(tmp_path / "p")
    assert list(loaded) == ["z", "a", 10, 2, "m"] and list(loaded["m"]) == ["y", "x"]
    assert_same_tree(params, loaded)


@pytest.mark.parametrize(
    "tree", [np.ones((2, 2)), None, [], (), {}, 1.5, 3, True, np.float64(1.0), [None, [None]]], ids=repr
)
def test_top_level_leaves_none_and_empty_containers(tmp_path, tree):
    save(tmp_path / "p.safetensors", tree)
    assert_same_tree(tree, load(tmp_path / "p.safetensors"))


def test_python_scalars_come_back_as_python_scalars(tmp_path):
    params = {"f": 0.1, "i": -5, "b": False, "c": 2j, "nan": float("nan"), "np": np.float64(0.1), "f32": np.float32(3)}
    save(tmp_path / "p.safetensors", params)
    loaded = load(tmp_path / "p.safetensors")
    assert [type(v) for v in loaded.values()] == [float, int, bool, complex, float, np.float64, np.float32]
    assert loaded["f"] == 0.1 and loaded["i"] == -5 and loaded["c"] == 2j and math.isnan(loaded["nan"])
    assert loaded["f32"] == np.float32(3)


def test_no_suffix_is_appended(tmp_path):
    target = tmp_path / "ckpt"
    written = save(str(target), {"w": np.ones(2)})
    assert written == str(target) and files_in(tmp_path) == ["ckpt"]
    assert_same_tree({"w": np.ones(2)}, load(str(target)))
    save(tmp_path / "other.weights", [1.0])  # any suffix, and pathlib paths
    assert files_in(tmp_path) == ["ckpt", "other.weights"]


def test_loaded_arrays_are_writeable_and_independent(tmp_path):
    params = {"w": np.arange(4.0), "v": np.arange(4.0), "c": np.arange(2) * 1j}
    save(tmp_path / "p.safetensors", params)
    first, second = load(tmp_path / "p.safetensors"), load(tmp_path / "p.safetensors")
    first["w"][0] = 100.0
    first["c"][0] = 5.0
    assert first["w"].flags.writeable and first["c"].flags.writeable
    assert second["w"][0] == 0.0 and params["w"][0] == 0.0 and first["v"][0] == 0.0 and second["c"][0] == 0


def test_save_leaves_its_input_untouched(tmp_path):
    params = {"w": RNG.normal(size=(3, 3)), "view": np.arange(10.0)[::3], "be": np.arange(3, dtype=">f8")}
    params["w"].flags.writeable = False
    before = {k: (v.copy(), v.dtype, v.flags.writeable) for k, v in params.items()}
    save(tmp_path / "p.safetensors", params)
    for k, (value, dtype, writeable) in before.items():
        assert params[k].tobytes() == value.tobytes() and params[k].dtype == dtype
        assert params[k].flags.writeable == writeable


def test_same_array_twice_loads_as_two_independent_arrays(tmp_path):
    shared = np.ones(3)
    save(tmp_path / "p.safetensors", {"a": shared, "b": shared})
    loaded = load(tmp_path / "p.safetensors")
    assert loaded["a"] is not loaded["b"] and not np.shares_memory(loaded["a"], loaded["b"])


_DTYPES = [
    np.dtype(t)
    for t in ("?", "i1", "u1", "i2", "u2", "<i4", ">i4", "u4", "i8", "u8", "f2", "<f4", ">f8", "f8", "c8", "c16")
]
_leaves = st.one_of(
    hnp.arrays(st.sampled_from(_DTYPES), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)),
    st.floats(allow_nan=True),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.complex_numbers(allow_nan=False),
    st.none(),
)
# Text keys without dots or digits, so no two paths give the same tensor name (that is refused; see below).
_keys = st.one_of(st.text(alphabet="ab_é ", max_size=4), st.integers(-5, 5))
_trees = st.recursive(
    _leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(_keys, children, max_size=3),
    ),
    max_leaves=8,
)


def leaf_values(tree):
    """Each leaf's dtype and bytes, in the tree's order (dicts in insertion order)."""
    if isinstance(tree, (dict, list, tuple)):
        return [v for child in (tree.values() if isinstance(tree, dict) else tree) for v in leaf_values(child)]
    return [] if tree is None else [(np.asarray(tree).dtype.str, np.asarray(tree).tobytes())]


def flat_view(tree, prefix=()):
    """What another safetensors reader sees: {dotted path: array}, complex arrays as (real, imag) pairs."""
    if tree is None:
        return {}
    if isinstance(tree, (dict, list, tuple)):
        items = tree.items() if isinstance(tree, dict) else enumerate(tree)
        return {name: x for key, child in items for name, x in flat_view(child, (*prefix, str(key))).items()}
    x = np.asarray(tree)
    if x.dtype.kind == "c":
        x = np.stack([x.real, x.imag], axis=-1)
    return {".".join(prefix): x}


@settings(max_examples=60, deadline=None)
@given(_trees)
def test_round_trip_property(tree):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "p.safetensors")
        save(path, tree)
        assert_same_tree(tree, load(path))
        assert os.listdir(directory) == ["p.safetensors"]
        # Another reader sees each leaf under its dotted path, with the same values.
        flat, expected = safetensors.numpy.load_file(path), flat_view(tree)
        assert sorted(flat) == sorted(expected)
        for name, x in expected.items():
            assert flat[name].dtype == x.dtype.newbyteorder("<") and flat[name].shape == x.shape, name
            assert flat[name].tobytes() == x.astype(flat[name].dtype).tobytes(), name


# -- optimizer states and namedtuples -------------------------------------------------------------


def _regression(seed=1):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(16, 3)), rng.normal(size=16)
    loss = lambda p: at.mse(X @ p["w"] + p["b"], y)  # noqa: E731
    return loss, {"w": rng.normal(size=3), "b": np.zeros(())}


@pytest.mark.parametrize("make", [lambda: at.optim.adam(0.05), lambda: at.optim.momentum(0.05, nesterov=True)])
def test_params_and_optimizer_state_round_trip_and_resume_exactly(tmp_path, make):
    # The optimizers' states are namedtuples autotape registers: saved as they are (AdamState's
    # step stays a Python int), and a run resumed from the file continues bit for bit.
    opt = make()
    loss, params = _regression()
    state = opt.init(params)
    for _ in range(3):
        params, state = opt.update(params, at.grad(loss)(params), state)
    save(tmp_path / "ckpt.safetensors", {"params": params, "opt_state": state})
    loaded = load(tmp_path / "ckpt.safetensors")
    assert_same_tree({"params": params, "opt_state": state}, loaded)
    params2, state2 = loaded["params"], loaded["opt_state"]
    assert type(state2) is type(state)
    for _ in range(3):
        params, state = opt.update(params, at.grad(loss)(params), state)
        params2, state2 = opt.update(params2, at.grad(loss)(params2), state2)
    assert_same_tree(params, params2)
    assert_same_tree(state, state2)
    if isinstance(state, at.optim.AdamState):
        assert type(state2.step) is np.int64 and state2.step == 6


def test_adam_state_files_read_by_safetensors_name_each_moment(tmp_path):
    opt = at.optim.adam()
    params = {"layers": [{"w": np.ones((2, 3), np.float32), "b": np.zeros(3, np.float32)}]}
    save(tmp_path / "s.safetensors", opt.init(params))
    flat = safetensors.numpy.load_file(tmp_path / "s.safetensors")
    assert sorted(flat) == ["mu.layers.0.b", "mu.layers.0.w", "nu.layers.0.b", "nu.layers.0.w", "step"]
    assert flat["mu.layers.0.w"].dtype == np.float32 and flat["step"].dtype == np.int64 and flat["step"] == 0


class Pair(NamedTuple):
    w: np.ndarray
    b: np.ndarray


PlainPair = namedtuple("PlainPair", ["w", "b"])


def test_a_registered_namedtuple_round_trips_and_an_unregistered_one_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(serialization, "_NAMEDTUPLES", dict(serialization._NAMEDTUPLES))
    monkeypatch.setattr(serialization, "_NAMES", dict(serialization._NAMES))
    tree = {"p": Pair(np.ones(2), np.zeros(2)), "q": [PlainPair(1.0, None)]}
    with pytest.raises(TypeError, match=r"params\['p'\] is a namedtuple Pair.*register_namedtuple\(Pair\)"):
        save(tmp_path / "p.safetensors", tree)
    assert register_namedtuple(Pair) is Pair
    assert register_namedtuple(Pair) is Pair  # again, under the same name: nothing changes
    register_namedtuple(PlainPair, name="pairs.PlainPair")
    save(tmp_path / "p.safetensors", tree)
    loaded = load(tmp_path / "p.safetensors")
    assert_same_tree(tree, loaded)
    assert sorted(safetensors.numpy.load_file(tmp_path / "p.safetensors")) == ["p.b", "p.w", "q.0.w"]
    with safetensors.safe_open(tmp_path / "p.safetensors", framework="np") as f:
        header = json.loads(f.metadata()["autotape"])
    assert header["tree"]["items"][0]["name"] == f"{__name__}.Pair"
    assert header["tree"]["items"][1]["items"][0]["name"] == "pairs.PlainPair"

    # A program that has not registered the class cannot load it; one whose class has other fields neither.
    del serialization._NAMEDTUPLES["pairs.PlainPair"]
    with pytest.raises(LookupError, match=r"p\.safetensors.*'pairs\.PlainPair'.*register_namedtuple"):
        load(tmp_path / "p.safetensors")
    serialization._NAMEDTUPLES["pairs.PlainPair"] = namedtuple("PlainPair", ["w", "b", "c"])
    with pytest.raises(FileFormatError, match=r"p\.safetensors.*'pairs\.PlainPair' has the fields \['w', 'b'\]"):
        load(tmp_path / "p.safetensors")


def test_register_namedtuple_refuses_bad_arguments(monkeypatch):
    monkeypatch.setattr(serialization, "_NAMEDTUPLES", dict(serialization._NAMEDTUPLES))
    monkeypatch.setattr(serialization, "_NAMES", dict(serialization._NAMES))
    with pytest.raises(TypeError, match="register_namedtuple: .*dict.* is not a namedtuple class"):
        register_namedtuple(dict)
    with pytest.raises(TypeError, match="register_namedtuple: .*tuple.* is not a namedtuple class"):
        register_namedtuple(tuple)
    with pytest.raises(TypeError, match="non-empty str"):
        register_namedtuple(Pair, name="")
    with pytest.raises(ValueError, match="'autotape.optim.AdamState' names .*AdamState.* already"):
        register_namedtuple(Pair, name="autotape.optim.AdamState")
    register_namedtuple(Pair, name="mine.Pair")
    with pytest.raises(ValueError, match="Pair.* is 'mine.Pair' already"):
        register_namedtuple(Pair, name="other.Pair")


# -- what cannot be saved ---------------------------------------------------------------------


class Opaque:
    pass


_bad_list = [1.0]
_bad_list.append(_bad_list)


@pytest.mark.parametrize(
    "params, error, words",
    [
        ({"w": np.array([1.0, None])}, TypeError, [r"params\['w'\]", "dtype object", "astype"]),
        ({"w": [np.array(["a", "b"])]}, TypeError, [r"params\['w'\]\[0\]", "<U1", "safetensors"]),
        ({"rec": np.zeros(2, dtype=[("a", "f8")])}, TypeError, [r"params\['rec'\]", "does not store"]),
        ({"t": np.array(["2020-01-01"], dtype="M8[D]")}, TypeError, [r"params\['t'\]", "datetime64"]),
        ({"x": np.ones(2, dtype=np.longdouble)}, TypeError, [r"params\['x'\]", "float128", "astype"]),
        (
            {"m": np.ma.masked_array([1.0, 2.0], mask=[0, 1])},
            TypeError,
            [r"params\['m'\]", "MaskedArray", "np.asarray"],
        ),
        ({"p": PlainPair(np.ones(1), np.ones(1))}, TypeError, [r"params\['p'\]", "PlainPair", "register_namedtuple"]),
        ({"o": OrderedDict(a=1.0)}, TypeError, [r"params\['o'\]", "OrderedDict", r"dict\(x\)"]),
        ({"s": "text"}, TypeError, [r"params\['s'\]", "str", "np.asarray"]),
        ({"s": {1.0, 2.0}}, TypeError, [r"params\['s'\]", "set"]),
        ([Opaque()], TypeError, [r"params\[0\]", "Opaque"]),
        ({(1, 2): np.ones(1)}, TypeError, [r"\(1, 2\)", "tuple", "str or int"]),
        ({True: np.ones(1)}, TypeError, ["True", "bool", "str or int"]),
        ({"n": 2**63}, ValueError, [r"params\['n'\]", "int64"]),
        (_bad_list, ValueError, [r"params\[1\]", "contains itself"]),
        ({1: np.ones(1), "1": np.ones(1)}, ValueError, [r"params\[1\] and params\['1'\]", "tensor '1'"]),
        ({"a.b": 1.0, "a": {"b": 2.0}}, ValueError, [r"params\['a.b'\] and params\['a'\]\['b'\]", "'a.b'"]),
        ({"__metadata__": np.ones(1)}, ValueError, [r"params\['__metadata__'\]", "safetensors reserves"]),
    ],
    ids=[
        "object",
        "unicode",
        "structured",
        "datetime",
        "longdouble",
        "masked",
        "unregistered-namedtuple",
        "ordereddict",
        "str",
        "set",
        "opaque",
        "tuple-key",
        "bool-key",
        "big-int",
        "cycle",
        "same-name-int-str",
        "same-name-dotted",
        "metadata-name",
    ],
)
def test_unsupported_params_are_refused_naming_the_path_and_nothing_is_written(tmp_path, params, error, words):
    with pytest.raises(error) as raised:
        save(tmp_path / "p.safetensors", params)
    assert str(raised.value).startswith("save: ")
    for word in words:
        assert raised.match(word), (word, str(raised.value))
    assert files_in(tmp_path) == []


def test_traced_values_are_refused(tmp_path):
    def f(w):
        with pytest.raises(TypeError, match=r"params\['w'\].*traced value.*stop_gradient"):
            save(tmp_path / "p.safetensors", {"w": w})
        return at.sum(w)

    at.grad(f)(np.ones(2))
    assert files_in(tmp_path) == []


# -- other readers ------------------------------------------------------------------------------


def _mlp_checkpoint():
    rng = np.random.default_rng(0)
    params = {
        "layers": [
            {"w": rng.normal(size=(2, 8)).astype(np.float32), "b": np.zeros(8, np.float32)},
            {"w": rng.normal(size=(8, 1)).astype(np.float32), "b": np.zeros(1, np.float32)},
        ]
    }
    return {"params": params, "opt_state": at.optim.adam().init(params), "epoch": 3, "z": np.array([1 + 2j, -1j])}


def test_safetensors_numpy_reads_the_file_as_a_flat_dict_of_paths(tmp_path):
    path = tmp_path / "mlp.safetensors"
    checkpoint = _mlp_checkpoint()
    save(path, checkpoint)
    flat = safetensors.numpy.load_file(path)
    layer = checkpoint["params"]["layers"][1]
    assert sorted(flat) == sorted(
        [f"params.layers.{i}.{p}" for i in (0, 1) for p in "wb"]
        + [f"opt_state.{m}.layers.{i}.{p}" for m in ("mu", "nu") for i in (0, 1) for p in "wb"]
        + ["opt_state.step", "epoch", "z"]
    )
    assert flat["params.layers.1.w"].dtype == np.float32 and flat["params.layers.1.w"].shape == (8, 1)
    np.testing.assert_array_equal(flat["params.layers.1.w"], layer["w"])
    assert flat["epoch"].dtype == np.int64 and flat["epoch"].shape == () and flat["epoch"] == 3
    np.testing.assert_array_equal(flat["z"], [[1.0, 2.0], [0.0, -1.0]])  # complex as (real, imag) pairs
    with safetensors.safe_open(path, framework="np") as f:
        header = json.loads(f.metadata()["autotape"])
    assert (header["format"], header["version"]) == ("autotape.params", 2)
    assert header["tree"]["keys"] == ["params", "opt_state", "epoch", "z"]


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch is not installed (not a dependency)")
def test_pytorch_reads_the_file_with_safetensors_torch(tmp_path):
    import safetensors.torch
    import torch

    path = tmp_path / "mlp.safetensors"
    checkpoint = _mlp_checkpoint()
    save(path, checkpoint)
    tensors = safetensors.torch.load_file(path)
    w = checkpoint["params"]["layers"][0]["w"]
    assert tensors["params.layers.0.w"].dtype == torch.float32
    assert torch.equal(tensors["params.layers.0.w"], torch.from_numpy(w))
    assert tensors["opt_state.step"].dtype == torch.int64 and tensors["opt_state.step"].item() == 0
    assert torch.equal(torch.view_as_complex(tensors["z"]), torch.tensor([1 + 2j, -1j], dtype=torch.complex128))
    # The weights drive a torch module: its output equals the NumPy forward pass.
    x = np.random.default_rng(1).normal(size=(5, 2)).astype(np.float32)
    linear = torch.nn.Linear(2, 8)
    linear.load_state_dict({"weight": tensors["params.layers.0.w"].T, "bias": tensors["params.layers.0.b"]})
    with torch.no_grad():
        out = linear(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, x @ w, rtol=1e-6, atol=1e-6)


# -- paths that are not files -------------------------------------------------------------------


def test_missing_file_directory_missing_directory_and_bad_path_types(tmp_path):
    with pytest.raises(TypeError, match="save: the path must be a str or os.PathLike, got int 3"):
        save(3, {"w": np.ones(1)})
    with pytest.raises(TypeError, match="load: the path must be a str or os.PathLike, got NoneType"):
        load(None)
    with pytest.raises(FileNotFoundError, match="load: .*nope.safetensors.* does not exist"):
        load(tmp_path / "nope.safetensors")
    with pytest.raises(IsADirectoryError, match=str(tmp_path.name)):
        load(tmp_path)
    with pytest.raises(IsADirectoryError, match="is a directory"):
        save(tmp_path, {"w": np.ones(1)})
    with pytest.raises(FileNotFoundError, match="missing.*does not exist"):
        save(tmp_path / "missing" / "p.safetensors", {"w": np.ones(1)})


# -- foreign, truncated and corrupted files -------------------------------------------------------


def _write_zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


FOREIGN = {
    "empty": lambda p: p.write_bytes(b""),
    "text": lambda p: p.write_text("w1,b1\n1.0,2.0\n"),
    "npy": lambda p: np.save(p.open("wb"), np.ones(3)),
    "plain-npz": lambda p: np.savez(p.open("wb"), w=np.ones(3)),
    "pickle": lambda p: p.write_bytes(pickle.dumps({"w": [1.0, 2.0]})),
    "other-zip": lambda p: _write_zip(p, {"readme.txt": "hello"}),
    "random": lambda p: p.write_bytes(np.random.default_rng(1).bytes(500)),
    "zip-header-only": lambda p: p.write_bytes(b"PK\x03\x04" + b"\0" * 40),
    "plain-safetensors": lambda p: safetensors.numpy.save_file({"w": np.ones(3)}, p),
    "other-metadata": lambda p: safetensors.numpy.save_file({"w": np.ones(3)}, p, metadata={"format": "pt"}),
}


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_foreign_files_raise_a_format_error_naming_the_file(tmp_path, kind):
    path = tmp_path / f"foreign-{kind}.safetensors"
    FOREIGN[kind](path)
    with pytest.raises(FileFormatError, match=f"load: .*foreign-{kind}.safetensors.*not a valid autotape parameter"):
        load(path)
    assert issubclass(FileFormatError, ValueError)


def test_a_plain_safetensors_file_is_pointed_to_safetensors_numpy(tmp_path):
    safetensors.numpy.save_file({"w": np.ones(3)}, tmp_path / "plain.safetensors")
    with pytest.raises(FileFormatError, match="no 'autotape.params' metadata.*safetensors.numpy.load_file"):
        load(tmp_path / "plain.safetensors")


def _small_file(tmp_path):
    path = tmp_path / "small.safetensors"
    tree = {"w": np.arange(6.0).reshape(2, 3), "b": [np.float32(1.5), 2], "s": at.optim.AdamState(1, 0.5, 2j)}
    save(path, tree)
    return path, tree, path.read_bytes()


def test_a_file_truncated_at_any_length_is_rejected(tmp_path):
    path, _, data = _small_file(tmp_path)
    for length in range(len(data)):
        cut = tmp_path / f"cut-{length}.safetensors"  # a new file each time: rewriting one in place is slow on ext4
        cut.write_bytes(data[:length])
        with pytest.raises(FileFormatError, match=f"cut-{length}.safetensors"):
            load(cut)
        cut.unlink()
    longer = tmp_path / "longer.safetensors"
    longer.write_bytes(data + b"\0")
    with pytest.raises(FileFormatError, match="longer.safetensors"):
        load(longer)


@pytest.mark.parametrize("mask", [0xFF, 0x01], ids=["all-bits", "low-bit"])
def test_every_single_byte_corruption_is_detected(tmp_path, mask):
    # Flip bits of each byte in turn. The header is JSON, where a flipped high bit is invalid
    # UTF-8; the data is covered by the checksums. So load raises a FileFormatError naming the
    # file and never returns other numbers. (With the low bit, a few header bytes can flip to
    # other valid JSON, e.g. a dict key "b" to "c"; those must still load the same numbers.)
    path, tree, data = _small_file(tmp_path)
    header_size = 8 + int.from_bytes(data[:8], "little")
    undetected = []
    for position in range(len(data)):
        corrupted = bytearray(data)
        corrupted[position] ^= mask
        bad = tmp_path / f"flipped-{position}.safetensors"
        bad.write_bytes(bytes(corrupted))
        try:
            loaded = load(bad)
        except (FileFormatError, LookupError) as error:  # LookupError: a namedtuple's name changed
            assert bad.name in str(error) and (mask != 0xFF or isinstance(error, FileFormatError))
            continue
        finally:
            bad.unlink()
        undetected.append(position)
        assert leaf_values(loaded) == leaf_values(tree), position
    assert all(position < header_size for position in undetected)  # every flip in the data is caught
    assert len(undetected) == 0 if mask == 0xFF else len(undetected) < 10, undetected


def _craft(path, header, tensors=None, raw=None):
    """A safetensors file holding ``tensors`` and the given (possibly malformed) autotape metadata."""
    metadata = {"autotape": raw if raw is not None else json.dumps(header)}
    safetensors.numpy.save_file(tensors if tensors is not None else {"w": np.ones(2)}, path, metadata=metadata)


def _header(tree, version=2):
    return {"format": "autotape.params", "version": version, "tree": tree}


def _crc(x):
    return zlib.crc32(np.ascontiguousarray(x).tobytes())


_LEAF = {"type": "leaf", "name": "w", "kind": "array", "crc32": _crc(np.ones(2))}

CRAFTED = {
    "not-json": (dict(header=None, raw="{tree: 1"), "JSONDecodeError"),
    "json-list": (dict(header=None, raw="[1, 2]"), "no 'autotape.params' metadata"),
    "deep-json": (dict(header=None, raw="[" * 100_000 + "]" * 100_000), "nested too deeply"),
    "wrong-tag": (dict(header={**_header(_LEAF), "format": "something.else"}), "no 'autotape.params' metadata"),
    "newer-version": (dict(header=_header(_LEAF, 3)), "version 3, newer.*upgrade"),
    "string-version": (dict(header=_header(_LEAF, "2")), "format version '2'"),
    "version-1-in-safetensors": (
        dict(header=_header(_LEAF, 1)),
        "format version 1 does not match.*container's \\(2\\)",
    ),
    "no-tree": (dict(header={"format": "autotape.params", "version": 2}), "missing 'tree'"),
    "unknown-node": (
        dict(header=_header({"type": "module", "import": "os", "items": []})),
        "unknown type 'module'",
    ),
    "items-not-list": (dict(header=_header({"type": "list", "items": "w"})), "items are 'w', not a list"),
    "keys-mismatch": (dict(header=_header({"type": "dict", "keys": ["a", "b"], "items": [_LEAF]})), "labels"),
    "duplicate-keys": (
        dict(
            header=_header({"type": "dict", "keys": ["a", "a"], "items": [_LEAF, {**_LEAF, "name": "v"}]}),
            tensors={"w": np.ones(2), "v": np.ones(2)},
        ),
        "not distinct",
    ),
    "float-key": (dict(header=_header({"type": "dict", "keys": [1.5], "items": [_LEAF]})), "not distinct"),
    "missing-tensor": (dict(header=_header({**_LEAF, "name": "nope"})), "nope"),
    "tensor-not-in-tree": (
        dict(header=_header(_LEAF), tensors={"w": np.ones(2), "payload": np.ones(1)}),
        r"1 leaves do not name its 2 tensors once each \(unnamed: \['payload'\]\)",
    ),
    "tensor-used-twice": (
        dict(header=_header({"type": "list", "items": [_LEAF, _LEAF]})),
        r"2 leaves do not name its 1 tensors once each \(unnamed: \[\]\)",
    ),
    "name-not-str": (dict(header=_header({**_LEAF, "name": ["w"]})), "not a string"),
    "checksum": (dict(header=_header({**_LEAF, "crc32": 1})), "tensor 'w' is corrupted: its checksum differs"),
    "unknown-leaf-kind": (dict(header=_header({**_LEAF, "kind": "pickle"})), "kind 'pickle'"),
    "python-float-as-int": (
        dict(header=_header({**_LEAF, "kind": "float", "crc32": _crc(np.array(1))}), tensors={"w": np.array(1)}),
        "kind 'float' holds int64",
    ),
    "numpy-scalar-with-shape": (dict(header=_header({**_LEAF, "kind": "numpy_scalar"})), "float64\\[2\\]"),
    "complex-not-pairs": (
        dict(header=_header({**_LEAF, "complex": True, "crc32": _crc(np.ones(3))}), tensors={"w": np.ones(3)}),
        "float64\\[3\\], not complex pairs",
    ),
    "complex-not-true": (dict(header=_header({**_LEAF, "complex": "yes"})), "not complex pairs"),
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_inconsistent_or_hostile_contents_raise_a_format_error(tmp_path, case):
    kwargs, reason = CRAFTED[case]
    path = tmp_path / f"crafted-{case}.safetensors"
    _craft(path, **kwargs)
    with pytest.raises(FileFormatError, match=f"crafted-{case}.safetensors") as raised:
        load(path)
    assert re.search(reason, str(raised.value)), str(raised.value)


class _Exploit:
    """Unpickling this would create the marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_loading_never_executes_code_or_imports_what_the_file_names(tmp_path):
    marker = tmp_path / "pwned"
    payload = np.array([_Exploit(str(marker))], dtype=object)
    # An 0.1-style archive whose leaf is a pickled object array...
    path = tmp_path / "hostile.npz"
    tree = {"type": "leaf", "index": 0, "kind": "array", "dtype": "<f8", "shape": [1]}
    meta = json.dumps({"format": "autotape.params", "version": 1, "num_leaves": 1, "tree": tree})
    with open(path, "wb") as f:
        np.savez(f, autotape_tree=np.frombuffer(meta.encode(), dtype=np.uint8), leaf_0=payload)  # pickled by numpy
    with pytest.raises(FileFormatError, match="hostile.npz.*allow_pickle"):
        load(path)
    # ...a bare pickle of the same object...
    (tmp_path / "hostile.pkl").write_bytes(pickle.dumps(payload))
    with pytest.raises(FileFormatError, match="hostile.pkl"):
        load(tmp_path / "hostile.pkl")
    assert not marker.exists()
    # ...and namedtuples named after modules and functions: nothing is imported or called.
    for name in ("os.system", "subprocess.Popen", "builtins.eval"):
        node = {"type": "namedtuple", "name": name, "fields": ["args"], "items": [{"type": "none"}]}
        _craft(tmp_path / "named.safetensors", _header(node), tensors={})
        with pytest.raises(LookupError, match=f"named.safetensors.*'{name}' that is not registered"):
            load(tmp_path / "named.safetensors")


# -- autotape 0.1 .npz files ----------------------------------------------------------------------

LEGACY_TREE = {  # what tests/data/params-0.1.npz holds: written by autotape's save() before safetensors
    "layers": [
        {"w": np.arange(6.0).reshape(2, 3), "b": np.array([0.5, -1.5, 2.0], dtype=np.float32)},
        {"w": np.arange(3.0).reshape(3, 1) - 1.0, "b": np.zeros(1, dtype=np.float32)},
    ],
    "step": 3,
    "lr": 0.01,
    "flags": (True, None),
    7: np.float32(2.5),
    "ints": np.arange(4, dtype=">i4"),
    "empty": np.ones((0, 2), dtype=np.int8),
    "c": 1 - 2j,
}


def test_an_autotape_0_1_npz_file_still_loads_and_converts(tmp_path):
    loaded = load(LEGACY_FILE)
    assert list(loaded) == list(LEGACY_TREE) and loaded["ints"].dtype == np.dtype(">i4")  # as it was saved
    assert_same_tree(
        {k: v for k, v in LEGACY_TREE.items() if k != "ints"}, {k: v for k, v in loaded.items() if k != "ints"}
    )
    np.testing.assert_array_equal(loaded["ints"], [0, 1, 2, 3])
    converted = tmp_path / "params.safetensors"
    save(converted, load(LEGACY_FILE))
    assert_same_tree(LEGACY_TREE, load(converted))
    assert sorted(safetensors.numpy.load_file(converted))[:3] == ["7", "c", "empty"]


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_a_damaged_0_1_file_raises_a_format_error_naming_it(tmp_path):
    data = LEGACY_FILE.read_bytes()
    for length in range(4, len(data), 7):
        cut = tmp_path / f"old-{length}.npz"
        cut.write_bytes(data[:length])
        with pytest.raises(FileFormatError, match=f"old-{length}.npz"):
            load(cut)
        cut.unlink()
    # An archive whose leaf declares 8 TB: refused, not a MemoryError.
    huge = io.BytesIO()
    npy_format.write_array_header_1_0(huge, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    tree = {"type": "leaf", "index": 0, "kind": "array", "dtype": "<f8", "shape": [10**12]}
    meta = json.dumps({"format": "autotape.params", "version": 1, "num_leaves": 1, "tree": tree})
    _write_zip(tmp_path / "huge.npz", {"autotape_tree.npy": _npy(np.frombuffer(meta.encode(), np.uint8))})
    with zipfile.ZipFile(tmp_path / "huge.npz", "a") as z:
        z.writestr("leaf_0.npy", huge.getvalue() + b"\0" * 64)
    with pytest.raises(FileFormatError, match="huge.npz.*leaf_0 declares an array too large"):
        load(tmp_path / "huge.npz")
    members = {"autotape_tree": np.frombuffer(b'{"format": "autotape.params", "version": 2, "tree": 1}', np.uint8)}
    np.savez(tmp_path / "v2-in-npz.npz", **members)
    with pytest.raises(FileFormatError, match="v2-in-npz.npz.*version 2 does not match.*container's \\(1\\)"):
        load(tmp_path / "v2-in-npz.npz")


# -- atomic writes ------------------------------------------------------------------------------

OLD = {"w": np.arange(3.0)}
NEW = {"w": np.arange(3.0) + 10, "extra": np.ones((50, 50))}


def _half_then(exception):
    real_save = safetensors.numpy.save

    def save_file(tensors, filename, metadata=None):
        data = real_save(tensors, metadata=metadata)
        with open(filename, "wb") as f:
            f.write(data[: len(data) // 2])
        raise exception

    return save_file


@pytest.mark.parametrize("exception", [OSError(28, "No space left on device"), KeyboardInterrupt()], ids=repr)
def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch, exception):
    target = tmp_path / "ckpt.safetensors"
    save(target, OLD)
    monkeypatch.setattr(safetensors.numpy, "save_file", _half_then(exception))
    with pytest.raises(type(exception)):
        save(target, NEW)
    monkeypatch.undo()
    assert files_in(tmp_path) == ["ckpt.safetensors"]
    assert_same_tree(OLD, load(target))


def test_an_interrupt_at_the_rename_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "ckpt.safetensors"
    save(target, OLD)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save(target, NEW)
    monkeypatch.undo()
    assert files_in(tmp_path) == ["ckpt.safetensors"]
    assert_same_tree(OLD, load(target))


_CRASHING_WRITER = """
import os, signal, sys
import numpy as np
import safetensors.numpy
from autotape.serialization import save

real_save = safetensors.numpy.save

def dying_save_file(tensors, filename, metadata=None):
    data = real_save(tensors, metadata=metadata)
    with open(filename, "wb") as f:
        f.write(data[: len(data) // 2])
        f.flush()
        os.kill(os.getpid(), signal.SIGKILL)  # a hard crash mid-write: no cleanup runs

safetensors.numpy.save_file = dying_save_file
save(sys.argv[1], {"w": np.arange(3.0) + 10, "extra": np.ones((500, 500))})
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_hard_crash_mid_write_never_leaves_a_partial_file_under_the_target_name(tmp_path):
    target = tmp_path / "ckpt.safetensors"
    save(target, OLD)
    script = tmp_path / "crash.py"
    script.write_text(_CRASHING_WRITER)
    done = subprocess.run([sys.executable, str(script), str(target)], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    assert_same_tree(OLD, load(target))  # the old checkpoint, intact
    leftovers = [name for name in files_in(tmp_path) if name not in ("ckpt.safetensors", "crash.py")]
    assert len(leftovers) == 1 and re.fullmatch(r"\.ckpt\.safetensors\.[0-9a-f]{12}\.tmp", leftovers[0]), leftovers


@pytest.mark.skipif(os.name != "posix", reason="replacing a file that is open for reading needs POSIX")
def test_concurrent_saves_and_loads_only_ever_see_complete_files(tmp_path):
    target = tmp_path / "shared.safetensors"
    trees = [{"id": k, "w": np.full((20, 20), float(k))} for k in range(4)]
    save(target, trees[0])
    errors, seen = [], set()
    stop = threading.Event()

    def writer(k):
        try:
            for _ in range(15):
                save(target, trees[k])
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    def reader():
        while not stop.is_set():
            try:
                loaded = load(target)
                assert_same_tree(trees[loaded["id"]], loaded)
                seen.add(loaded["id"])
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)
                return

    readers = [threading.Thread(target=reader) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert not errors, errors[:3]
    assert seen and files_in(tmp_path) == ["shared.safetensors"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_permissions_follow_the_umask_and_are_kept_on_overwrite(tmp_path):
    old_umask = os.umask(0o027)
    try:
        save(tmp_path / "new.safetensors", OLD)
    finally:
        os.umask(old_umask)
    assert (tmp_path / "new.safetensors").stat().st_mode & 0o777 == 0o640
    (tmp_path / "new.safetensors").chmod(0o600)
    save(tmp_path / "new.safetensors", NEW)
    assert (tmp_path / "new.safetensors").stat().st_mode & 0o777 == 0o600
