"""The NaN-ignoring reductions of `keras.ops` (nansum, nanmean, nanvar, nanquantile...),
`percentile` and `ptp`, composed of differentiable ops (NaN elements get zero gradient)."""

import numpy as np

from lamina.ops import math, reduce
from lamina.ops._base import Tensor, const, data_of, fdata, norm_axis
from lamina.ops.shape import reshape, sort, take_along_axis, transpose


def _q(q):
    """Quantiles as float64 (a Python list must not pass through float32 first)."""
    return np.asarray(q.data if isinstance(q, Tensor) else q, np.float64)


def _mask(x):
    return np.isnan(fdata(x))


def nansum(x, axis=None, keepdims=False):
    return reduce.sum(math.where(_mask(x), 0.0, x), axis=axis, keepdims=keepdims)


def _count(x, axis, keepdims):
    count = np.sum(~_mask(x), axis=axis, keepdims=keepdims)
    return count.astype(fdata(x).dtype)


def nanmean(x, axis=None, keepdims=False):
    """Mean of the non-NaN elements (NaN where a slice has none)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return math.divide(nansum(x, axis, keepdims), _count(x, axis, keepdims))


def nanvar(x, axis=None, keepdims=False):
    mask = _mask(x)
    centred = math.subtract(math.where(mask, 0.0, x), nanmean(x, axis, keepdims=True))
    squares = math.where(mask, 0.0, math.square(centred))
    with np.errstate(invalid="ignore", divide="ignore"):
        return math.divide(
            reduce.sum(squares, axis=axis, keepdims=keepdims), _count(x, axis, keepdims)
        )


def nanstd(x, axis=None, keepdims=False):
    return math.sqrt(nanvar(x, axis, keepdims))


def nanprod(x, axis=None, keepdims=False):
    return reduce.prod(math.where(_mask(x), 1.0, x), axis=axis, keepdims=keepdims)


def nancumsum(x, axis=None, dtype=None):
    return reduce.cumsum(math.where(_mask(x), 0.0, x), axis=axis, dtype=dtype)


def nancumprod(x, axis=None, dtype=None):
    return reduce.cumprod(math.where(_mask(x), 1.0, x), axis=axis, dtype=dtype)


def _nan_extreme(fn, fill, x, axis, keepdims):
    mask = _mask(x)
    out = fn(math.where(mask, fill, x), axis=axis, keepdims=keepdims)
    empty = np.all(mask, axis=axis, keepdims=keepdims)
    return math.where(empty, np.nan, out) if np.any(empty) else out


def nanmax(x, axis=None, keepdims=False):
    return _nan_extreme(reduce.max, -np.inf, x, axis, keepdims)


def nanmin(x, axis=None, keepdims=False):
    return _nan_extreme(reduce.min, np.inf, x, axis, keepdims)


def _nan_arg(fn, x, axis, keepdims):
    a = data_of(x)
    if np.any(np.all(np.isnan(a), axis=axis)):
        raise ValueError(f"{fn.__name__}: a slice along axis={axis} holds only NaN values")
    out = fn(a, axis=axis)
    if keepdims:
        out = (
            np.expand_dims(out, norm_axis(axis, a.ndim))
            if axis is not None
            else np.reshape(out, (1,) * a.ndim)
        )
    return const(np.asarray(out, np.int32))


def nanargmax(x, axis=None, keepdims=False):
    return _nan_arg(np.nanargmax, x, axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    return _nan_arg(np.nanargmin, x, axis, keepdims)


def ptp(x, axis=None, keepdims=False):
    """max - min along `axis`."""
    return math.subtract(
        reduce.max(x, axis=axis, keepdims=keepdims), reduce.min(x, axis=axis, keepdims=keepdims)
    )


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The q-th percentiles (q in [0, 100]), as np.percentile."""
    return reduce.quantile(x, _q(q) / 100, axis=axis, method=method, keepdims=keepdims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """np.nanquantile: quantiles of the non-NaN elements of each slice (NaN if there are none);
    the gradient goes to the order statistics each quantile interpolates."""
    methods = ("linear", "lower", "higher", "midpoint", "nearest")
    if method not in methods:
        raise ValueError(f"nanquantile: method must be one of {methods}, got {method!r}")
    a = fdata(x)
    qs = _q(q)
    if np.any((qs < 0) | (qs > 1)):
        raise ValueError(f"nanquantile: q must be in [0, 1], got {qs}")
    nd = a.ndim
    axes = norm_axis(axis, nd)
    kept = [i for i in range(nd) if i not in axes]
    lead = tuple(a.shape[i] for i in kept)
    flat = reshape(transpose(x, kept + list(axes)) if nd else reshape(x, (1,)), lead + (-1,))
    s = sort(flat, axis=-1)  # NaN sorts last
    valid = np.sum(~np.isnan(data_of(flat)), axis=-1, keepdims=True)  # (..., 1)
    pos = qs.reshape(-1) * np.maximum(valid - 1, 0)  # (..., len(q))
    lo, hi, frac = reduce.quantile_positions(pos, method)
    low, high = take_along_axis(s, lo, axis=-1), take_along_axis(s, hi, axis=-1)
    out = math.add(low, math.multiply(math.subtract(high, low), frac.astype(a.dtype)))
    out = math.where(np.broadcast_to(valid == 0, pos.shape), np.nan, out)
    out = transpose(out, (out.ndim - 1,) + tuple(range(out.ndim - 1)))  # quantiles first
    if keepdims:
        out = reshape(out, (-1,) + tuple(1 if i in axes else a.shape[i] for i in range(nd)))
    return reshape(out, qs.shape + tuple(out.shape[1:]))


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return nanquantile(x, _q(q) / 100, axis=axis, method=method, keepdims=keepdims)


def nanmedian(x, axis=None, keepdims=False):
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)
