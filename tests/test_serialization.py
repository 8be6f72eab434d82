"""Saving and loading parameter pytrees: exact round trips, clear errors, no code run, atomic writes."""

import json
import math
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections import OrderedDict, namedtuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autotape as at
from autotape.serialization import FileFormatError, load, save

# -- helpers ----------------------------------------------------------------------------------


def assert_same_tree(a, b, path="tree"):
    """``b`` is ``a`` exactly: container types, key order, leaf types, dtypes (byte order too), shapes, bytes."""
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
        assert x.dtype.str == y.dtype.str, f"{path}: dtype {x.dtype.str} vs {y.dtype.str}"
        assert x.shape == y.shape, f"{path}: shape {x.shape} vs {y.shape}"
        assert x.tobytes() == y.tobytes(), f"{path}: values differ"  # bitwise: NaN payloads and -0.0 too


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
    "complex": [1 + 2j, np.arange(3) * (1 - 1j), np.complex64(1j)],
    "big_endian": np.arange(4, dtype=">i4"),
    "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    "empty": {"list": [], "tuple": (), "dict": {}, "zero_size": np.ones((0, 3), dtype=np.int8)},
    "zero_d": np.array(-1.25),
    "ints": [np.int8(-3), np.arange(3, dtype=np.int16), -(2**63), 2**63 - 1],
}


# -- round trips ------------------------------------------------------------------------------


def test_round_trip_is_exact(tmp_path):
    path = tmp_path / "params.npz"
    assert save(path, SAMPLE) == str(path)
    loaded = load(path)
    assert_same_tree(SAMPLE, loaded)
    assert loaded["fortran"].flags.f_contiguous  # saved Fortran-ordered, loaded the same way
    assert files_in(tmp_path) == ["params.npz"]  # no temporary file left behind


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
    save(tmp_path / "p.npz", tree)
    assert_same_tree(tree, load(tmp_path / "p.npz"))


def test_python_scalars_come_back_as_python_scalars(tmp_path):
    params = {"f": 0.1, "i": -5, "b": False, "c": 2j, "nan": float("nan"), "np": np.float64(0.1)}
    save(tmp_path / "p.npz", params)
    loaded = load(tmp_path / "p.npz")
    assert [type(v) for v in loaded.values()] == [float, int, bool, complex, float, np.float64]
    assert loaded["f"] == 0.1 and loaded["i"] == -5 and loaded["c"] == 2j and math.isnan(loaded["nan"])


def test_no_npz_suffix_is_appended(tmp_path):
    # numpy.savez("ckpt") would write ckpt.npz; save writes exactly the name it is given.
    target = tmp_path / "ckpt"
    written = save(str(target), {"w": np.ones(2)})
    assert written == str(target) and files_in(tmp_path) == ["ckpt"]
    assert_same_tree({"w": np.ones(2)}, load(str(target)))
    save(tmp_path / "other.weights", [1.0])  # any suffix, and pathlib paths
    assert files_in(tmp_path) == ["ckpt", "other.weights"]


def test_loaded_arrays_are_writeable_and_independent(tmp_path):
    params = {"w": np.arange(4.0), "v": np.arange(4.0)}
    save(tmp_path / "p.npz", params)
    first, second = load(tmp_path / "p.npz"), load(tmp_path / "p.npz")
    first["w"][0] = 100.0
    assert first["w"].flags.writeable
    assert second["w"][0] == 0.0 and params["w"][0] == 0.0 and first["v"][0] == 0.0


def test_save_leaves_its_input_untouched(tmp_path):
    params = {"w": RNG.normal(size=(3, 3)), "view": np.arange(10.0)[::3]}
    params["w"].flags.writeable = False
    before = {k: (v.copy(), v.flags.writeable) for k, v in params.items()}
    save(tmp_path / "p.npz", params)
    for k, (value, writeable) in before.items():
        assert params[k].tobytes() == value.tobytes() and params[k].flags.writeable == writeable


def test_same_array_twice_loads_as_two_independent_arrays(tmp_path):
    shared = np.ones(3)
    save(tmp_path / "p.npz", {"a": shared, "b": shared})
    loaded = load(tmp_path / "p.npz")
    assert loaded["a"] is not loaded["b"] and not np.shares_memory(loaded["a"], loaded["b"])


