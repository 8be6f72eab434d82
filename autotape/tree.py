"""Pytrees: nested dicts, lists, tuples and namedtuples whose leaves are arrays.

``None`` is an empty subtree (it has no leaves), as in JAX. Dict leaves are
ordered by sorted key, so two dicts with the same keys in different insertion
orders have the same structure and line up leaf by leaf; :func:`unflatten` rebuilds
each dict in the insertion order it was flattened from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._public import public_dir

__all__ = ["TreeDef", "flatten", "unflatten", "map", "leaves", "structure", "paths", "first_difference"]
__dir__ = public_dir(globals(), __all__)


class TreeDef:
    """The structure of a pytree without its leaves.

    ``kind`` is ``"leaf"``, ``"none"``, ``"dict"``, ``"list"``, ``"tuple"`` or
    ``"namedtuple"``; ``keys`` are dict keys in leaf (sorted) order, or a
    namedtuple's fields; ``order`` is a dict's original key order, used to rebuild
    it but ignored by ``==``; ``num_leaves`` counts the leaves.
    """

    __slots__ = ("kind", "node_type", "keys", "children", "order", "num_leaves")

    def __init__(
        self, kind: str, node_type: Any, keys: tuple, children: tuple, order: tuple = (), num_leaves: int | None = None
    ):
        self.kind = kind
        self.node_type = node_type
        self.keys = keys
        self.children = children
        self.order = order
        if num_leaves is None:
            num_leaves = 1 if kind == "leaf" else sum(child.num_leaves for child in children)
        self.num_leaves = num_leaves

    def _key(self) -> tuple:
        return (self.kind, self.node_type, self.keys, self.children)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, TreeDef):
            return NotImplemented
        if self.kind != other.kind or self.num_leaves != other.num_leaves:
            return False
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        if self.kind == "dict":
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.keys, self.children))
            return "{" + inner + "}"
        inner = ", ".join(map(repr, self.children))
        if self.kind == "list":
            return f"[{inner}]"
        if self.kind == "tuple":
            return f"({inner}{',' if len(self.children) == 1 else ''})"
        return f"{self.node_type.__name__}({inner})"


_LEAF = TreeDef("leaf", None, (), ())
_NONE = TreeDef("none", None, (), ())


def _sorted_keys(d: dict) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:
        raise TypeError(
            f"pytree: dict keys must be sortable to give a canonical leaf order, got keys {list(d)!r}; "
            "use keys of one type (e.g. all strings)"
        ) from None


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _flatten_into(tree: Any, leaves_out: list) -> TreeDef:
    kind = type(tree)
    if kind is np.ndarray:  # the usual leaf, decided first
        leaves_out.append(tree)
        return _LEAF
    start = len(leaves_out)
    if kind is dict or (kind is not list and kind is not tuple and isinstance(tree, dict)):
        keys = _sorted_keys(tree)
        children = _flatten_children([tree[k] for k in keys], leaves_out)
        order = tuple(tree)
        return TreeDef("dict", kind, keys, children, order if order != keys else (), len(leaves_out) - start)
    if kind is list or kind is tuple:
        children = _flatten_children(tree, leaves_out)
        return TreeDef("list" if kind is list else "tuple", kind, (), children, (), len(leaves_out) - start)
    if tree is None:
        return _NONE
    if _is_namedtuple(tree):
        children = _flatten_children(tree, leaves_out)
        return TreeDef("namedtuple", kind, tuple(kind._fields), children, (), len(leaves_out) - start)
    if isinstance(tree, (list, tuple)):  # subclasses of list and tuple
        children = _flatten_children(tree, leaves_out)
        kind_name = "list" if isinstance(tree, list) else "tuple"
        return TreeDef(kind_name, kind, (), children, (), len(leaves_out) - start)
    leaves_out.append(tree)
    return _LEAF


def _flatten_children(children: Any, leaves_out: list) -> tuple:
    # Array children are handled here rather than by a call each: flat dicts and lists
    # of arrays are what most parameter pytrees are.
    defs = []
    for child in children:
        if type(child) is np.ndarray:
            leaves_out.append(child)
            defs.append(_LEAF)
        else:
            defs.append(_flatten_into(child, leaves_out))
    return tuple(defs)


def flatten(tree: Any) -> tuple[list, TreeDef]:
    """Split a pytree into its leaves (depth first, dict keys sorted) and its structure.

    Returns:
        ``(leaves, treedef)``; ``unflatten(treedef, leaves)`` rebuilds the tree.
    Raises:
        TypeError: a dict whose keys cannot be sorted.
    """
    leaves_out: list = []
    treedef = _flatten_into(tree, leaves_out)
    return leaves_out, treedef


def leaves(tree: Any) -> list:
    """The leaves of ``tree`` in flatten order."""
    return flatten(tree)[0]


def structure(tree: Any) -> TreeDef:
    """The :class:`TreeDef` of ``tree``."""
    return flatten(tree)[1]


def paths(treedef: TreeDef, prefix: str = "") -> list[str]:
    """Each leaf's path in flatten order, e.g. ``"['w1']"``, ``"[0]"`` or ``".bias"``."""
    out: list[str] = []
    _paths_into(treedef, prefix, out)
    return out


