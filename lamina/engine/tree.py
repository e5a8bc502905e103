"""Flatten and rebuild nested structures (lists, tuples, namedtuples, dicts) of leaves."""


def is_nested(x):
    return isinstance(x, (list, tuple, dict))


def flatten(struct):
    """Leaves of `struct` in a stable order (dicts by sorted key, as Keras's tree does)."""
    out = []
    stack = [struct]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            stack.extend(x[k] for k in reversed(sorted(x, key=_sort_key)))
        elif isinstance(x, (list, tuple)):
            stack.extend(reversed(x))
        else:
            out.append(x)
    return out


def pack_as(struct, flat):
    """Rebuild `struct`'s shape from the leaves in `flat` (the inverse of `flatten`)."""
    it = iter(flat)

    def build(x):
        if isinstance(x, dict):
            built = {k: build(x[k]) for k in sorted(x, key=_sort_key)}
            return type(x)((k, built[k]) for k in x) if type(x) is not dict else {k: built[k] for k in x}
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return type(x)(*[build(v) for v in x])
        if isinstance(x, (list, tuple)):
            return type(x)(build(v) for v in x)
        return next(it)

    return build(struct)


def map_structure(fn, struct):
    return pack_as(struct, [fn(x) for x in flatten(struct)])


def _sort_key(k):
    return (type(k).__name__, k) if not isinstance(k, str) else ("str", k)
