"""`keras.tree`: utilities for nested structures (lists, tuples, namedtuples, dicts) of leaves.

Dicts are walked in sorted-key order, None is a leaf, strings and arrays are leaves, as in
Keras's tree module. Built on lamina.engine.tree (the walker the trainer uses).
"""

from lamina.engine import tree as _tree


class MAP_TO_NONE:  # noqa: N801  (Keras's name)
    """Return this class from a `traverse` function to put None at that place."""


def is_nested(structure):
    return _tree.is_nested(structure)


def flatten(structure):
    """The leaves of `structure`, dicts by sorted key ([None] for None)."""
    return _tree.flatten(structure)


def _items(x):
    if isinstance(x, dict):
        return [(k, x[k]) for k in sorted(x, key=_tree._sort_key)]
    return list(enumerate(x))


def flatten_with_path(structure):
    """[(path, leaf)] with each path a tuple of keys/indices from the root."""
    out = []

    def walk(x, path):
        if is_nested(x):
            for key, value in _items(x):
                walk(value, path + (key,))
        else:
            out.append((path, x))

    walk(structure, ())
    return out


def pack_sequence_as(structure, flat_sequence):
    """`structure`'s shape filled with `flat_sequence` (the inverse of flatten)."""
    flat = list(flat_sequence)
    n = len(flatten(structure))
    if len(flat) != n:
        raise ValueError(
            f"pack_sequence_as: the structure has {n} leaves but flat_sequence has {len(flat)}"
        )
    return _tree.pack_as(structure, flat)


def _same(a, b, check_types, path=()):
    if is_nested(a) != is_nested(b):
        raise ValueError(
            f"Structures don't have the same nested structure (at path {path}): {a!r} vs {b!r}"
        )
    if not is_nested(a):
        return
    if check_types and type(a) is not type(b):
        raise ValueError(f"Expected an instance of {type(a).__name__}, got {b!r} (at path {path})")
    if (
        isinstance(a, dict) != isinstance(b, dict)
        or len(a) != len(b)
        or (isinstance(a, dict) and set(a) != set(b))
    ):
        raise ValueError(
            f"Structures don't have the same nested structure (at path {path}): {a!r} vs {b!r}"
        )
    for (key, x), (_, y) in zip(_items(a), _items(b)):
        _same(x, y, check_types, path + (key,))


def assert_same_structure(a, b, check_types=None):
    """Raise ValueError unless `a` and `b` nest the same way (and, by default, with the same
    container types)."""
    _same(a, b, True if check_types is None else check_types)


def assert_same_paths(a, b):
    """Raise ValueError unless `a` and `b` have the same set of leaf paths."""
    pa = {p for p, _ in flatten_with_path(a)}
    pb = {p for p, _ in flatten_with_path(b)}
    if pa != pb:
        raise ValueError(
            f"`a` and `b` don't have the same paths.\nPaths in `a` missing in `b`:\n{pa - pb}\n"
            f"Paths in `b` missing in `a`:\n{pb - pa}"
        )


def map_structure(func, *structures, none_is_leaf=True):
    """`func` applied to the corresponding leaves of `structures` (same structure)."""
    if not structures:
        raise ValueError("map_structure: pass at least one structure")
    for other in structures[1:]:
        assert_same_structure(structures[0], other, check_types=False)
    leaves = [flatten(s) for s in structures]
    if not none_is_leaf:
        results = [None if args[0] is None else func(*args) for args in zip(*leaves)]
    else:
        results = [func(*args) for args in zip(*leaves)]
    return _tree.pack_as(structures[0], results)


def map_structure_up_to(shallow_structure, func, *structures):
    """map_structure over the top levels of `structures` given by `shallow_structure`; what
    lies below a shallow leaf is passed to `func` whole."""

    def down(shallow, *subs):
        if not is_nested(shallow):
            return func(*subs)
        for s in subs:
            if not is_nested(s) or len(s) != len(shallow):
                raise ValueError(
                    f"map_structure_up_to: {s!r} does not match the shallow structure {shallow!r}"
                )
        parts = [down(v, *(dict(_items(s))[k] for s in subs)) for k, v in _items(shallow)]
        return _tree.pack_as(_shallow_container(shallow), parts)

    return down(shallow_structure, *structures)


def _shallow_container(shallow):
    """`shallow` with each child replaced by a leaf placeholder (for pack_as)."""
    if isinstance(shallow, dict):
        return (
            type(shallow)((k, 0) for k in shallow)
            if type(shallow) is not dict
            else dict.fromkeys(shallow, 0)
        )
    if isinstance(shallow, tuple) and hasattr(shallow, "_fields"):
        return type(shallow)(*([0] * len(shallow)))
    return type(shallow)([0] * len(shallow))


def lists_to_tuples(structure):
    """Every list in `structure` (recursively) turned into a tuple."""
    if isinstance(structure, dict):
        return type(structure)((k, lists_to_tuples(v)) for k, v in structure.items())
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*[lists_to_tuples(v) for v in structure])
    if isinstance(structure, (list, tuple)):
        return tuple(lists_to_tuples(v) for v in structure)
    return structure


def _is_shape(x):
    return (
        isinstance(x, (list, tuple))
        and not hasattr(x, "_fields")
        and all(d is None or isinstance(d, int) for d in x)
    )


def map_shape_structure(func, structure):
    """map_structure where tuples/lists of ints and None (shapes) are leaves."""
    if _is_shape(structure):
        return func(structure)
    if isinstance(structure, dict):
        return type(structure)((k, map_shape_structure(func, v)) for k, v in structure.items())
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*[map_shape_structure(func, v) for v in structure])
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_shape_structure(func, v) for v in structure)
    return func(structure)


def traverse(func, structure, top_down=True):
    """Apply `func` to every node. Top-down: a non-None result replaces the node (its
    children are not visited; MAP_TO_NONE gives None); None means "descend". Bottom-up:
    `func` sees each node after its children were rebuilt, and a None result keeps it."""

    def rebuild(x, fn):
        if isinstance(x, dict):
            return type(x)((k, fn(x[k])) for k in x)
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return type(x)(*[fn(v) for v in x])
        return type(x)(fn(v) for v in x)

    def resolve(value):
        return None if value is MAP_TO_NONE else value

    def down(x):
        result = func(x)
        if result is not None:
            return resolve(result)
        return rebuild(x, down) if is_nested(x) else x

    def up(x):
        built = rebuild(x, up) if is_nested(x) else x
        result = func(built)
        return built if result is None else resolve(result)

    return down(structure) if top_down else up(structure)