_DTYPES = [
    np.dtype(t) for t in ("?", "i1", "u1", "i2", "<i4", ">i4", "i8", "u8", "f2", "<f4", ">f8", "f8", "c8", "c16")
]
_leaves = st.one_of(
    hnp.arrays(st.sampled_from(_DTYPES), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)),
    st.floats(allow_nan=True),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.complex_numbers(allow_nan=False),
    st.none(),
)
_trees = st.recursive(
    _leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=4), st.integers(-5, 5)), children, max_size=3),
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(_trees)
def test_round_trip_property(tree):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "p.npz")
        save(path, tree)
        assert_same_tree(tree, load(path))
        assert os.listdir(directory) == ["p.npz"]


# -- what cannot be saved ---------------------------------------------------------------------

Pair = namedtuple("Pair", ["w", "b"])


class Opaque:
    pass


_bad_list = [1.0]
_bad_list.append(_bad_list)


@pytest.mark.parametrize(
    "params, error, words",
    [
        ({"w": np.array([1.0, None])}, TypeError, [r"params\['w'\]", "dtype object", "astype"]),
        ({"w": [np.array(["a", "b"])]}, TypeError, [r"params\['w'\]\[0\]", "<U1", "numeric"]),
        ({"rec": np.zeros(2, dtype=[("a", "f8")])}, TypeError, [r"params\['rec'\]", "numeric"]),
        ({"t": np.array(["2020-01-01"], dtype="M8[D]")}, TypeError, [r"params\['t'\]", "datetime64"]),
        (
            {"m": np.ma.masked_array([1.0, 2.0], mask=[0, 1])},
            TypeError,
            [r"params\['m'\]", "MaskedArray", "np.asarray"],
        ),
        ({"p": Pair(np.ones(1), np.ones(1))}, TypeError, [r"params\['p'\]", "namedtuple Pair", "_asdict"]),
        ({"o": OrderedDict(a=1.0)}, TypeError, [r"params\['o'\]", "OrderedDict", r"dict\(x\)"]),
        ({"s": "text"}, TypeError, [r"params\['s'\]", "str", "np.asarray"]),
        ({"s": {1.0, 2.0}}, TypeError, [r"params\['s'\]", "set"]),
        ([Opaque()], TypeError, [r"params\[0\]", "Opaque"]),
        ({(1, 2): np.ones(1)}, TypeError, [r"\(1, 2\)", "tuple", "str or int"]),
        ({True: np.ones(1)}, TypeError, ["True", "bool", "str or int"]),
        ({"n": 2**63}, ValueError, [r"params\['n'\]", "int64"]),
        (_bad_list, ValueError, [r"params\[1\]", "contains itself"]),
    ],
    ids=[
        "object",
        "unicode",
        "structured",
        "datetime",
        "masked",
        "namedtuple",
        "ordereddict",
        "str",
        "set",
        "opaque",
        "tuple-key",
        "bool-key",
        "big-int",
        "cycle",
    ],
)
def test_unsupported_params_are_refused_naming_the_path_and_nothing_is_written(tmp_path, params, error, words):
    with pytest.raises(error) as raised:
        save(tmp_path / "p.npz", params)
    for word in words:
        assert raised.match(word), (word, str(raised.value))
    assert files_in(tmp_path) == []


def test_optimizer_state_is_saved_as_a_dict_and_resumes_exactly(tmp_path):
    # AdamState is a namedtuple: refused as such (see above); its _asdict() round-trips, and a
    # run resumed from the loaded state continues bit for bit like the uninterrupted run.
    opt = at.optim.adam(0.05)
    X, y = RNG.normal(size=(16, 3)), RNG.normal(size=16)
    loss = lambda p: at.mse(X @ p["w"] + p["b"], y)  # noqa: E731
    params = {"w": RNG.normal(size=3), "b": np.zeros(())}
    state = opt.init(params)
    for _ in range(3):
        params, state = opt.update(params, at.grad(loss)(params), state)
    with pytest.raises(TypeError, match="namedtuple AdamState"):
        save(tmp_path / "state.npz", state)
    save(tmp_path / "params.npz", params)
    save(tmp_path / "state.npz", state._asdict())
    params2, state2 = load(tmp_path / "params.npz"), type(state)(**load(tmp_path / "state.npz"))
    for _ in range(3):
        params, state = opt.update(params, at.grad(loss)(params), state)
        params2, state2 = opt.update(params2, at.grad(loss)(params2), state2)
    assert_same_tree(params, params2)
    assert state2.step == state.step == 6


