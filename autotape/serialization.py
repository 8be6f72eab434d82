"""Parameter pytrees as safetensors files: ``save`` and ``load``, no pickle, atomic writes.

:func:`save` writes a pytree of arrays to one
`safetensors <https://huggingface.co/docs/safetensors>`_ file with the ``safetensors``
package, each leaf a tensor named by its path (``layers.0.w``), so
``safetensors.numpy.load_file`` and PyTorch's ``safetensors.torch.load_file`` read it
as a flat ``{name: tensor}`` dict. What only autotape knows, the pytree's structure, is JSON in the file's
metadata; :func:`load` rebuilds the tree from it, with the same structure, dict key
order and key types, leaf types, dtypes, shapes and values.

File format (version 2)
-----------------------
A tensor's name joins its leaf's path with dots: dict keys (``str(key)``), list and
tuple positions, namedtuple fields; a lone array is named ``""``. The header's
metadata has one entry, ``"autotape"``, holding the JSON
``{"format": "autotape.params", "version": 2, "tree": NODE}``, where ``NODE`` is one of::

    {"type": "none"}
    {"type": "list",  "items": [NODE, ...]}
    {"type": "tuple", "items": [NODE, ...]}
    {"type": "dict",  "keys": [KEY, ...], "items": [NODE, ...]}     # insertion order
    {"type": "namedtuple", "name": NAME, "fields": [FIELD, ...], "items": [NODE, ...]}
    {"type": "leaf",  "name": TENSOR, "kind": KIND, "crc32": C}     # and "complex": true

``KEY`` is the key itself, a string or an integer. ``NAME`` is the name the
namedtuple's class is registered under (:func:`register_namedtuple`). ``KIND`` is
``"array"``, ``"numpy_scalar"`` (e.g. ``np.float32(1)``), or a Python ``"float"``,
``"int"``, ``"bool"`` or ``"complex"`` (stored 0-d as float64, int64, bool and
complex128), so each leaf loads as the type it was. ``C`` is the :func:`zlib.crc32` of
the tensor's bytes: safetensors has no checksum, and without one a flipped bit in the
data would load as another number. safetensors has no complex128 type (and complex64
only from version 0.7), so a complex array is stored as its real view, float32 or
float64 with a last axis of 2 (real, imaginary; what ``torch.view_as_complex`` takes),
and marked ``"complex": true``.

What can be saved
-----------------
Containers: ``dict`` (``str`` or ``int`` keys), ``list``, ``tuple``, ``None``, and
namedtuples of a registered class; autotape registers its optimizers' states
(:class:`~autotape.optim.AdamState`, :class:`~autotape.optim.MomentumState`). Other
subclasses are refused: loading never imports a class the file names. Leaves:
``numpy.ndarray`` (not subclasses, whose extra state would be lost), NumPy scalars,
and Python ``bool``, ``int`` (within int64), ``float`` and ``complex``, of the dtypes
safetensors stores: bool, int8 to int64, uint8 to uint64, float16 to float64, and
complex64 and complex128 as above. Arrays are stored C-ordered and little-endian,
and load that way with the same values. An array that appears twice is stored twice.
Two leaves whose paths give one tensor name (``{1: a, "1": b}``) are refused.

autotape 0.1 files
------------------
autotape 0.1 wrote ``.npz`` archives (format version 1). :func:`load` still reads
them, without pickle; :func:`save` writes safetensors only. To convert a file:
``save("params.safetensors", load("params.npz"))``.

Atomic writes
-------------
:func:`save` writes a temporary file in the target's directory
(``.<name>.<random>.tmp``), flushes it to disk and renames it over the target with
:func:`os.replace`, so the target only ever holds a complete file, the old one or the
new one. An error or KeyboardInterrupt removes the temporary file; a hard crash
(power loss, SIGKILL) may leave one behind (or, with safetensors 0.8, the temporary
file safetensors itself writes first). A new file gets the permissions
``open()`` would give it; an overwritten one keeps its own. A symbolic link at the
target is itself replaced.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy

from . import optim

__all__ = ["save", "load", "register_namedtuple", "FileFormatError", "FORMAT_NAME", "FORMAT_VERSION"]

FORMAT_NAME = "autotape.params"
FORMAT_VERSION = 2
METADATA_KEY = "autotape"

_STORED = frozenset(np.dtype(t) for t in "? i1 i2 i4 i8 u1 u2 u4 u8 f2 f4 f8".split())
_COMPLEX: dict[np.dtype, np.dtype] = {
    np.dtype("<c8"): np.dtype("<f4"),
    np.dtype("<c16"): np.dtype("<f8"),
}  # stored as (real, imag) pairs
_PYTHON = {  # a Python scalar leaf's kind -> (its type, the dtype it is stored as)
    "float": (float, np.dtype("f8")),
    "int": (int, np.dtype("i8")),
    "bool": (bool, np.dtype("?")),
    "complex": (complex, np.dtype("c16")),
}
# What the readers (and the checks here) raise for a damaged, truncated or foreign file.
_DAMAGE = (
    safetensors.SafetensorError,
    ValueError,
    TypeError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
)
_NAMEDTUPLES: dict[str, Any] = {}  # registered name -> class
_NAMES: dict[type, str] = {}  # class -> registered name


class FileFormatError(ValueError):
    """A file given to :func:`load` is not a valid autotape parameter file.

    Raised for truncated or corrupted files (a damaged header, data whose checksum
    differs), files written by something else (a safetensors file without autotape's
    metadata, a pickle, text), files of a newer format version, and a namedtuple whose
    registered class has other fields than the file's. The message names the file and
    what is wrong with it.
    """


def register_namedtuple(cls: type, name: str | None = None) -> type:
    """Let :func:`save` store namedtuples of class ``cls``, and :func:`load` rebuild them.

    Register the class in the program that saves and in the one that loads, under the
    same name. Registering a class again under its name does nothing.

    Args:
        cls: a namedtuple class (from :func:`collections.namedtuple` or
            :class:`typing.NamedTuple`).
        name: the name written to files; by default ``"<module>.<qualname>"``, e.g.
            ``"autotape.optim.AdamState"``. Give one if the class is defined in a
            script (module ``__main__``) or may move to another module.
    Returns:
        ``cls``, so this also works as a class decorator.
    Raises:
        TypeError: ``cls`` is not a namedtuple class, or ``name`` not a non-empty str.
        ValueError: ``name`` is registered for another class, or ``cls`` under
            another name.
    """
    if not (isinstance(cls, type) and issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple)):
        raise TypeError(
            f"register_namedtuple: {cls!r} is not a namedtuple class; pass one made with "
            "collections.namedtuple or typing.NamedTuple"
        )
    name = f"{cls.__module__}.{cls.__qualname__}" if name is None else name
    if not isinstance(name, str) or not name:
        raise TypeError(f"register_namedtuple: the name must be a non-empty str, got {name!r}")
    if _NAMEDTUPLES.get(name, cls) is not cls or _NAMES.get(cls, name) != name:
        taken = f"{name!r} names {_NAMEDTUPLES[name]!r}" if name in _NAMEDTUPLES else f"{cls!r} is {_NAMES[cls]!r}"
        raise ValueError(f"register_namedtuple: {taken} already; choose another name with name=...")
    _NAMEDTUPLES[name], _NAMES[cls] = cls, name
    return cls


register_namedtuple(optim.AdamState)
register_namedtuple(optim.MomentumState)


def save(path: str | os.PathLike, params: Any) -> str:
    """Write the pytree ``params`` to ``path`` as one safetensors file, atomically.

    Args:
        path: the file to write (``str`` or path-like), used exactly as given (no
            suffix is added; ``.safetensors`` is the convention). Its directory must
            exist. An existing file is replaced only once the new one is complete.
        params: a pytree of ``dict`` (``str`` or ``int`` keys), ``list``, ``tuple``,
            ``None`` and registered namedtuples, whose leaves are NumPy arrays or
            scalars, or Python ``bool``/``int``/``float``/``complex`` (see the module
            docstring). It is not modified.
    Returns:
        The path written, as a ``str``.
    Raises:
        TypeError: a container or leaf of an unsupported type (unregistered
            namedtuples and other subclasses included), a dict key that is not
            ``str`` or ``int``, or an array of a dtype safetensors does not store
            (object, string, structured, datetime, float128). The message names the
            leaf's path, e.g. ``params['layers'][1]['w']``, and how to convert it.
        ValueError: a Python ``int`` outside int64, two leaves with the same tensor
            name, the tensor name ``__metadata__`` (reserved by safetensors), a
            container that contains itself, or a pytree nested too deeply.
        FileNotFoundError: the directory of ``path`` does not exist.
        IsADirectoryError: ``path`` is a directory.
        OSError: the file cannot be written (permissions, disk full, ...); the
            target is then left as it was.

    Nothing is written when ``params`` is invalid: it is checked in full first.
    """
    target = _fspath(path, "save")
    tensors: dict[str, tuple[np.ndarray, str]] = {}  # tensor name -> (data as stored, the leaf's path)
    try:
        tree = _encode(params, "params", (), tensors, set())
    except RecursionError:
        raise ValueError(
            f"save: the pytree for {target!r} is nested too deeply to save; flatten it, e.g. with at.tree.flatten"
        ) from None
    header = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION, "tree": tree}, ensure_ascii=False)
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: cannot write {target!r}: its directory {directory!r} does not exist")
    if os.path.isdir(target):
        raise IsADirectoryError(f"save: cannot write {target!r}: it is a directory; give a file name")
    tmp = os.path.join(directory, f".{os.path.basename(target)[:100]}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        mode = stat.S_IMODE(os.fstat(fd).st_mode)  # what open() gives a new file: 0o666 less the umask
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            mode = stat.S_IMODE(os.stat(target).st_mode)
        data = {name: array for name, (array, _) in tensors.items()}
        # safetensors 0.8 itself writes to a file of its own with mode 0o600 and renames it to tmp.
        safetensors.numpy.save_file(data, tmp, metadata={METADATA_KEY: header})
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename durable, where the platform allows it
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return target


def _fspath(path: Any, caller: str) -> str:
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(
            f"{caller}: the path must be a str or os.PathLike, got {type(path).__name__} {path!r}"
        ) from None


def _encode(node: Any, path: str, parts: tuple, tensors: dict, open_containers: set) -> dict:
    """The JSON node of ``node`` (at ``path``; ``parts`` make its tensor name); its leaves go into ``tensors``."""
    kind = type(node)
    if node is None:
        return {"type": "none"}
    if kind is dict or kind is list or kind is tuple or kind in _NAMES:
        if id(node) in open_containers:
            raise ValueError(f"save: {path} contains itself; a pytree must not have cycles")
        open_containers.add(id(node))
        keys = list(node) if kind is dict else list(kind._fields) if kind in _NAMES else range(len(node))
        for key in keys if kind is dict else ():
            if type(key) is not str and type(key) is not int:
                raise TypeError(
                    f"save: {path} has the key {key!r} of type {type(key).__name__}; dict keys must be "
                    "str or int. Convert the keys, e.g. {str(k): v for k, v in d.items()}"
                )
        items = []
        for key, child in zip(keys, node.values() if kind is dict else node):
            label = f"{path}.{key}" if kind in _NAMES else f"{path}[{key!r}]"
            items.append(_encode(child, label, (*parts, str(key)), tensors, open_containers))
        open_containers.discard(id(node))
        if kind is dict:
            return {"type": "dict", "keys": keys, "items": items}
        if kind in _NAMES:
            return {"type": "namedtuple", "name": _NAMES[kind], "fields": keys, "items": items}
        return {"type": kind.__name__, "items": items}
    if kind is np.ndarray or isinstance(node, np.generic):
        leaf_kind, array = "array" if kind is np.ndarray else "numpy_scalar", np.asarray(node)
    elif kind in (bool, int, float, complex):
        leaf_kind = kind.__name__
        try:
            array = np.asarray(node, dtype=_PYTHON[leaf_kind][1])
        except OverflowError:
            raise ValueError(
                f"save: {path} is the int {node}, outside the int64 range that can be stored; store it as a "
                "float, or split it"
            ) from None
    else:
        raise TypeError(f"save: {path} is {_describe_unsupported(node)}")
    dtype, name = array.dtype.newbyteorder("<"), ".".join(parts)
    if dtype not in _STORED and dtype not in _COMPLEX:
        raise TypeError(
            f"save: {path} has dtype {array.dtype}, which safetensors does not store; only bool, int8-64, uint8-64, "
            "float16-64 and complex arrays can be saved. Convert it, e.g. x.astype(np.float64), or keep it out of "
            "the saved pytree"
        )
    if name in tensors:
        raise ValueError(
            f"save: {tensors[name][1]} and {path} would both be stored as the tensor {name!r} (a tensor's name "
            "joins its leaf's path with dots); rename one of the keys"
        )
    if name == "__metadata__":
        raise ValueError(f"save: {path} would be stored as the tensor {name!r}, a name safetensors reserves; rename it")
    # C order and little-endian, as safetensors stores them. (safetensors 0.8.0 writes a
    # Fortran-ordered array's memory as if it were in C order: safetensors issue #825.)
    stored = np.asarray(array, dtype=dtype, order="C")
    if dtype in _COMPLEX:
        stored = stored[..., None].view(_COMPLEX[dtype])
    tensors[name] = (stored, path)
    leaf = {"type": "leaf", "name": name, "kind": leaf_kind, "crc32": zlib.crc32(stored.data)}
    return leaf | {"complex": True} if dtype in _COMPLEX else leaf


def _describe_unsupported(leaf: Any) -> str:
    kind = type(leaf)
    if isinstance(leaf, tuple) and hasattr(kind, "_fields"):
        return (
            f"a namedtuple {kind.__name__} whose class is not registered; call autotape.serialization."
            f"register_namedtuple({kind.__name__}) in the saving and the loading program, or save x._asdict()"
        )
    if isinstance(leaf, np.ndarray):
        return (
            f"a {kind.__name__} (an ndarray subclass), whose extra state would be lost. Save np.asarray(x) "
            "(and a masked array's mask as another leaf)"
        )
    if isinstance(leaf, (dict, list, tuple)):
        base = next(b for b in (dict, list, tuple) if isinstance(leaf, b))
        return (
            f"a {kind.__name__}, a subclass of {base.__name__}, which load() could not rebuild without importing "
            f"its class. Convert it first, e.g. {base.__name__}(x)"
        )
    if hasattr(leaf, "tape") and hasattr(leaf, "node"):
        return "a traced value; save concrete arrays, e.g. at.stop_gradient(x), outside the transform"
    return (
        f"of type {kind.__name__}; leaves must be NumPy arrays or scalars, or Python bool, int, float or "
        "complex. Convert it, e.g. with np.asarray(x)"
    )


def load(path: str | os.PathLike) -> Any:
    """Read a pytree written by :func:`save` (or an autotape 0.1 ``.npz`` file).

    Args:
        path: the file, used exactly as given (no suffix is added).
    Returns:
        The pytree, with the saved structure (dict key order and key types, tuples,
        namedtuples and ``None`` included), and leaves of the saved types, dtypes,
        shapes and values. Arrays are new and writeable; from a safetensors file
        they are C-ordered and little-endian (from a 0.1 file, as they were saved).
    Raises:
        FileNotFoundError: ``path`` does not exist.
        IsADirectoryError: ``path`` is a directory.
        FileFormatError: (a ValueError) the file is not a valid autotape parameter
            file: truncated or corrupted (a damaged header, or data whose checksum
            differs), written by something else, of a newer format version, or
            inconsistent (its metadata does not match its tensors). The message names
            the file.
        LookupError: the file holds a namedtuple whose name is not registered in this
            program; the message names it and says how to register its class.
        OSError: the file cannot be read.

    Nothing in the file is executed and no module it names is imported: tensors are
    plain numbers, the structure is JSON, and namedtuples are rebuilt only through
    classes registered with :func:`register_namedtuple`.
    """
    source = _fspath(path, "load")
    if os.path.isdir(source):
        raise IsADirectoryError(f"load: {source!r} is a directory, not an autotape parameter file")
    try:
        with open(source, "rb") as f:
            legacy = f.read(4) == b"PK\x03\x04"  # a zip archive: autotape 0.1's .npz
    except FileNotFoundError:
        raise FileNotFoundError(f"load: {source!r} does not exist") from None
    try:
        if legacy:
            with np.load(source, allow_pickle=False) as npz:
                header = _header(source, npz["autotape_tree"].tobytes().decode("utf-8"), 1)
                return _build(source, header["tree"], lambda node: _npz_leaf(source, npz, node))
        with safetensors.safe_open(source, framework="np") as f:
            header = _header(source, (f.metadata() or {}).get(METADATA_KEY), FORMAT_VERSION)
            names, used = set(f.keys()), list[str]()
            tree = _build(source, header["tree"], lambda node: _tensor(source, f, node, used))
        if len(used) != len(names) or set(used) != names:
            unnamed = sorted(names - set(used))[:5]
            raise _format_error(
                source,
                f"its tree's {len(used)} leaves do not name its {len(names)} tensors once each (unnamed: {unnamed})",
            )
        return tree
    except (FileFormatError, LookupError) as error:
        if isinstance(error, KeyError):  # a field missing from the tree, or a leaf missing from an .npz
            raise _format_error(source, f"its tree or tensors are malformed (missing {error})") from None
        raise
    except RecursionError:
        raise _format_error(source, "its tree is nested too deeply") from None
    except _DAMAGE as error:
        reason = f"{type(error).__name__}: {error}"
        raise _format_error(source, f"it is truncated, corrupted or malformed ({reason})") from None


def _format_error(source: str, reason: str) -> FileFormatError:
    return FileFormatError(
        f"load: {source!r} is not a valid autotape parameter file: {reason}. autotape's save() writes "
        "safetensors files with the pytree in their metadata; re-create the file with save(), or read a "
        "plain safetensors file with safetensors.numpy.load_file"
    )


def _header(source: str, raw: Any, version: int) -> dict:
    """The metadata's JSON, checked: its format tag and version (``version``, that of the container)."""
    header = json.loads(raw) if isinstance(raw, str) else None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise _format_error(source, f"it has no {FORMAT_NAME!r} metadata; it was not written by autotape's save()")
    found = header.get("version")
    if type(found) is int and found > FORMAT_VERSION:
        raise _format_error(source, f"it has format version {found}, newer than this autotape reads; upgrade it")
    if found != version or type(found) is not int:
        raise _format_error(source, f"its format version {_short(found)} does not match its container's ({version})")
    return header


