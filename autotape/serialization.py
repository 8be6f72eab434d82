"""Saving and loading parameter pytrees: one ``.npz`` file, no pickle, atomic writes.

``save(path, params)`` writes a pytree of arrays (nested dicts, lists and tuples,
``None`` allowed) to a single file; ``load(path)`` reads it back with the same
structure, key order, dtypes, shapes and bytes. Loading never executes code from
the file: arrays are read with ``allow_pickle=False`` and the structure is plain
JSON, checked in full before anything is returned.

File format (version 1)
-----------------------
The file is an ordinary NumPy ``.npz`` archive (a zip file of ``.npy`` members, as
written by :func:`numpy.savez`, uncompressed), so ``numpy.load`` can read it too:

* ``autotape_tree.npy``: a 1-D ``uint8`` array holding UTF-8 JSON::

      {"format": "autotape.params", "version": 1, "num_leaves": N, "tree": NODE}

  where ``NODE`` is one of::

      {"type": "none"}
      {"type": "list",  "items": [NODE, ...]}
      {"type": "tuple", "items": [NODE, ...]}
      {"type": "dict",  "keys": [KEY, ...], "items": [NODE, ...]}   # insertion order
      {"type": "leaf",  "index": i, "kind": KIND, "dtype": DESCR, "shape": [n, ...]}

  ``KEY`` is a JSON string or integer (the dict's own key, so ``{1: ...}`` stays
  an int key). ``DESCR`` is the dtype's ``numpy.dtype.str`` (e.g. ``"<f4"``), byte
  order included. ``KIND`` says what the leaf was, so it comes back as the same
  type: ``"array"`` (an ``ndarray``), ``"numpy_scalar"`` (e.g. ``np.float32(1)``),
  or a Python ``"float"``, ``"int"``, ``"bool"`` or ``"complex"`` (stored as 0-d
  ``float64``, ``int64``, ``bool`` and ``complex128`` arrays).
* ``leaf_0.npy`` ... ``leaf_{N-1}.npy``: the leaves, numbered depth first (dicts in
  insertion order, sequences in order); leaf ``i`` is the ``i``-th leaf met.

What can be saved
-----------------
Containers: ``dict`` (keys ``str`` or ``int``), ``list``, ``tuple`` and ``None``,
exactly these types. Leaves: ``numpy.ndarray`` (not subclasses such as masked
arrays or ``np.matrix``, which would lose their extra state), NumPy scalars, and
Python ``bool``, ``int`` (within int64), ``float`` and ``complex``; the dtype's kind
must be boolean, integer, unsigned, float or complex.

Namedtuples (an optimizer's ``AdamState``, say) and other subclasses of the
containers are refused with a TypeError rather than saved as plain tuples or
dicts: rebuilding them would mean importing a class named by the file, and loading
something that is not what was saved would break code later, far from the cause.
Convert first, e.g. ``save(path, state._asdict())`` and
``AdamState(**load(path))``. Every successful :func:`load` returns exactly the
structure that was saved. An array that appears twice in the tree is stored twice
and loads as two independent arrays.

Paths and atomic writes
-----------------------
The file is written to exactly the given path: unlike :func:`numpy.savez`, no
``.npz`` suffix is appended, so ``save("ckpt", p)`` writes ``ckpt`` and
``load("ckpt")`` reads it back (the suffix is only a convention; the content is
the same). The data goes to a temporary file in the same directory (named
``.<name>.<random>.tmp``), is flushed to disk, and is then renamed over the target
with :func:`os.replace`, so the target name only ever holds a complete file: the
old one or the new one. An error or KeyboardInterrupt during :func:`save` removes
the temporary file; a hard crash (power loss, SIGKILL) may leave one behind, never
a partial file under the target name. A new file gets the permissions ``open()``
would give it (``0o666`` less the umask); overwriting keeps the old file's
permission bits. If the target is a symbolic link, the link itself is replaced.
"""

from __future__ import annotations

