"""Shape, joining, padding and indexing ops with their gradients."""
from builtins import slice as py_slice

import numpy as np

from lamina.engine.tensor import Tensor
from lamina.ops._base import const, data_of, norm_axis, record


def reshape(x, newshape):
    a = data_of(x)
    newshape = (newshape,) if isinstance(newshape, (int, np.integer)) else tuple(
        -1 if s is None else int(s) for s in newshape
    )
    try:
        out = np.reshape(a, newshape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {a.shape} ({a.size} elements) into "
            f"shape {newshape}"
        ) from None
    return record(out, (x,), lambda g, need: (g.reshape(a.shape),))


def ravel(x):
    return reshape(x, (-1,))


def transpose(x, axes=None):
    a = data_of(x)
    out = np.transpose(a, axes)
    inv = None if axes is None else np.argsort(norm_axis(tuple(axes), a.ndim))
    return record(out, (x,), lambda g, need: (np.transpose(g, inv),))


def swapaxes(x, axis1, axis2):
    a = data_of(x)
    return record(np.swapaxes(a, axis1, axis2), (x,), lambda g, need: (np.swapaxes(g, axis1, axis2),))


def moveaxis(x, source, destination):
    a = data_of(x)
    out = np.moveaxis(a, source, destination)
    return record(out, (x,), lambda g, need: (np.moveaxis(g, destination, source),))


def expand_dims(x, axis):
    a = data_of(x)
    return record(np.expand_dims(a, axis), (x,), lambda g, need: (g.reshape(a.shape),))


def squeeze(x, axis=None):
    a = data_of(x)
    try:
        out = np.squeeze(a, axis)
    except ValueError:
        raise ValueError(f"squeeze: axis {axis} of shape {a.shape} does not have size 1") from None
    return record(out, (x,), lambda g, need: (g.reshape(a.shape),))


def flip(x, axis=None):
    a = data_of(x)
    return record(np.flip(a, axis), (x,), lambda g, need: (np.flip(g, axis),))


def roll(x, shift, axis=None):
    a = data_of(x)
    out = np.roll(a, shift, axis)
    neg = tuple(-s for s in shift) if isinstance(shift, (tuple, list)) else -shift
    return record(out, (x,), lambda g, need: (np.roll(g, neg, axis),))


def broadcast_to(x, shape):
    a = data_of(x)
    try:
        out = np.broadcast_to(a, tuple(shape))
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {a.shape} to {tuple(shape)}") from None
    return record(out, (x,), lambda g, need: (g,))  # the engine sums g back to a.shape


def concatenate(xs, axis=0):
    arrays = [data_of(x) for x in xs]
    try:
        out = np.concatenate(arrays, axis=axis)
    except ValueError:
        shapes = ", ".join(str(np.shape(a)) for a in arrays)
        raise ValueError(
            f"concatenate: shapes {shapes} must match except along axis {axis}"
        ) from None
    bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]

    def backward(g, need):  # each input gets its own slice of g
        return tuple(np.split(g, bounds, axis=axis))

    return record(out, tuple(xs), backward)


def stack(x, axis=0):
    arrays = [data_of(t) for t in x]
    try:
        out = np.stack(arrays, axis=axis)
    except ValueError:
        shapes = ", ".join(str(np.shape(a)) for a in arrays)
        raise ValueError(f"stack: all tensors must have the same shape, got {shapes}") from None
    n = len(arrays)
    return record(out, tuple(x), lambda g, need: tuple(
        np.take(g, i, axis=axis) if need[i] else None for i in range(n)))


def unstack(x, num=None, axis=0):
    a = data_of(x)
    return [getitem(x, (py_slice(None),) * (axis % a.ndim) + (i,)) for i in range(a.shape[axis])]


def split(x, indices_or_sections, axis=0):
    a = data_of(x)
    axis = axis % a.ndim
    n = a.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        if n % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of size {n} cannot be split into {indices_or_sections} equal parts"
            )
        step = n // indices_or_sections
        bounds = list(range(step, n, step))
    else:
        bounds = list(indices_or_sections)
    edges = [0, *bounds, n]
    lead = (py_slice(None),) * axis
    return [getitem(x, lead + (py_slice(lo, hi),)) for lo, hi in zip(edges[:-1], edges[1:])]


def tile(x, repeats):
    a = data_of(x)
    reps = (repeats,) if isinstance(repeats, (int, np.integer)) else tuple(repeats)
    out = np.tile(a, reps)
    nd = max(a.ndim, len(reps))
    shape = (1,) * (nd - a.ndim) + a.shape
    reps = (1,) * (nd - len(reps)) + reps

    def backward(g, need):  # sum the copies: view g as (r0, s0, r1, s1, ...) and reduce r_i
        g = g.reshape([d for pair in zip(reps, shape) for d in pair])
        return (g.sum(axis=tuple(range(0, 2 * nd, 2))).reshape(a.shape),)

    return record(out, (x,), backward)