def test_traced_values_are_refused(tmp_path):
    def f(w):
        with pytest.raises(TypeError, match=r"params\['w'\].*traced value.*stop_gradient"):
            save(tmp_path / "p.npz", {"w": w})
        return at.sum(w)

    at.grad(f)(np.ones(2))
    assert files_in(tmp_path) == []


# -- paths that are not files -------------------------------------------------------------------


def test_missing_file_directory_and_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load(tmp_path / "nope.npz")
    with pytest.raises(IsADirectoryError, match=str(tmp_path.name)):
        load(tmp_path)
    with pytest.raises(IsADirectoryError, match="is a directory"):
        save(tmp_path, {"w": np.ones(1)})
    with pytest.raises(FileNotFoundError, match="missing.*does not exist"):
        save(tmp_path / "missing" / "p.npz", {"w": np.ones(1)})


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
}


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_foreign_files_raise_a_format_error_naming_the_file(tmp_path, kind):
    path = tmp_path / f"foreign-{kind}.npz"
    FOREIGN[kind](path)
    with pytest.raises(FileFormatError, match=f"foreign-{kind}.npz.*not a valid autotape parameter file"):
        load(path)
    assert issubclass(FileFormatError, ValueError)


def _small_file(tmp_path):
    path = tmp_path / "small.npz"
    tree = {"w": np.arange(6.0).reshape(2, 3), "b": [np.float32(1.5), 2]}
    save(path, tree)
    return path, tree, path.read_bytes()


def test_a_file_truncated_at_any_length_is_rejected(tmp_path):
    path, _, data = _small_file(tmp_path)
    for length in range(len(data)):
        cut = tmp_path / f"cut-{length}.npz"  # a new file each time: rewriting one in place is slow on ext4
        cut.write_bytes(data[:length])
        with pytest.raises(FileFormatError, match=f"cut-{length}.npz"):
            load(cut)
        cut.unlink()


def test_every_single_byte_corruption_is_detected_or_harmless(tmp_path):
    # Flip each byte of a small file in turn: load either raises a FileFormatError naming the
    # file or (for bytes no reader relies on, such as zip timestamps) returns the exact tree.
    # It never returns different numbers and never raises anything else.
    path, tree, data = _small_file(tmp_path)
    harmless = 0
    for position in range(len(data)):
        corrupted = bytearray(data)
        corrupted[position] ^= 0xFF
        bad = tmp_path / f"flipped-{position}.npz"
        bad.write_bytes(bytes(corrupted))
        try:
            loaded = load(bad)
        except FileFormatError as error:
            assert bad.name in str(error)
            continue
        finally:
            bad.unlink()
        assert_same_tree(tree, loaded)
        harmless += 1
    assert harmless < len(data) // 4  # the checksums catch the data; only metadata bytes go unnoticed


def _craft(path, header, leaves=(), raw_tree=None, extra=None):
    """An npz with the given (possibly malformed) tree description and leaf members."""
    if raw_tree is None:
        raw_tree = json.dumps(header).encode("utf-8")
    members = {"autotape_tree": np.frombuffer(raw_tree, dtype=np.uint8)}
    members.update({f"leaf_{i}": leaf for i, leaf in enumerate(leaves)})
    members.update(extra or {})
    with open(path, "wb") as f:
        np.savez(f, **members)


def _header(tree, num_leaves=None):
    return {
        "format": "autotape.params",
        "version": 1,
        "num_leaves": num_leaves if num_leaves is not None else 1,
        "tree": tree,
    }


_LEAF = {"type": "leaf", "index": 0, "kind": "array", "dtype": "<f8", "shape": [2]}