import inspect
import json
import os
import stat
import struct
import tempfile
import zipfile
import zlib
from typing import Any

import numpy as np
from numpy.lib import format as npy_format

__all__ = ["save", "load", "FileFormatError", "FORMAT_NAME", "FORMAT_VERSION"]

FORMAT_NAME = "autotape.params"
FORMAT_VERSION = 1

_TREE_MEMBER = "autotape_tree"
_LEAF_PREFIX = "leaf_"
_ALLOWED_KINDS = frozenset("biufc")  # bool, int, unsigned, float, complex
_PYTHON_KINDS = {"float": np.float64, "int": np.int64, "bool": np.bool_, "complex": np.complex128}
_LEAF_KINDS = frozenset(_PYTHON_KINDS) | {"array", "numpy_scalar"}
# numpy.savez grew allow_pickle in NumPy 2.1; on older versions the keyword would be
# saved as an array named "allow_pickle", so it is only passed where it is a parameter.
_SAVEZ_HAS_ALLOW_PICKLE = "allow_pickle" in inspect.signature(np.savez).parameters


class FileFormatError(ValueError):
    """A file given to :func:`load` is not a valid autotape parameter file.

    Raised for truncated or corrupted files, files written by something else
    (a plain ``numpy.savez`` archive, a pickle, text), and files of a newer format
    version. The message names the file and what is wrong with it.
    """


# -- saving ---------------------------------------------------------------------------------


def save(path: str | os.PathLike, params: Any) -> str:
    """Write the pytree ``params`` to ``path`` as one ``.npz`` file, atomically.

    Args:
        path: the file to write (``str`` or path-like), used exactly as given: no
            ``.npz`` suffix is appended. Its directory must exist. An existing
            file is replaced only once the new one is completely written.
        params: a pytree of ``dict`` (``str`` or ``int`` keys), ``list``, ``tuple``
            and ``None``, whose leaves are NumPy arrays or scalars, or Python
            ``bool``/``int``/``float``/``complex`` (see the module docstring). It is
            not modified.
    Returns:
        The path written, as a ``str``.
    Raises:
        TypeError: a container or leaf of an unsupported type (namedtuples and other
            subclasses included), a dict key that is not ``str`` or ``int``, or an
            array of a dtype that is not boolean or numeric (object, string,
            structured, datetime). The message names the leaf's path, e.g.
            ``params['layers'][1]['w']``, and says how to convert it.
        ValueError: a Python ``int`` outside int64, a container that contains
            itself, or a pytree nested too deeply.
        FileNotFoundError: the directory of ``path`` does not exist.
        IsADirectoryError: ``path`` is a directory.
        OSError: the file cannot be written (permissions, disk full, ...); the
            target is then left as it was.

    Nothing is written when ``params`` is invalid: it is checked in full first.
    """
    target = _fspath(path)
    leaves: list[np.ndarray] = []
    try:
        tree = _encode(params, "params", leaves, set())
    except RecursionError:
        raise ValueError(
            f"save: the pytree for {target!r} is nested too deeply to save; flatten it, e.g. with at.tree.flatten"
        ) from None
    header = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "num_leaves": len(leaves), "tree": tree}
    members: dict[str, Any] = {
        _TREE_MEMBER: np.frombuffer(json.dumps(header, allow_nan=False).encode("utf-8"), dtype=np.uint8)
    }
    for i, leaf in enumerate(leaves):
        members[f"{_LEAF_PREFIX}{i}"] = leaf

    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: cannot write {target!r}: its directory {directory!r} does not exist")
    if os.path.isdir(target):
        raise IsADirectoryError(f"save: cannot write {target!r}: it is a directory; give a file name")
    mode = _mode_for(target)

    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)[:100]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            if _SAVEZ_HAS_ALLOW_PICKLE:
                np.savez(f, allow_pickle=False, **members)
            else:  # pragma: no cover - NumPy 2.0
                np.savez(f, **members)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)
    return target