def _npz_leaf(source: str, npz: Any, node: dict) -> np.ndarray:
    """The array of the leaf ``node`` of an open autotape 0.1 archive ``npz``."""
    if type(node["index"]) is not int:
        raise ValueError(f"the leaf index {_short(node['index'])} is not an integer")
    try:
        return npz[f"leaf_{node['index']}"]
    except MemoryError:  # a .npy header can declare any shape
        raise _format_error(source, f"its leaf_{node['index']} declares an array too large to allocate") from None


def _tensor(source: str, f: Any, node: dict, used: list) -> np.ndarray:
    """The array of the leaf ``node`` of an open safetensors file ``f``, checked; its name goes into ``used``."""
    name = node["name"]
    if not isinstance(name, str):
        raise ValueError(f"the tensor name {_short(name)} is not a string")
    used.append(name)
    array = f.get_tensor(name)
    if zlib.crc32(array.data) != node["crc32"]:
        raise _format_error(source, f"the data of its tensor {name!r} is corrupted: its checksum differs")
    if node.get("complex", False) is False:
        return array
    if node["complex"] is not True or array.dtype not in (np.float32, np.float64) or array.shape[-1:] != (2,):
        raise _format_error(source, f"its tensor {name!r} is {array.dtype}{list(array.shape)}, not complex pairs")
    return array.view(np.complex64 if array.dtype == np.float32 else np.complex128)[..., 0]