def _paths_into(treedef: TreeDef, path: str, out: list) -> None:
    if treedef.kind == "leaf":
        out.append(path)
    elif treedef.kind == "dict":
        for key, child in zip(treedef.keys, treedef.children):
            _paths_into(child, f"{path}[{key!r}]", out)
    elif treedef.kind == "namedtuple":
        for field, child in zip(treedef.keys, treedef.children):
            _paths_into(child, f"{path}.{field}", out)
    else:
        for i, child in enumerate(treedef.children):
            _paths_into(child, f"{path}[{i}]", out)


def unflatten(treedef: TreeDef, leaves: list) -> Any:
    """Rebuild a pytree of structure ``treedef`` from ``leaves`` (in flatten order).

    Raises:
        ValueError: if the number of leaves does not match the structure.
    """
    if len(leaves) != treedef.num_leaves:
        raise ValueError(f"unflatten: structure {treedef!r} has {treedef.num_leaves} leaves, got {len(leaves)}")
    return _build(treedef, iter(leaves))


def _build(treedef: TreeDef, it) -> Any:
    kind = treedef.kind
    if kind == "leaf":
        return next(it)
    if kind == "none":
        return None
    values = [next(it) if child is _LEAF else _build(child, it) for child in treedef.children]
    if kind == "dict":
        if not treedef.order:
            return treedef.node_type(zip(treedef.keys, values))
        by_key = dict(zip(treedef.keys, values))
        return treedef.node_type((k, by_key[k]) for k in treedef.order)
    if kind == "namedtuple":
        return treedef.node_type(*values)
    return treedef.node_type(values)


def first_difference(a: TreeDef, b: TreeDef, path: str = "") -> str:
    """Where two structures first differ, e.g. ``"['w'][1]: a leaf vs a tuple of length 2"``."""
    if (a.kind, a.node_type, a.keys, len(a.children)) != (b.kind, b.node_type, b.keys, len(b.children)):
        return f"{path or 'the root'}: {_describe(a)} vs {_describe(b)}"
    labels = (
        [f"[{k!r}]" for k in a.keys]
        if a.kind == "dict"
        else [f".{f}" for f in a.keys]
        if a.kind == "namedtuple"
        else [f"[{i}]" for i in range(len(a.children))]
    )
    for x, y, label in zip(a.children, b.children, labels):
        if x != y:
            return first_difference(x, y, path + label)
    return path or "the root"


def _describe(treedef: TreeDef) -> str:
    if treedef.kind in ("leaf", "none"):
        return "a leaf" if treedef.kind == "leaf" else "None"
    if treedef.kind == "dict":
        return f"a dict with keys {list(treedef.keys)}"
    name = treedef.node_type.__name__ if treedef.kind == "namedtuple" else treedef.kind
    return f"a {name} of length {len(treedef.children)}"


def map(f: Callable, tree: Any, *rest: Any) -> Any:
    """Apply ``f`` leaf by leaf: ``f(leaf, *matching leaves of rest)``, keeping ``tree``'s structure.

    Raises:
        ValueError: if a tree in ``rest`` has another structure; the message names
            the first path that differs.
    """
    flat, treedef = flatten(tree)
    if not rest:
        return unflatten(treedef, [f(x) for x in flat])
    others = []
    for other in rest:
        other_flat, other_def = flatten(other)
        if other_def != treedef:
            raise ValueError(f"tree.map: pytrees differ in structure at {first_difference(treedef, other_def)}")
        others.append(other_flat)
    return unflatten(treedef, [f(*xs) for xs in zip(flat, *others)])