def _fspath(path: Any) -> str:
    try:
        raw = os.fspath(path)
    except TypeError:
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__} {path!r}") from None
    return os.fsdecode(raw)


def _encode(node: Any, path: str, leaves: list, open_containers: set) -> dict:
    """The JSON node for ``node``; appends its leaves (as arrays) to ``leaves``."""
    kind = type(node)
    if node is None:
        return {"type": "none"}
    if kind is dict or kind is list or kind is tuple:
        if id(node) in open_containers:
            raise ValueError(f"save: {path} contains itself; a pytree must not have cycles")
        open_containers.add(id(node))
        try:
            if kind is dict:
                keys = list(node)
                for key in keys:
                    if type(key) is not str and type(key) is not int:
                        raise TypeError(
                            f"save: {path} has the key {key!r} of type {type(key).__name__}; dict keys must be "
                            "str or int. Convert the keys, e.g. {str(k): v for k, v in d.items()}"
                        )
                items = [_encode(node[key], f"{path}[{key!r}]", leaves, open_containers) for key in keys]
                return {"type": "dict", "keys": keys, "items": items}
            items = [_encode(child, f"{path}[{i}]", leaves, open_containers) for i, child in enumerate(node)]
            return {"type": kind.__name__, "items": items}
        finally:
            open_containers.discard(id(node))
    return _encode_leaf(node, path, leaves)


def _encode_leaf(leaf: Any, path: str, leaves: list) -> dict:
    kind = type(leaf)
    if kind is np.ndarray:
        array, leaf_kind = leaf, "array"
    elif isinstance(leaf, np.generic):
        array, leaf_kind = np.asarray(leaf), "numpy_scalar"
    elif kind in (bool, int, float, complex):
        leaf_kind = kind.__name__
        if kind is int and not np.iinfo(np.int64).min <= leaf <= np.iinfo(np.int64).max:
            raise ValueError(
                f"save: {path} is the int {leaf}, outside the int64 range that can be stored; store it "
                "as a float, or split it"
            )
        array = np.asarray(leaf, dtype=_PYTHON_KINDS[leaf_kind])
    else:
        raise TypeError(f"save: {path} is {_describe_unsupported(leaf)}")
    if array.dtype.kind not in _ALLOWED_KINDS or array.dtype.fields is not None:
        raise TypeError(
            f"save: {path} has dtype {array.dtype}; only boolean and numeric arrays (bool, int, uint, "
            "float, complex) can be saved, without pickle. Convert it, e.g. x.astype(np.float64), or keep "
            "it out of the saved pytree"
        )
    leaves.append(array)
    return {
        "type": "leaf",
        "index": len(leaves) - 1,
        "kind": leaf_kind,
        "dtype": array.dtype.str,
        "shape": list(array.shape),
    }


def _describe_unsupported(leaf: Any) -> str:
    kind = type(leaf)
    if isinstance(leaf, tuple) and hasattr(kind, "_fields"):
        return (
            f"a namedtuple {kind.__name__}, which cannot be rebuilt without importing its class. Save "
            f"x._asdict() instead and rebuild with {kind.__name__}(**load(path)), or save tuple(x)"
        )
    if isinstance(leaf, (dict, list, tuple)):
        base = next(b for b in (dict, list, tuple) if isinstance(leaf, b))
        return (
            f"a {kind.__name__}, a subclass of {base.__name__}, which cannot be rebuilt without "
            f"importing its class. Convert it first, e.g. {base.__name__}(x)"
        )
    if isinstance(leaf, np.ndarray):
        return (
            f"a {kind.__name__} (an ndarray subclass), whose extra state would be lost. Save "
            "np.asarray(x) (and, for a masked array, its mask as a separate leaf)"
        )
    if hasattr(leaf, "tape") and hasattr(leaf, "node"):
        return "a traced value; save concrete arrays, e.g. at.stop_gradient(x), outside the transform"
    return (
        f"of type {kind.__name__}; leaves must be NumPy arrays or scalars, or Python bool, int, float "
        "or complex. Convert it, e.g. with np.asarray(x)"
    )


