"""Pytrees: nested dicts, lists, tuples and namedtuples whose leaves are arrays.

``None`` is an empty subtree (it has no leaves), as in JAX. Dict leaves are
ordered by sorted key, so two dicts with the same keys in different insertion
orders have the same structure and line up leaf by leaf; :func:`unflatten` rebuilds
each dict in the insertion order it was flattened from.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

__all__ = ["TreeDef", "flatten", "unflatten", "map", "leaves", "structure", "flatten_with_paths"]


class TreeDef(NamedTuple):
    """The shape of a pytree without its leaves.

    ``kind`` is ``"leaf"``, ``"none"``, ``"dict"``, ``"list"``, ``"tuple"`` or
    ``"namedtuple"``; ``keys`` are dict keys in leaf (sorted) order, or the field
    names of a namedtuple; ``order`` is the dicts' original key order, used to
    rebuild them but ignored by ``==``.
    """

    kind: str
    node_type: Any
    keys: tuple
    children: tuple
    order: tuple = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TreeDef):
            return NotImplemented
        return (self.kind, self.node_type, self.keys, self.children) == (
            other.kind, other.node_type, other.keys, other.children,
        )

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((self.kind, self.node_type, self.keys, self.children))

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(child.num_leaves for child in self.children)

    def __repr__(self) -> str:
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(
            f"{k!r}: {c!r}" if self.kind == "dict" else repr(c) for k, c in zip(self.keys, self.children)
        )
        return {"dict": "{%s}", "list": "[%s]", "tuple": "(%s)"}.get(self.kind, self.node_type.__name__ + "(%s)") % inner


_LEAF = TreeDef("leaf", None, (), ())
_NONE = TreeDef("none", None, (), ())


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _sorted_keys(d: dict) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:
        raise TypeError(
            f"pytree: dict keys must be sortable to give a canonical leaf order, got keys {list(d)!r}; "
            "use keys of one type (e.g. all strings)"
        ) from None


def _children(tree: Any) -> tuple[TreeDef | None, list, tuple]:
    """(node def without children, child subtrees, paths of the children) or (None, ...) for a leaf."""
    if tree is None:
        return _NONE, [], ()
    if isinstance(tree, dict):
        keys = _sorted_keys(tree)
        return TreeDef("dict", type(tree), keys, (), tuple(tree)), [tree[k] for k in keys], tuple(f"[{k!r}]" for k in keys)
    if _is_namedtuple(tree):
        fields = type(tree)._fields
        return TreeDef("namedtuple", type(tree), tuple(fields), ()), list(tree), tuple(f".{f}" for f in fields)
    if isinstance(tree, (list, tuple)):
        kind = "list" if isinstance(tree, list) else "tuple"
        return TreeDef(kind, type(tree), (), ()), list(tree), tuple(f"[{i}]" for i in range(len(tree)))
    return None, [], ()


def flatten_with_paths(tree: Any, prefix: str = "") -> tuple[list, list[str], TreeDef]:
    """Like :func:`flatten`, also returning each leaf's path, e.g. ``"['w1']"`` or ``"[0].b"``."""
    leaves_out: list = []
    paths: list[str] = []
    treedef = _flatten_into(tree, prefix, leaves_out, paths)
    return leaves_out, paths, treedef


def _flatten_into(tree: Any, path: str, leaves_out: list, paths: list) -> TreeDef:
    node, children, child_paths = _children(tree)
    if node is None:
        leaves_out.append(tree)
        paths.append(path)
        return _LEAF
    defs = tuple(_flatten_into(c, path + p, leaves_out, paths) for c, p in zip(children, child_paths))
    return node._replace(children=defs)


def flatten(tree: Any) -> tuple[list, TreeDef]:
    """Split a pytree into its leaves (depth first, dict keys sorted) and its structure.

    Returns:
        ``(leaves, treedef)``; ``unflatten(treedef, leaves)`` rebuilds the tree.
    Raises:
        TypeError: a dict whose keys cannot be sorted.
    """
    leaves_out: list = []
    treedef = _flatten_into(tree, "", leaves_out, [])
    return leaves_out, treedef


def leaves(tree: Any) -> list:
    """The leaves of ``tree`` in flatten order."""
    return flatten(tree)[0]


def structure(tree: Any) -> TreeDef:
    """The :class:`TreeDef` of ``tree``."""
    return flatten(tree)[1]


def unflatten(treedef: TreeDef, leaves: list) -> Any:
    """Rebuild a pytree of structure ``treedef`` from ``leaves`` (in flatten order).

    Raises:
        ValueError: if the number of leaves does not match the structure.
    """
    leaves = list(leaves)
    if len(leaves) != treedef.num_leaves:
        raise ValueError(f"unflatten: structure {treedef!r} has {treedef.num_leaves} leaves, got {len(leaves)}")
    it = iter(leaves)
    return _build(treedef, it)


def _build(treedef: TreeDef, it) -> Any:
    kind = treedef.kind
    if kind == "leaf":
        return next(it)
    if kind == "none":
        return None
    values = [_build(child, it) for child in treedef.children]
    if kind == "dict":
        by_key = dict(zip(treedef.keys, values))
        return treedef.node_type((k, by_key[k]) for k in (treedef.order or treedef.keys))
    if kind == "namedtuple":
        return treedef.node_type(*values)
    return treedef.node_type(values)


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Path and description of the first place where two pytrees' structures differ, or None."""
    na, ca, pa = _children(a)
    nb, cb, _ = _children(b)
    if na is None and nb is None:
        return None
    if na is None or nb is None or (na.kind, na.node_type, na.keys) != (nb.kind, nb.node_type, nb.keys) or len(ca) != len(cb):
        return f"{path or 'the root'}: {_describe(a)} vs {_describe(b)}"
    for x, y, p in zip(ca, cb, pa):
        found = first_difference(x, y, path + p)
        if found:
            return found
    return None


def _describe(x: Any) -> str:
    node, children, _ = _children(x)
    if node is None:
        return "a leaf"
    if node.kind == "dict":
        return f"a dict with keys {sorted(map(str, x))}"
    return f"a {node.kind if node.kind != 'namedtuple' else type(x).__name__} of length {len(children)}" if node.kind != "none" else "None"


def map(f: Callable, tree: Any, *rest: Any) -> Any:
    """Apply ``f`` leaf by leaf: ``f(leaf, *matching leaves of rest)``, keeping ``tree``'s structure.

    Raises:
        ValueError: if a tree in ``rest`` has another structure; the message names
            the first path that differs.
    """
    flat, treedef = flatten(tree)
    others = []
    for other in rest:
        other_flat, other_def = flatten(other)
        if other_def != treedef:
            raise ValueError(f"tree.map: pytrees differ in structure at {first_difference(tree, other)}")
        others.append(other_flat)
    return unflatten(treedef, [f(*xs) for xs in zip(flat, *others)])