def repeat(x, repeats, axis=None):
    a = data_of(x)
    src = a.ravel() if axis is None else a
    ax = 0 if axis is None else axis % a.ndim
    out = np.repeat(src, repeats, axis=ax)

    def backward(g, need):  # each output position adds into the input it copied
        index = np.repeat(np.arange(src.shape[ax]), repeats)
        acc = np.zeros(np.moveaxis(src, ax, 0).shape, g.dtype)
        np.add.at(acc, index, np.moveaxis(g, ax, 0))
        return (np.moveaxis(acc, 0, ax).reshape(a.shape),)

    return record(out, (x,), backward)


def pad(x, pad_width, mode="constant", constant_values=None):
    a = data_of(x)
    width = np.broadcast_to(np.asarray(pad_width, dtype=int), (a.ndim, 2))
    kwargs = {"constant_values": constant_values or 0} if mode == "constant" else {}
    out = np.pad(a, width, mode=mode, **kwargs)

    def backward(g, need):
        if mode == "constant":  # the padding is constant: the gradient is the inner slice
            return (g[tuple(py_slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(width))],)
        # reflect/symmetric/edge/wrap: pad an index array the same way, then scatter-add
        index = np.pad(np.arange(a.size).reshape(a.shape), width, mode=mode)
        return (np.bincount(index.ravel(), weights=g.ravel(), minlength=a.size).reshape(a.shape),)

    return record(out, (x,), backward)


def take(x, indices, axis=None):
    a = data_of(x)
    idx = np.asarray(data_of(indices))
    if idx.dtype.kind not in "iu":
        idx = idx.astype(np.int64)
    size = a.size if axis is None else a.shape[axis]
    if idx.size and (idx.max() >= size or idx.min() < -size):
        raise IndexError(
            f"take: index {int(idx.max() if idx.max() >= size else idx.min())} is out of range "
            f"for axis {axis} of size {size}"
        )
    out = np.take(a, idx, axis=axis)

    def backward(g, need):  # scatter-add: repeated indices accumulate
        acc = np.zeros(a.shape, g.dtype)
        if axis is None:
            np.add.at(acc.reshape(-1), idx.ravel(), g.ravel())
        else:
            np.add.at(acc, (py_slice(None),) * (axis % a.ndim) + (idx,), g)
        return acc, None

    return record(out, (x, indices), backward)


def take_along_axis(x, indices, axis=None):
    a = data_of(x)
    idx = np.asarray(data_of(indices))
    src = a.ravel() if axis is None else a
    ax = 0 if axis is None else axis % a.ndim
    out = np.take_along_axis(src, idx, axis=ax)

    def backward(g, need):
        grids = list(np.ogrid[tuple(py_slice(0, s) for s in idx.shape)])
        grids[ax] = idx
        acc = np.zeros(src.shape, g.dtype)
        np.add.at(acc, tuple(grids), g)
        return acc.reshape(a.shape), None

    return record(out, (x, indices), backward)


def _index_key(key):
    """Normalize a __getitem__ key: tensors to arrays; report whether it is advanced."""
    items = key if isinstance(key, tuple) else (key,)
    fixed, advanced = [], False
    for k in items:
        if isinstance(k, Tensor):
            k = k.data
        if isinstance(k, list):
            k = np.asarray(k)
        if isinstance(k, np.ndarray):
            advanced = True
            if k.dtype == bool:
                fixed.extend(np.nonzero(k))  # a mask of rank r indexes r axes
                continue
        fixed.append(k)
    return (tuple(fixed) if isinstance(key, tuple) or len(fixed) > 1 else fixed[0]), advanced


def getitem(x, key):
    """x[key] for basic slices and fancy (integer/boolean array) indexing."""
    a = data_of(x)
    key, advanced = _index_key(key)
    out = a[key]

    def backward(g, need):
        acc = np.zeros(a.shape, g.dtype)
        if advanced:
            np.add.at(acc, key, g)  # repeated indices accumulate (scatter-add)
        else:
            acc[key] = g
        return (acc,)

    return record(out, (x,), backward)


get_item = getitem


def slice(inputs, start_indices, shape):  # noqa: A001  (keras.ops name)
    """inputs[start : start + shape] along every axis (keras.ops.slice)."""
    key = tuple(py_slice(int(s), int(s) + int(n)) for s, n in zip(data_of(start_indices), shape))
    return getitem(inputs, key)