def _mode_for(target: str) -> int:
    """Permission bits for the new file: the old file's, or what open() would give."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        pass
    umask = _current_umask()
    return 0o600 if umask is None else 0o666 & ~umask


def _current_umask() -> int | None:
    # os.umask can only be read by setting it, which races with other threads; Linux
    # reports it in /proc. Elsewhere the temporary file's 0o600 is kept.
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _fsync_directory(directory: str) -> None:
    """Make the rename durable where the platform allows it (best effort)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- loading --------------------------------------------------------------------------------


def load(path: str | os.PathLike) -> Any:
    """Read a pytree written by :func:`save`.

    Args:
        path: the file, used exactly as given (no suffix is added).
    Returns:
        The pytree, with the saved structure (dict key order and key types
        included), and leaves of the saved types, dtypes (byte order included),
        shapes and values. Arrays are new and writeable; an array saved in Fortran
        order loads in Fortran order, any other (views and strided arrays included)
        in C order.
    Raises:
        FileNotFoundError: ``path`` does not exist.
        IsADirectoryError: ``path`` is a directory.
        FileFormatError: (a ValueError) the file is not a valid autotape parameter
            file: truncated or corrupted (a bad zip structure or checksum), written by
            something else, holding pickled or non-numeric data, of a newer format
            version, or inconsistent (the JSON structure does not match the arrays).
            The message names the file.
        OSError: the file cannot be read.

    Nothing in the file is executed: the arrays are read with ``allow_pickle=False``
    and the structure is plain JSON, validated before any array is read.
    """
    source = _fspath(path)
    if os.path.isdir(source):
        raise IsADirectoryError(f"load: {source!r} is a directory, not an autotape parameter file")
    with open(source, "rb") as f:
        if f.read(4) != b"PK\x03\x04":
            f.seek(0)
            raise _format_error(source, _describe_foreign(f.read(64)))
        f.seek(0)
        try:
            with np.load(f, allow_pickle=False) as npz:
                return _read_archive(source, npz)
        except FileFormatError:
            raise
        except (
            zipfile.BadZipFile,
            zlib.error,
            struct.error,
            EOFError,
            ValueError,
            KeyError,
            OSError,
            NotImplementedError,
            OverflowError,
            RecursionError,
        ) as error:  # what zipfile and the .npy reader raise for damaged data
            raise _format_error(source, f"it is truncated or corrupted ({type(error).__name__}: {error})") from None


def _format_error(source: str, reason: str) -> FileFormatError:
    return FileFormatError(
        f"load: {source!r} is not a valid autotape parameter file: {reason}. Files written by "
        "autotape's save() are .npz archives holding an autotape_tree member; re-create the file "
        "with save(), or read a plain NumPy archive with numpy.load"
    )


def _describe_foreign(head: bytes) -> str:
    if not head:
        return "it is empty"
    if head.startswith(b"\x93NUMPY"):
        return "it is a single .npy array, not an .npz archive"
    if head[:1] == b"\x80":
        return "it looks like a pickle, which is never loaded"
    if head.startswith(b"PK"):
        return "it is not a complete zip archive"
    return "it is not a zip (.npz) archive"


def _read_archive(source: str, npz: Any) -> Any:
    names = set(npz.files)
    if _TREE_MEMBER not in names:
        shown = sorted(names)[:5]
        raise _format_error(source, f"it has no {_TREE_MEMBER} member (members: {shown}); it was not written by save()")
    header = _read_header(source, npz)
    num_leaves = header["num_leaves"]
    expected = {_TREE_MEMBER} | {f"{_LEAF_PREFIX}{i}" for i in range(num_leaves)}
    if names != expected:
        missing, extra = sorted(expected - names), sorted(names - expected)
        detail = "; ".join(
            part
            for part in (
                f"missing members {missing[:5]}" if missing else "",
                f"unexpected members {extra[:5]}" if extra else "",
            )
            if part
        )
        raise _format_error(source, f"its members do not match the {num_leaves} leaves it declares: {detail}")
    specs: list[dict] = []
    _check_node(source, header["tree"], specs, depth=0)
    if len(specs) != num_leaves:
        raise _format_error(source, f"the tree has {len(specs)} leaves but the file declares {num_leaves}")
    arrays = [_read_leaf(source, npz, i, spec) for i, spec in enumerate(specs)]
    return _build(header["tree"], iter(arrays))