CRAFTED = {
    "not-utf8": (dict(header=None, raw_tree=b"\xff\xfe{"), "not valid JSON"),
    "not-json": (dict(header=None, raw_tree=b"{tree: 1"), "not valid JSON"),
    "json-list": (dict(header=None, raw_tree=b"[1, 2]"), "not a JSON object"),
    "json-nan": (dict(header=None, raw_tree=b'{"format": NaN}'), "not valid JSON"),
    "deep-json": (dict(header=None, raw_tree=b"[" * 100_000 + b"]" * 100_000), "not valid JSON"),
    "wrong-tag": (dict(header={**_header(_LEAF), "format": "something.else"}, leaves=[np.ones(2)]), "format tag"),
    "newer-version": (dict(header={**_header(_LEAF), "version": 2}, leaves=[np.ones(2)]), "newer.*upgrade"),
    "string-version": (dict(header={**_header(_LEAF), "version": "1"}, leaves=[np.ones(2)]), "not an integer"),
    "extra-field": (dict(header={**_header(_LEAF), "exec": "import os"}, leaves=[np.ones(2)]), "fields"),
    "count-too-high": (dict(header=_header(_LEAF, 2), leaves=[np.ones(2)]), "missing members"),
    "extra-member": (
        dict(header=_header(_LEAF), leaves=[np.ones(2)], extra={"payload": np.ones(1)}),
        "unexpected members",
    ),
    "leaf-count-mismatch": (dict(header=_header({"type": "none"}, 1), leaves=[np.ones(2)]), "0 leaves"),
    "index-out-of-order": (dict(header=_header({**_LEAF, "index": 1}), leaves=[np.ones(2)]), "numbered 1"),
    "bool-index": (dict(header=_header({**_LEAF, "index": False}), leaves=[np.ones(2)]), "numbered False"),
    "unknown-node": (
        dict(header=_header({"type": "namedtuple", "module": "os", "name": "system", "items": []}, 0)),
        "unknown type 'namedtuple'",
    ),
    "unknown-leaf-kind": (dict(header=_header({**_LEAF, "kind": "pickle"}), leaves=[np.ones(2)]), "unknown kind"),
    "keys-mismatch": (
        dict(header=_header({"type": "dict", "keys": ["a", "b"], "items": [_LEAF]}), leaves=[np.ones(2)]),
        "keys",
    ),
    "duplicate-keys": (
        dict(
            header=_header({"type": "dict", "keys": ["a", "a"], "items": [_LEAF, {**_LEAF, "index": 1}]}, 2),
            leaves=[np.ones(2), np.ones(2)],
        ),
        "repeats a key",
    ),
    "float-key": (
        dict(header=_header({"type": "dict", "keys": [1.5], "items": [_LEAF]}), leaves=[np.ones(2)]),
        "dict key",
    ),
    "shape-mismatch": (dict(header=_header({**_LEAF, "shape": [3]}), leaves=[np.ones(2)]), r"shape \(2,\).*\(3,\)"),
    "negative-shape": (dict(header=_header({**_LEAF, "shape": [-2]}), leaves=[np.ones(2)]), "invalid shape"),
    "dtype-mismatch": (dict(header=_header({**_LEAF, "dtype": "<f4"}), leaves=[np.ones(2)]), "dtype float64.*float32"),
    "object-dtype-declared": (dict(header=_header({**_LEAF, "dtype": "|O"}), leaves=[np.ones(2)]), "dtype '|O'"),
    "garbage-dtype": (dict(header=_header({**_LEAF, "dtype": "not a dtype"}), leaves=[np.ones(2)]), "invalid dtype"),
    "python-float-as-int": (
        dict(header=_header({**_LEAF, "kind": "float", "dtype": "<i8", "shape": []}), leaves=[np.array(1)]),
        "Python float",
    ),
    "tree-not-uint8": (dict(header=None, raw_tree=b"", extra={"autotape_tree": np.ones(3)}), "autotape_tree"),
    "structured-leaf": (
        dict(header=_header({**_LEAF, "dtype": "|V8", "shape": [1]}), leaves=[np.zeros(1, dtype=[("a", "<f8")])]),
        "dtype",
    ),
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_inconsistent_or_hostile_contents_raise_a_format_error(tmp_path, case):
    kwargs, reason = CRAFTED[case]
    path = tmp_path / f"crafted-{case}.npz"
    _craft(path, **kwargs)
    with pytest.raises(FileFormatError, match=f"crafted-{case}.npz") as raised:
        load(path)
    assert raised.match(reason), str(raised.value)


class _Exploit:
    """Unpickling this would create the marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_loading_never_executes_code(tmp_path):
    marker = tmp_path / "pwned"
    payload = np.array([_Exploit(str(marker))], dtype=object)
    # An archive whose leaf is a pickled object array, described as a numeric leaf...
    path = tmp_path / "hostile.npz"
    with open(path, "wb") as f:
        header = _header({**_LEAF, "dtype": "<f8", "shape": [1]})
        tree = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        np.savez(f, autotape_tree=tree, leaf_0=payload)  # numpy pickles the object array here
    with pytest.raises(FileFormatError, match="hostile.npz.*object"):
        load(path)
    # ...and a bare pickle of the same object.
    (tmp_path / "hostile.pkl").write_bytes(pickle.dumps(payload))
    with pytest.raises(FileFormatError, match="hostile.pkl.*pickle"):
        load(tmp_path / "hostile.pkl")
    assert not marker.exists()


# -- atomic writes ------------------------------------------------------------------------------

OLD = {"w": np.arange(3.0)}
NEW = {"w": np.arange(3.0) + 10, "extra": np.ones((50, 50))}


def _half_then(exception):
    real_savez = np.savez

    def savez(file, *args, **kwargs):
        import io

        buffer = io.BytesIO()
        real_savez(buffer, *args, **kwargs)
        data = buffer.getvalue()
        file.write(data[: len(data) // 2])
        raise exception

    return savez


@pytest.mark.parametrize("exception", [OSError(28, "No space left on device"), KeyboardInterrupt()], ids=repr)
def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch, exception):
    target = tmp_path / "ckpt.npz"
    save(target, OLD)
    monkeypatch.setattr(np, "savez", _half_then(exception))
    with pytest.raises(type(exception)):
        save(target, NEW)
    monkeypatch.undo()
    assert files_in(tmp_path) == ["ckpt.npz"]
    assert_same_tree(OLD, load(target))


def test_an_interrupt_at_the_rename_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "ckpt.npz"
    save(target, OLD)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save(target, NEW)
    monkeypatch.undo()
    assert files_in(tmp_path) == ["ckpt.npz"]
    assert_same_tree(OLD, load(target))


_CRASHING_WRITER = """
import os, signal, sys
import numpy as np
from autotape.serialization import save

real_savez = np.savez

class Dying:
    def __init__(self, f):
        self.f, self.written = f, 0
    def write(self, data):
        self.f.write(bytes(data)[:4096])
        self.f.flush()
        self.written += 1
        if self.written == 3:
            os.kill(os.getpid(), signal.SIGKILL)  # a hard crash mid-write: no cleanup runs
        return self.f.write(bytes(data)[4096:]) + min(len(data), 4096)
    def __getattr__(self, name):
        return getattr(self.f, name)

np.savez = lambda f, *a, **k: real_savez(Dying(f), *a, **k)
save(sys.argv[1], {"w": np.arange(3.0) + 10, "extra": np.ones((500, 500))})
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_hard_crash_mid_write_never_leaves_a_partial_file_under_the_target_name(tmp_path):
    target = tmp_path / "ckpt.npz"
    save(target, OLD)
    script = tmp_path / "crash.py"
    script.write_text(_CRASHING_WRITER)
    done = subprocess.run([sys.executable, str(script), str(target)], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    assert_same_tree(OLD, load(target))  # the old checkpoint, intact
    leftovers = [name for name in files_in(tmp_path) if name not in ("ckpt.npz", "crash.py")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".ckpt.npz.") and leftovers[0].endswith(".tmp")


@pytest.mark.skipif(os.name != "posix", reason="replacing a file that is open for reading needs POSIX")
def test_concurrent_saves_and_loads_only_ever_see_complete_files(tmp_path):
    target = tmp_path / "shared.npz"
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
    assert seen and files_in(tmp_path) == ["shared.npz"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the umask from /proc")
def test_permissions_follow_the_umask_and_are_kept_on_overwrite(tmp_path):
    old_umask = os.umask(0o027)
    try:
        save(tmp_path / "new.npz", OLD)
    finally:
        os.umask(old_umask)
    assert (tmp_path / "new.npz").stat().st_mode & 0o777 == 0o640
    (tmp_path / "new.npz").chmod(0o600)
    save(tmp_path / "new.npz", NEW)
    assert (tmp_path / "new.npz").stat().st_mode & 0o777 == 0o600