def _build(source: str, node: dict, fetch: Callable[[dict], np.ndarray]) -> Any:
    """The subtree the JSON ``node`` describes; ``fetch(leaf_node)`` reads a leaf's array."""
    kind = node["type"]
    if kind == "none":
        return None
    if kind == "leaf":
        return _leaf(source, node["kind"], fetch(node))
    if kind not in ("list", "tuple", "dict", "namedtuple"):
        raise ValueError(f"a tree node has the unknown type {_short(kind)}")
    items = node["items"]
    if not isinstance(items, list):
        raise ValueError(f"a {_short(kind)} node's items are {_short(items)}, not a list")
    values = [_build(source, child, fetch) for child in items]
    if kind == "list" or kind == "tuple":
        return values if kind == "list" else tuple(values)
    labels = node["keys" if kind == "dict" else "fields"]
    if not isinstance(labels, list) or len(labels) != len(values):
        raise ValueError(f"a {_short(kind)} node's labels {_short(labels)} do not match its {len(values)} items")
    if kind == "dict":
        if not all(type(key) is str or type(key) is int for key in labels) or len(set(labels)) != len(labels):
            raise ValueError(f"the dict keys {_short(labels)} are not distinct strings and integers")
        return dict(zip(labels, values))
    cls = _NAMEDTUPLES.get(node["name"]) if isinstance(node["name"], str) else None
    if cls is None:
        raise LookupError(
            f"load: {source!r} holds a namedtuple {_short(node['name'])} that is not registered in this program; "
            "call autotape.serialization.register_namedtuple(cls, name=...) with its class before load"
        )
    if list(cls._fields) != labels:
        raise _format_error(source, f"its namedtuple {node['name']!r} has the fields {labels}, the class {cls._fields}")
    return cls(*values)


def _leaf(source: str, kind: Any, array: np.ndarray) -> Any:
    """The leaf of kind ``kind`` holding ``array``: the array itself, a NumPy scalar or a Python scalar."""
    if array.dtype.kind not in "biufc" or array.dtype.fields is not None:
        raise _format_error(source, f"a leaf holds {array.dtype} data; only numeric arrays are read")
    if kind == "array":
        return array
    if kind == "numpy_scalar" and array.ndim == 0:
        return array[()]
    if isinstance(kind, str) and kind in _PYTHON and array.ndim == 0 and array.dtype == _PYTHON[kind][1]:
        return _PYTHON[kind][0](array[()])
    raise _format_error(source, f"a leaf of kind {_short(kind)} holds {array.dtype}{list(array.shape)}")


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
