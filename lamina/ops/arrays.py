"""More array ops of `keras.ops.numpy`: splitting and stacking helpers, diff, kron, vander,
cross, correlate, corrcoef, trapezoid, cdist (differentiable, composed of existing ops),
and the value-only ones (unique, histogram, windows, spaces, unravel_index, view...)."""

import builtins

import numpy as np

from lamina.engine import dtypes
from lamina.ops import linalg, math, reduce
from lamina.ops._base import const, data_of, norm_axis
from lamina.ops.shape import (
    concatenate,
    diag,
    expand_dims,
    flip,
    getitem,
    ravel,
    reshape,
    split,
    take,
)

py_slice = builtins.slice


# --- splitting, stacking, flipping ----------------------------------------------------


def array_split(x, indices_or_sections, axis=0):
    """Like split, but `sections` need not divide the axis (the first parts get one more)."""
    if isinstance(indices_or_sections, (int, np.integer)):
        n = np.shape(data_of(x))[axis]
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError(
                f"array_split: the number of sections must be positive, got {sections}"
            )
        sizes = [n // sections + 1] * (n % sections) + [n // sections] * (sections - n % sections)
        indices_or_sections = list(np.cumsum(sizes)[:-1])
    return split(x, indices_or_sections, axis=axis)


def hsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=1 if np.ndim(data_of(x)) > 1 else 0)


def vsplit(x, indices_or_sections):
    if np.ndim(data_of(x)) < 2:
        raise ValueError(f"vsplit: needs a tensor of rank >= 2, got shape {np.shape(data_of(x))}")
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections):
    if np.ndim(data_of(x)) < 3:
        raise ValueError(f"dsplit: needs a tensor of rank >= 3, got shape {np.shape(data_of(x))}")
    return split(x, indices_or_sections, axis=2)


def dstack(xs):
    """Stack along a third axis (1-D (n,) becomes (1, n, 1), 2-D (m, n) becomes (m, n, 1))."""
    parts = []
    for x in xs:
        nd = np.ndim(data_of(x))
        if nd == 0:
            x = reshape(x, (1, 1, 1))
        elif nd == 1:
            x = reshape(x, (1, -1, 1))
        elif nd == 2:
            x = expand_dims(x, -1)
        parts.append(x)
    return concatenate(parts, axis=2)


def fliplr(x):
    if np.ndim(data_of(x)) < 2:
        raise ValueError(f"fliplr: needs a tensor of rank >= 2, got shape {np.shape(data_of(x))}")
    return flip(x, 1)


def flipud(x):
    if np.ndim(data_of(x)) < 1:
        raise ValueError("flipud: needs a tensor of rank >= 1, got a scalar")
    return flip(x, 0)


def diagflat(x, k=0):
    return diag(ravel(x), k)


# --- differences, products, integrals ----------------------------------------------------


