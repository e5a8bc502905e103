"""Reductions (sum, mean, max, ... with `axis` and `keepdims`) and their gradients.

This module defines `sum`, `max`, `min`, `any`, `all`: use `builtins.*` for Python's own.
"""
import builtins

import numpy as np

from lamina.ops._base import Tensor, const, data_of, expand_reduced, fdata, norm_axis, record
from lamina.ops import math
from lamina.ops.shapes import broadcast_to, moveaxis, reshape, sort, take, transpose


def _axis(axis, a):
    """Validate `axis` against `a` (errors name the rank); returns a NumPy-ready axis."""
    if axis is None:
        return None
    axes = norm_axis(axis, a.ndim)
    return axes[0] if isinstance(axis, (int, np.integer)) else axes


def sum(x, axis=None, keepdims=False):  # noqa: A001  (keras.ops name)
    a = data_of(x)
    axis = _axis(axis, a)
    out = np.add.reduce(a, axis=axis, keepdims=keepdims) if type(a) is np.ndarray else np.sum(a, axis=axis, keepdims=keepdims)
    # d sum(a) = 1 for every summed element
    return record(out, (x,), lambda g, need: (expand_reduced(g, a.shape, axis, keepdims),))


def mean(x, axis=None, keepdims=False):
    a = fdata(x)
    axis = _axis(axis, a)
    out = a.mean(axis=axis, keepdims=keepdims)
    n = a.size // builtins.max(out.size, 1) if a.size else 1
    # d mean(a) = 1/n for every averaged element
    return record(out, (x,), lambda g, need: (expand_reduced(g / n, a.shape, axis, keepdims),))


def _extreme(np_fn, x, axis, keepdims, initial):
    a = data_of(x)
    axis = _axis(axis, a)
    if initial is not None:
        out = np_fn(a, axis=axis, keepdims=keepdims, initial=initial)
    else:
        out = np_fn(a, axis=axis, keepdims=keepdims)

    def backward(g, need):  # the gradient is shared equally between tied extremes
        kept = expand_reduced(out, a.shape, axis, keepdims)
        mask = (a == kept).astype(g.dtype)
        count = np.sum(mask, axis=axis, keepdims=True)
        count[count == 0] = 1  # `initial` won: no element receives a gradient
        return (mask * expand_reduced(g, a.shape, axis, keepdims) / count,)

    return record(out, (x,), backward)


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    return _extreme(np.max, x, axis, keepdims, initial)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    return _extreme(np.min, x, axis, keepdims, initial)


amax, amin = max, min


