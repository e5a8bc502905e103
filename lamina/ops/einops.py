"""`keras.ops.rearrange` (einops notation) and `keras.ops.associative_scan`, composed of
differentiable reshape/transpose/slice ops."""

import re

import numpy as np

from lamina.engine import tree
from lamina.ops._base import data_of
from lamina.ops.shape import concatenate, getitem, reshape, transpose

_TOKEN = re.compile(r"\.\.\.|\(|\)|[A-Za-z_][A-Za-z0-9_]*|\d+")


def _parse(side, where):
    """[[axis names] per dimension]; "..." is one group ["..."], "1" an empty group []."""
    groups, current = [], None
    text = side.strip()
    pos = 0
    for match in _TOKEN.finditer(text):
        if text[pos : match.start()].strip():
            raise ValueError(
                f"rearrange: cannot read {text[pos : match.start()]!r} in the {where} of the pattern"
            )
        pos = match.end()
        tok = match.group()
        if tok == "(":
            if current is not None:
                raise ValueError(f"rearrange: nested parentheses in the {where} of the pattern")
            current = []
        elif tok == ")":
            if current is None:
                raise ValueError(f"rearrange: unbalanced ')' in the {where} of the pattern")
            groups.append(current)
            current = None
        elif tok.isdigit():
            if tok != "1":
                raise ValueError(f"rearrange: only the anonymous axis 1 is allowed, got {tok!r}")
            if current is None:
                groups.append([])
        else:
            (current.append(tok) if current is not None else groups.append([tok]))
    if current is not None or text[pos:].strip():
        raise ValueError(f"rearrange: unbalanced '(' or stray text in the {where} of the pattern")
    return groups


def rearrange(tensor, pattern, **axes_lengths):
    """Reorder, merge and split axes by an einops pattern, e.g. "b h w c -> b (h w) c",
    "b (h p) c -> b h p c" with p=2; "..." stands for any leading/middle axes."""
    if "->" not in pattern:
        raise ValueError(f"rearrange: the pattern needs '->', got {pattern!r}")
    left, right = (_parse(s, w) for s, w in zip(pattern.split("->"), ("left side", "right side")))
    shape = tuple(np.shape(data_of(tensor)))
    n_ell = sum(g == ["..."] for g in left)
    if n_ell > 1 or sum(g == ["..."] for g in right) != n_ell:
        raise ValueError(
            f"rearrange: '...' must appear once on both sides or not at all: {pattern!r}"
        )
    if len(left) - n_ell + (len(shape) - len(left) + 1 if n_ell else 0) != len(shape) or (
        not n_ell and len(left) != len(shape)
    ):
        raise ValueError(
            f"rearrange: the left side {pattern.split('->')[0].strip()!r} has {len(left)} "
            f"dimensions but the tensor has shape {shape}"
        )
    sizes = dict(axes_lengths)
    elementary = []  # left-side elementary axes in order, with the ellipsis' dims expanded
    dim = 0
    for group in left:
        if group == ["..."]:
            count = len(shape) - (len(left) - 1)
            for i in range(count):
                name = f"...{i}"
                sizes[name] = shape[dim + i]
                elementary.append(name)
            dim += count
            continue
        unknown = [a for a in group if a not in sizes]
        known = int(np.prod([sizes[a] for a in group if a in sizes])) if group else 1
        if len(unknown) > 1:
            raise ValueError(
                f"rearrange: cannot infer the sizes of {unknown} from one dimension; pass them as "
                "keyword arguments"
            )
        if unknown:
            if shape[dim] % known:
                raise ValueError(
                    f"rearrange: dimension {dim} of size {shape[dim]} does not divide by {known}"
                )
            sizes[unknown[0]] = shape[dim] // known
        elif known != shape[dim]:
            raise ValueError(
                f"rearrange: dimension {dim} has size {shape[dim]}, but the pattern gives {known}"
            )
        elementary.extend(group)
        dim += 1
    right_axes = []
    for group in right:
        right_axes.extend(
            [f"...{i}" for i in range(len(shape) - len(left) + 1)] if group == ["..."] else group
        )
    if sorted(right_axes) != sorted(elementary) or len(set(elementary)) != len(elementary):
        raise ValueError(f"rearrange: both sides must name the same axes once each: {pattern!r}")
    x = reshape(tensor, tuple(sizes[a] for a in elementary))
    order = tuple(elementary.index(a) for a in right_axes)
    if order != tuple(range(len(order))):
        x = transpose(x, order)
    out_shape = []
    for group in right:
        if group == ["..."]:
            out_shape.extend(sizes[f"...{i}"] for i in range(len(shape) - len(left) + 1))
        else:
            out_shape.append(int(np.prod([sizes[a] for a in group])) if group else 1)
    return reshape(x, tuple(out_shape))


def associative_scan(f, elems, reverse=False, axis=0):
    """Cumulative `f` along `axis` of every array in `elems` (a nested structure):
    out[0] = elems[0], out[i] = f(out[i - 1], elems[i]) (from the end with `reverse`).
    `f` receives slices that keep the scanned axis (length 1), as in Keras/JAX."""
    leaves = tree.flatten(elems)
    if not leaves:
        raise ValueError("associative_scan: elems holds no arrays")
    n = np.shape(data_of(leaves[0]))[axis]
    for leaf in leaves:
        if np.shape(data_of(leaf))[axis] != n:
            raise ValueError(
                f"associative_scan: every array needs the same size along axis {axis}, got shapes "
                f"{[np.shape(data_of(v)) for v in leaves]}"
            )

    def piece(i):
        nd = np.ndim(data_of(leaves[0]))
        key = (slice(None),) * (axis % nd) + (slice(i, i + 1),)
        return tree.pack_as(elems, [getitem(v, key) for v in leaves])

    order = range(n - 1, -1, -1) if reverse else range(n)
    results, acc = {}, None
    for i in order:
        acc = piece(i) if acc is None else f(acc, piece(i))
        results[i] = tree.flatten(acc)
    columns = [
        concatenate([results[i][k] for i in range(n)], axis=axis) for k in range(len(leaves))
    ]
    return tree.pack_as(elems, columns)