def slice_update(inputs, start_indices, updates):
    """`inputs` with the block starting at `start_indices` replaced by `updates`."""
    a, u = data_of(inputs), data_of(updates)
    key = tuple(py_slice(int(s), int(s) + n) for s, n in zip(data_of(start_indices), np.shape(u)))
    out = np.array(a, dtype=np.result_type(a, u))
    out[key] = u

    def backward(g, need):  # the replaced block sends its gradient to `updates`
        ga = None
        if need[0]:
            ga = g.copy()
            ga[key] = 0
        return ga, None, (g[key] if need[2] else None)

    return record(out, (inputs, start_indices, updates), backward)


def rot90(array, k=1, axes=(0, 1)):
    """Rotate by 90 degrees k times in the plane of `axes` (from the first toward the second)."""
    a = data_of(array)
    out = np.rot90(a, k, axes)
    return record(out, (array,), lambda g, need: (np.rot90(g, -k, axes),))


def scatter(indices, values, shape):
    """A zero tensor of `shape` with `values` added at `indices` (an (N, k) index array)."""
    idx = np.asarray(data_of(indices))
    v = data_of(values)
    key = tuple(idx[..., i] for i in range(idx.shape[-1]))
    out = np.zeros(tuple(shape), dtype=np.asarray(v).dtype)
    np.add.at(out, key, v)
    return record(out, (indices, values), lambda g, need: (None, g[key]))


def scatter_update(inputs, indices, updates):
    """`inputs` with the entries at `indices` ((N, k) array) replaced by `updates`."""
    a = data_of(inputs)
    idx = np.asarray(data_of(indices))
    key = tuple(idx[..., i] for i in range(idx.shape[-1]))
    out = a.copy()
    out[key] = data_of(updates)

    def backward(g, need):
        ga = None
        if need[0]:
            ga = g.copy()
            ga[key] = 0
        return ga, None, (g[key] if need[2] else None)

    return record(out, (inputs, indices, updates), backward)


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal of the (axis1, axis2) matrices of `x`, as a new last axis (NumPy's rule)."""
    a = data_of(x)
    out = np.diagonal(a, offset, axis1, axis2).copy()
    n = out.shape[-1]
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)

    def backward(g, need):  # write g back onto the diagonal of a zero tensor
        acc = np.zeros(a.shape, g.dtype)
        np.moveaxis(acc, (axis1, axis2), (-2, -1))[..., rows, cols] = g
        return (acc,)

    return record(out, (x,), backward)


def diag(x, k=0):
    """A 1-D input as the k-th diagonal of a square matrix; a 2-D input's k-th diagonal."""
    a = data_of(x)
    if a.ndim == 2:
        return diagonal(x, k)
    if a.ndim != 1:
        raise ValueError(f"diag: the input must be 1-D or 2-D, got shape {a.shape}")
    out = np.diag(a, k)
    return record(out, (x,), lambda g, need: (np.diagonal(g, k).copy(),))


def sort(x, axis=-1):
    """Sorted values along `axis`; the gradient follows each value to its original place."""
    a = data_of(x)
    if axis is None:
        return sort(reshape(x, (-1,)), 0)
    order = np.argsort(a, axis=axis, kind="stable")
    return take_along_axis(x, order, axis=axis)


def nonzero(x):
    """A tuple of index arrays (int32), one per axis, of the nonzero elements."""
    return tuple(const(i.astype(np.int32)) for i in np.nonzero(data_of(x)))


def hstack(xs):
    return concatenate(xs, axis=0 if np.ndim(data_of(xs[0])) == 1 else 1)


def vstack(xs):
    return concatenate([reshape(x, (1, -1)) if np.ndim(data_of(x)) == 1 else x for x in xs], axis=0)


def append(x1, x2, axis=None):
    if axis is None:
        return concatenate([ravel(x1), ravel(x2)], axis=0)
    return concatenate([x1, x2], axis=axis)


def meshgrid(*xs, indexing="xy"):
    """Coordinate grids from 1-D inputs (differentiable: each grid broadcasts its input)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    sizes = [np.size(data_of(x)) for x in xs]
    if indexing == "xy" and len(xs) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, x in enumerate(xs):
        axis = {0: 1, 1: 0}.get(i, i) if indexing == "xy" and len(xs) >= 2 else i
        shape = [1] * len(xs)
        shape[axis] = -1
        grids.append(broadcast_to(reshape(x, shape), sizes))
    return grids


def shape(x):
    """The static shape as a tuple of ints."""
    return tuple(np.shape(data_of(x)))


def size(x):
    return const(np.asarray(np.size(data_of(x))))