def prod(x, axis=None, keepdims=False, dtype=None):
    a = data_of(x)
    axis = _axis(axis, a)
    out = np.prod(a, axis=axis, keepdims=keepdims, dtype=dtype)

    def backward(g, need):  # d prod/da_i = product of the others (exact with zeros)
        zero = a == 0
        n_zero = np.sum(zero, axis=axis, keepdims=True)
        others = np.prod(np.where(zero, 1, a), axis=axis, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(n_zero == 0, others / np.where(zero, 1, a), np.where(zero & (n_zero == 1), others, 0))
        return (d * expand_reduced(g, a.shape, axis, keepdims),)

    return record(out, (x,), backward)


def var(x, axis=None, keepdims=False):
    a = fdata(x)
    axis = _axis(axis, a)
    m = np.mean(a, axis=axis, keepdims=True)
    centered = a - m
    out = np.mean(centered * centered, axis=axis, keepdims=keepdims)
    n = a.size // builtins.max(out.size, 1)
    # d var = 2 (a - mean) / n
    return record(out, (x,), lambda g, need: (
        expand_reduced(g, a.shape, axis, keepdims) * centered * (2.0 / n),))


def std(x, axis=None, keepdims=False):
    a = fdata(x)
    axis = _axis(axis, a)
    m = np.mean(a, axis=axis, keepdims=True)
    centered = a - m
    out = np.sqrt(np.mean(centered * centered, axis=axis, keepdims=keepdims))
    n = a.size // builtins.max(out.size, 1)

    def backward(g, need):  # d std = (a - mean) / (n std)
        s = expand_reduced(out, a.shape, axis, keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(s > 0, centered / (n * s), 0)
        return (expand_reduced(g, a.shape, axis, keepdims) * d,)

    return record(out, (x,), backward)


def logsumexp(x, axis=None, keepdims=False):
    a = fdata(x)
    axis = _axis(axis, a)
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(a - m)
    s = np.sum(e, axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):  # every element -inf: the result is -inf
        out_keep = np.log(s) + m
    out = out_keep if keepdims else (np.squeeze(out_keep, axis) if axis is not None else out_keep.reshape(()))
    # d logsumexp(a) = softmax(a); a row that is all -inf gets no gradient (not 0/0 = NaN)
    soft = np.divide(e, s, out=np.zeros_like(e), where=s > 0)
    return record(out, (x,), lambda g, need: (expand_reduced(g, a.shape, axis, keepdims) * soft,))


def cumsum(x, axis=None, dtype=None):
    a = data_of(x)
    out = np.cumsum(a, axis=axis, dtype=dtype)

    def backward(g, need):  # each input contributes to all later outputs: reversed cumsum
        if axis is None:
            return (np.flip(np.cumsum(np.flip(g))).reshape(a.shape),)
        return (np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis),)

    return record(out, (x,), backward)


def cumprod(x, axis=None, dtype=None):
    a = data_of(x)
    src = a.ravel() if axis is None else a
    ax = 0 if axis is None else axis % a.ndim
    out = np.cumprod(src, axis=ax, dtype=dtype)

    def backward(g, need):
        if np.all(src != 0):  # d out_j / d a_i = out_j / a_i for j >= i: reversed cumsum
            rev = np.flip(np.cumsum(np.flip(g * out, ax), axis=ax), ax)
            return ((rev / src).reshape(a.shape),)
        # with zeros: sum_j>=i g_j prod_{k<=j, k!=i} a_k, one axis position at a time
        gm, am = np.moveaxis(g, ax, 0), np.moveaxis(src, ax, 0)
        before = np.concatenate([np.ones_like(am[:1]), np.cumprod(am, axis=0)[:-1]])
        acc = np.zeros(am.shape, g.dtype)
        for i in range(am.shape[0]):
            after = np.cumprod(np.concatenate([np.ones_like(am[:1]), am[i + 1 :]]), axis=0)
            acc[i] = before[i] * np.sum(gm[i:] * after, axis=0)
        return (np.moveaxis(acc, 0, ax).reshape(a.shape),)

    return record(out, (x,), backward)


def average(x, axis=None, weights=None):
    """Weighted mean sum(x w) / sum(w) over `axis` (weights 1-D along `axis`, or x's shape)."""
    if weights is None:
        return mean(x, axis=axis)

    a, w = data_of(x), data_of(weights)
    if np.ndim(w) == 1 and axis is not None and np.ndim(a) > 1:
        shape = [1] * a.ndim
        shape[norm_axis(axis, a.ndim)[0]] = -1
        weights = reshape(weights, shape)
    total = sum(math.multiply(x, weights), axis=axis)
    return math.divide(total, sum(broadcast_to(weights, np.shape(a)), axis=axis))


def _segments(op, data, segment_ids, num_segments):
    a = data_of(data)
    ids = np.asarray(data_of(segment_ids))
    if ids.ndim != 1 or ids.shape[0] != np.shape(a)[0]:
        raise ValueError(
            f"{op}: segment_ids must be 1-D with one id per row of data, got segment_ids of shape "
            f"{ids.shape} for data of shape {np.shape(a)}"
        )
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{op}: segment_ids must be integers, got dtype {ids.dtype}")
    n = int(ids.max()) + 1 if num_segments is None and ids.size else int(num_segments or 0)
    keep = (ids >= 0) & (ids < n)  # ids outside [0, num_segments) are dropped, as in TF
    return a, ids, keep, n


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """out[s] = sum of the rows of `data` whose segment id is s (shape (num_segments, ...))."""
    a, ids, keep, n = _segments("segment_sum", data, segment_ids, num_segments)
    out = np.zeros((n,) + a.shape[1:], a.dtype)
    np.add.at(out, ids[keep], a[keep])

    def backward(g, need):  # each row receives its segment's gradient
        gx = np.zeros(a.shape, g.dtype)
        gx[keep] = g[ids[keep]]
        return gx, None

    return record(out, (data, segment_ids), backward)


def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """out[s] = elementwise max of the rows in segment s; empty segments hold the dtype's lowest
    value (as TensorFlow); ties share the gradient."""
    a, ids, keep, n = _segments("segment_max", data, segment_ids, num_segments)
    low = np.finfo(a.dtype).min if a.dtype.kind == "f" else np.iinfo(a.dtype).min
    out = np.full((n,) + a.shape[1:], low, a.dtype)
    np.maximum.at(out, ids[keep], a[keep])

    def backward(g, need):
        hit = np.zeros(a.shape, bool)
        hit[keep] = a[keep] == out[ids[keep]]
        count = np.zeros(out.shape, g.dtype)
        np.add.at(count, ids[keep], hit[keep])
        gx = np.zeros(a.shape, g.dtype)
        gx[keep] = np.where(hit[keep], g[ids[keep]] / np.maximum(count[ids[keep]], 1), 0)
        return gx, None

    return record(out, (data, segment_ids), backward)


def bincount(x, weights=None, minlength=0, sparse=False):
    """Count (or sum `weights` of) each non-negative integer of 1-D `x`; differentiable in weights."""
    if sparse:
        raise NotImplementedError("bincount(sparse=True) is not supported; lamina returns dense counts")
    idx = np.asarray(data_of(x))
    if idx.ndim != 1:
        raise ValueError(f"bincount: x must be 1-D, got shape {idx.shape}")
    if weights is None:
        return const(np.bincount(idx, minlength=minlength).astype(np.int32))
    w = data_of(weights)
    out = np.bincount(idx, weights=w, minlength=minlength).astype(np.result_type(w, np.float32))
    return record(out, (x, weights), lambda g, need: (None, g[idx]))  # each weight's bin


def quantile_positions(pos, method):
    """(lower index, upper index, interpolation weight) of fractional sorted positions `pos`
    for np.quantile's methods (linear, lower, higher, midpoint, nearest)."""
    lo, hi = np.floor(pos).astype(np.intp), np.ceil(pos).astype(np.intp)
    if method == "lower":
        hi = lo
    elif method == "higher":
        lo = hi
    elif method == "nearest":
        lo = hi = np.around(pos).astype(np.intp)
    if method == "midpoint":
        return lo, hi, np.full(np.shape(pos), 0.5)
    return lo, hi, (pos - lo if method == "linear" else np.zeros(np.shape(pos)))


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The q-th quantiles (q in [0, 1]) along `axis`, as np.quantile; differentiable (the
    gradient goes to the one or two order statistics each quantile interpolates)."""
    methods = ("linear", "lower", "higher", "midpoint", "nearest")
    if method not in methods:
        raise ValueError(f"quantile: method must be one of {methods}, got {method!r}")
    a = data_of(x)
    # a Python list stays float64 (data_of would read it as float32 first)
    qs = np.asarray(q.data if isinstance(q, Tensor) else q, dtype=np.float64)
    if np.any((qs < 0) | (qs > 1)):
        raise ValueError(f"quantile: q must be in [0, 1], got {qs}")
    nd = np.ndim(a)
    axes = norm_axis(axis, nd)
    kept = [i for i in range(nd) if i not in axes]
    moved = transpose(x, kept + list(axes)) if nd else reshape(x, (1,))
    lead = tuple(np.shape(a)[i] for i in kept)
    flat = reshape(moved, lead + (-1,))
    s = sort(flat, axis=-1)
    n = np.shape(data_of(flat))[-1]
    lo, hi, frac = quantile_positions(qs * (n - 1), method)
    frac = np.asarray(frac, dtype=np.result_type(np.asarray(a).dtype, np.float32))
    low = take(s, lo.ravel(), axis=-1)
    high = take(s, hi.ravel(), axis=-1)
    out = math.add(low, math.multiply(math.subtract(high, low), frac.ravel()))  # (..., len(q))
    out = moveaxis(out, -1, 0)  # numpy puts the quantile axis first
    if keepdims:
        full = [1 if i in axes else np.shape(a)[i] for i in range(nd)]
        out = reshape(out, (-1, *full))
    out = reshape(out, qs.shape + tuple(np.shape(data_of(out))[1:]))
    return out


def median(x, axis=None, keepdims=False):
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def argmax(x, axis=None, keepdims=False):
    a = data_of(x)
    return const(np.argmax(a, axis=_axis(axis, a), keepdims=keepdims).astype(np.int32))


def argmin(x, axis=None, keepdims=False):
    a = data_of(x)
    return const(np.argmin(a, axis=_axis(axis, a), keepdims=keepdims).astype(np.int32))


def all(x, axis=None, keepdims=False):  # noqa: A001
    return const(np.all(data_of(x), axis=axis, keepdims=keepdims))


def any(x, axis=None, keepdims=False):  # noqa: A001
    return const(np.any(data_of(x), axis=axis, keepdims=keepdims))


def count_nonzero(x, axis=None):
    return const(np.count_nonzero(data_of(x), axis=axis))