def _read_header(source: str, npz: Any) -> dict:
    _check_member_header(source, npz, _TREE_MEMBER, np.dtype(np.uint8), None)
    raw = npz[_TREE_MEMBER]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _format_error(source, f"its {_TREE_MEMBER} member is {raw.dtype}{list(raw.shape)}, not a uint8 vector")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, RecursionError) as error:
        raise _format_error(source, f"its tree description is not valid JSON ({error})") from None
    if not isinstance(header, dict):
        raise _format_error(source, "its tree description is not a JSON object")
    if header.get("format") != FORMAT_NAME:
        raise _format_error(source, f"its format tag is {header.get('format')!r}, not {FORMAT_NAME!r}")
    version = header.get("version")
    if type(version) is not int:
        raise _format_error(source, f"its format version {version!r} is not an integer")
    if version > FORMAT_VERSION:
        raise _format_error(
            source,
            f"it has format version {version}, newer than this autotape reads ({FORMAT_VERSION}); upgrade autotape",
        )
    if version < 1:
        raise _format_error(source, f"its format version {version} does not exist")
    if set(header) != {"format", "version", "num_leaves", "tree"}:
        raise _format_error(source, f"its tree description has the fields {sorted(header)}")
    if type(header["num_leaves"]) is not int or header["num_leaves"] < 0:
        raise _format_error(source, f"its leaf count {header['num_leaves']!r} is not a non-negative integer")
    return header


def _reject_constant(name: str) -> None:
    raise ValueError(f"the constant {name} is not allowed")


def _check_node(source: str, node: Any, specs: list, depth: int) -> None:
    """Validate one JSON node (recursively); collect leaf specs in order."""
    if depth > 10_000:
        raise _format_error(source, "its tree is nested too deeply")
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        raise _format_error(source, f"a tree node is {_short(node)}, not an object with a type")
    kind = node["type"]
    fields = set(node)
    if kind == "none":
        if fields != {"type"}:
            raise _format_error(source, f"a none node has the fields {sorted(fields)}")
        return
    if kind in ("list", "tuple", "dict"):
        want = {"type", "items"} | ({"keys"} if kind == "dict" else set())
        if fields != want or not isinstance(node["items"], list):
            raise _format_error(source, f"a {kind} node is malformed: {_short(node)}")
        if kind == "dict":
            keys = node["keys"]
            if not isinstance(keys, list) or len(keys) != len(node["items"]):
                raise _format_error(source, f"a dict node's keys do not match its items: {_short(node)}")
            for key in keys:
                if type(key) is not str and type(key) is not int:
                    raise _format_error(source, f"a dict key is {_short(key)}; keys must be strings or integers")
            if len(set(keys)) != len(keys):
                raise _format_error(source, f"a dict node repeats a key: {_short(keys)}")
        for child in node["items"]:
            _check_node(source, child, specs, depth + 1)
        return
    if kind == "leaf":
        if fields != {"type", "index", "kind", "dtype", "shape"}:
            raise _format_error(source, f"a leaf node has the fields {sorted(fields)}")
        if type(node["index"]) is not int or node["index"] != len(specs):
            raise _format_error(source, f"leaf {len(specs)} is numbered {_short(node['index'])}")
        if node["kind"] not in _LEAF_KINDS:
            raise _format_error(source, f"leaf {len(specs)} has the unknown kind {_short(node['kind'])}")
        shape = node["shape"]
        if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
            raise _format_error(source, f"leaf {len(specs)} has the invalid shape {_short(shape)}")
        dtype = _parse_dtype(source, node["dtype"], len(specs))
        if node["kind"] in _PYTHON_KINDS and (shape or dtype != np.dtype(_PYTHON_KINDS[node["kind"]])):
            raise _format_error(source, f"leaf {len(specs)} is a Python {node['kind']} stored as {dtype}{shape}")
        if node["kind"] == "numpy_scalar" and shape:
            raise _format_error(source, f"leaf {len(specs)} is a NumPy scalar with the shape {shape}")
        specs.append({"dtype": dtype, "shape": tuple(shape)})
        return
    raise _format_error(source, f"a tree node has the unknown type {_short(kind)}")