def diff(a, n=1, axis=-1):
    """n-th discrete difference along `axis`: out[i] = a[i + 1] - a[i], n times."""
    if n < 0:
        raise ValueError(f"diff: the order n must be non-negative, got {n}")
    nd = np.ndim(data_of(a))
    ax = norm_axis(axis, nd)[0]
    lead = (py_slice(None),) * ax
    out = a
    for _ in range(n):
        out = math.subtract(
            getitem(out, lead + (py_slice(1, None),)), getitem(out, lead + (py_slice(None, -1),))
        )
    return out


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of y along `axis` by the trapezoidal rule (sample points x, or spacing dx)."""
    nd = np.ndim(data_of(y))
    ax = norm_axis(axis, nd)[0]
    lead = (py_slice(None),) * ax
    mids = math.multiply(
        math.add(getitem(y, lead + (py_slice(1, None),)), getitem(y, lead + (py_slice(None, -1),))),
        0.5,
    )
    if x is not None:
        steps = diff(x, axis=-1 if np.ndim(data_of(x)) == 1 else axis)
        if np.ndim(data_of(x)) == 1 and nd > 1:
            steps = reshape(steps, [-1 if i == ax else 1 for i in range(nd)])
        return reduce.sum(math.multiply(mids, steps), axis=ax)
    return reduce.sum(math.multiply(mids, dx), axis=ax)


def kron(x1, x2):
    """Kronecker product (blocks of x2 scaled by each element of x1)."""
    a, b = data_of(x1), data_of(x2)
    nd = builtins.max(np.ndim(a), np.ndim(b))
    sa = (1,) * (nd - np.ndim(a)) + np.shape(a)
    sb = (1,) * (nd - np.ndim(b)) + np.shape(b)
    # interleave the axes: x1 on even positions, x2 on odd ones, then merge each pair
    ea = reshape(x1, tuple(v for s in sa for v in (s, 1)))
    eb = reshape(x2, tuple(v for s in sb for v in (1, s)))
    return reshape(math.multiply(ea, eb), tuple(p * q for p, q in zip(sa, sb)))


def vander(x, N=None, increasing=False):  # noqa: N803  (numpy's name)
    """Vandermonde matrix of 1-D x: columns x^(N-1) ... x^0 (reversed if increasing)."""
    a = data_of(x)
    if np.ndim(a) != 1:
        raise ValueError(f"vander: x must be 1-D, got shape {np.shape(a)}")
    n = len(a) if N is None else int(N)
    powers = np.arange(n) if increasing else np.arange(n - 1, -1, -1)
    base = x if np.asarray(a).dtype.kind in "fc" else const(np.asarray(a))
    return math.power(expand_dims(base, -1), powers.astype(np.asarray(a).dtype))


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (or 2-vectors, giving the z component) along the axes given."""
    from lamina.ops.shape import moveaxis, stack  # noqa: PLC0415  (shape ops, once)

    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(x1, axisa, -1), moveaxis(x2, axisb, -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: the vector axes must have 2 or 3 elements, got {na} and {nb}")
    ca = [getitem(a, (Ellipsis, i)) for i in range(na)] + ([0.0] if na == 2 else [])
    cb = [getitem(b, (Ellipsis, i)) for i in range(nb)] + ([0.0] if nb == 2 else [])
    z = math.subtract(math.multiply(ca[0], cb[1]), math.multiply(ca[1], cb[0]))
    if na == 2 and nb == 2:
        return z
    xc = math.subtract(math.multiply(ca[1], cb[2]), math.multiply(ca[2], cb[1]))
    yc = math.subtract(math.multiply(ca[2], cb[0]), math.multiply(ca[0], cb[2]))
    shape = np.broadcast_shapes(np.shape(data_of(xc)), np.shape(data_of(yc)), np.shape(data_of(z)))
    from lamina.ops.shape import broadcast_to  # noqa: PLC0415

    out = stack([broadcast_to(c, shape) for c in (xc, yc, z)], axis=-1)
    return moveaxis(out, -1, axisc)


def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D tensors, as np.correlate (modes valid, same, full)."""
    from lamina.ops.shape import pad  # noqa: PLC0415

    a, v = data_of(x1), data_of(x2)
    if np.ndim(a) != 1 or np.ndim(v) != 1:
        raise ValueError(
            f"correlate: x1 and x2 must be 1-D, got shapes {np.shape(a)} and {np.shape(v)}"
        )
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full', got {mode!r}")
    n, m = len(a), len(v)
    if n < m:  # numpy swaps and reverses
        return flip(correlate(x2, x1, mode), 0)
    if mode == "valid":
        left = right = 0
    elif mode == "full":
        left = right = m - 1
    else:
        left = m // 2
        right = m - 1 - left
    padded = pad(x1, [(left, right)]) if left or right else x1
    count = n + left + right - m + 1
    windows = take(padded, np.arange(count)[:, None] + np.arange(m)[None, :], axis=0)  # (count, m)
    return linalg.matmul(windows, x2)


def corrcoef(x):
    """Pearson correlation coefficients between the rows (variables) of x."""
    nd = np.ndim(data_of(x))
    if nd > 2:
        raise ValueError(f"corrcoef: x must be 1-D or 2-D, got shape {np.shape(data_of(x))}")
    rows = reshape(x, (1, -1)) if nd == 1 else x
    centred = math.subtract(rows, reduce.mean(rows, axis=1, keepdims=True))
    cov = linalg.matmul(centred, math_transpose(centred))
    d = math.sqrt(diag(cov))
    out = math.divide(cov, linalg.outer(d, d))
    return reshape(out, ()) if nd == 1 else out


def math_transpose(x):
    from lamina.ops.shape import transpose  # noqa: PLC0415

    return transpose(x)


def cdist(x, y):
    """Euclidean distances between the rows of x (..., m, d) and y (..., n, d): (..., m, n)."""
    dx = math.subtract(expand_dims(x, -2), expand_dims(y, -3))
    return math.sqrt(reduce.sum(math.square(dx), axis=-1))


# --- value-only ops (no gradient) ----------------------------------------------------------


def unique(
    x,
    sorted=True,
    return_index=False,
    return_inverse=False,  # noqa: A002
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    """np.unique; with `size`, the result is padded with `fill_value` (default: the smallest
    value) or truncated to `size` elements, so shapes are static (as with JAX)."""
    a = np.asarray(data_of(x))
    res = np.unique(a, return_index=True, return_inverse=True, return_counts=True, axis=axis)
    values, index, inverse, counts = res
    if not sorted:  # order of first appearance
        order = np.argsort(index, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        values, index, counts = (
            np.take(values, order, axis=0 if axis is None else axis),
            index[order],
            counts[order],
        )
        inverse = rank[inverse]
    if size is not None:
        n = values.shape[0 if axis is None else axis]
        if n >= size:
            sl = [py_slice(None)] * values.ndim
            sl[0 if axis is None else axis] = py_slice(0, size)
            values, index, counts = values[tuple(sl)], index[:size], counts[:size]
        else:
            fill = values.min() if fill_value is None and values.size else (fill_value or 0)
            widths = [(0, 0)] * values.ndim
            widths[0 if axis is None else axis] = (0, size - n)
            values = np.pad(values, widths, constant_values=fill)
            index = np.pad(index, (0, size - n), constant_values=index[0] if len(index) else 0)
            counts = np.pad(counts, (0, size - n))
    outs = [const(values)]
    if return_index:
        outs.append(const(index.astype(np.int32)))
    if return_inverse:
        outs.append(const(np.reshape(inverse, a.shape if axis is None else (-1,)).astype(np.int32)))
    if return_counts:
        outs.append(const(counts.astype(np.int32)))
    return outs[0] if len(outs) == 1 else tuple(outs)


def histogram(x, bins=10, range=None):  # noqa: A002  (numpy's name)
    """(counts, bin_edges) of the values of x (1-D), as np.histogram."""
    a = np.asarray(data_of(x))
    if a.ndim != 1:
        raise ValueError(f"histogram: x must be 1-D, got shape {a.shape}")
    if not isinstance(bins, (int, np.integer)) or bins <= 0:
        raise ValueError(f"histogram: bins must be a positive int, got {bins!r}")
    counts, edges = np.histogram(a, bins=bins, range=range)
    return const(counts.astype(np.int32)), const(edges.astype(np.result_type(a.dtype, np.float32)))


def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    return const(
        np.asarray(np.allclose(data_of(x1), data_of(x2), rtol=rtol, atol=atol, equal_nan=equal_nan))
    )


def empty_like(x, dtype=None):
    a = np.asarray(data_of(x))
    return const(np.zeros(a.shape, dtypes.standardize(dtype) if dtype is not None else a.dtype))


def _space(values, dtype, axis):
    out = np.moveaxis(values, 0, axis) if values.ndim > 1 else values
    return const(out.astype(dtypes.standardize(dtype) if dtype is not None else dtypes.floatx()))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    return _space(
        np.geomspace(data_of(start), data_of(stop), num=num, endpoint=endpoint), dtype, axis
    )


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    return _space(
        np.logspace(data_of(start), data_of(stop), num=num, endpoint=endpoint, base=base),
        dtype,
        axis,
    )


def unravel_index(indices, shape):
    """Tuple of coordinate arrays of flat `indices` in an array of `shape`."""
    return tuple(
        const(
            np.asarray(
                c, np.int32 if np.asarray(data_of(indices)).dtype.itemsize <= 4 else np.int64
            )
        )
        for c in np.unravel_index(np.asarray(data_of(indices)), tuple(shape))
    )


def _window(fn, x, *args):
    n = int(np.asarray(data_of(x)))
    return const(fn(n, *args).astype(dtypes.floatx()))


def bartlett(x):
    return _window(np.bartlett, x)


def blackman(x):
    return _window(np.blackman, x)


def hamming(x):
    return _window(np.hamming, x)


def hanning(x):
    return _window(np.hanning, x)


def kaiser(x, beta):
    return _window(np.kaiser, x, float(data_of(beta)))


def view(x, dtype=None):
    """The bytes of x reinterpreted as `dtype` (no copy, no gradient)."""
    a = np.ascontiguousarray(data_of(x))
    return const(a if dtype is None else a.view(dtypes.standardize(dtype)))


def vectorize(pyfunc, *, excluded=None, signature=None):
    """np.vectorize over tensors' values: returns a function giving a Tensor (no gradient;
    use `lamina.ops.vectorized_map` for a differentiable map over the first axis)."""
    vec = np.vectorize(pyfunc, excluded=excluded or set(), signature=signature)

    def wrapped(*args, **kwargs):
        out = vec(*(data_of(a) for a in args), **{k: data_of(v) for k, v in kwargs.items()})
        return (
            tuple(const(np.asarray(o)) for o in out)
            if isinstance(out, tuple)
            else const(np.asarray(out))
        )

    return wrapped