def _parse_dtype(source: str, descr: Any, index: int) -> np.dtype:
    if not isinstance(descr, str) or len(descr) > 8:
        raise _format_error(source, f"leaf {index} has the invalid dtype {_short(descr)}")
    try:
        dtype = np.dtype(descr)
    except (TypeError, ValueError):
        raise _format_error(source, f"leaf {index} has the invalid dtype {_short(descr)}") from None
    if dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None or dtype.str != descr:
        raise _format_error(source, f"leaf {index} has dtype {descr!r}; only boolean and numeric dtypes are stored")
    return dtype


def _check_member_header(source: str, npz: Any, name: str, dtype: np.dtype | None, shape: tuple | None) -> None:
    """Check a member's .npy header before reading it: dtype, shape, and a data size that fits the zip entry."""
    member = f"{name}.npy"
    info = npz.zip.getinfo(member)
    with npz.zip.open(member) as f:
        version = npy_format.read_magic(f)
        if version == (1, 0):
            header = npy_format.read_array_header_1_0(f)
        elif version == (2, 0):
            header = npy_format.read_array_header_2_0(f)
        else:
            raise _format_error(source, f"its member {member} has the unsupported .npy version {version}")
        header_size = f.tell()
    actual_shape, _, actual_dtype = header
    if actual_dtype.kind not in _ALLOWED_KINDS or actual_dtype.fields is not None or actual_dtype.hasobject:
        raise _format_error(source, f"its member {member} holds {actual_dtype} data; only numeric arrays are read")
    if dtype is not None and actual_dtype != dtype:
        raise _format_error(source, f"its member {member} has dtype {actual_dtype}, but the tree says {dtype}")
    if shape is not None and tuple(actual_shape) != shape:
        raise _format_error(source, f"its member {member} has shape {tuple(actual_shape)}, but the tree says {shape}")
    nbytes = int(np.prod(actual_shape, dtype=np.int64)) * actual_dtype.itemsize
    if info.file_size != header_size + nbytes:
        raise _format_error(
            source, f"its member {member} holds {info.file_size - header_size} data bytes where {nbytes} are expected"
        )


def _read_leaf(source: str, npz: Any, index: int, spec: dict) -> np.ndarray:
    name = f"{_LEAF_PREFIX}{index}"
    _check_member_header(source, npz, name, spec["dtype"], spec["shape"])
    array = npz[name]
    if array.dtype.str != spec["dtype"].str or array.shape != spec["shape"]:  # pragma: no cover - checked above
        raise _format_error(source, f"leaf {index} does not match its description")
    return array


def _build(node: dict, arrays: Any) -> Any:
    kind = node["type"]
    if kind == "none":
        return None
    if kind == "list":
        return [_build(child, arrays) for child in node["items"]]
    if kind == "tuple":
        return tuple(_build(child, arrays) for child in node["items"])
    if kind == "dict":
        return {key: _build(child, arrays) for key, child in zip(node["keys"], node["items"])}
    array = next(arrays)
    leaf_kind = node["kind"]
    if leaf_kind == "array":
        return array
    if leaf_kind == "numpy_scalar":
        return array[()]
    return {"float": float, "int": int, "bool": bool, "complex": complex}[leaf_kind](array[()])


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
