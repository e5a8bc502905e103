"""Reductions (sum, mean, max, ... with `axis` and `keepdims`) and their gradients."""
import numpy as np

from lamina.ops._base import const, data_of, expand_reduced, fdata, norm_axis, record


def _axis(axis, a):
    """Validate `axis` against `a` (errors name the rank); returns a NumPy-ready axis."""
    if axis is None:
        return None
    axes = norm_axis(axis, a.ndim)
    return axes[0] if isinstance(axis, (int, np.integer)) else axes


def sum(x, axis=None, keepdims=False):  # noqa: A001  (keras.ops name)
    a = data_of(x)
    axis = _axis(axis, a)
    out = np.sum(a, axis=axis, keepdims=keepdims)
    # d sum(a) = 1 for every summed element
    return record(out, (x,), lambda g, need: (expand_reduced(g, a.shape, axis, keepdims),))


def mean(x, axis=None, keepdims=False):
    a = fdata(x)
    axis = _axis(axis, a)
    out = np.mean(a, axis=axis, keepdims=keepdims)
    n = a.size // max(out.size, 1) if a.size else 1
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
    n = a.size // max(out.size, 1)
    # d var = 2 (a - mean) / n
    return record(out, (x,), lambda g, need: (
        expand_reduced(g, a.shape, axis, keepdims) * centered * (2.0 / n),))


def std(x, axis=None, keepdims=False):
    a = fdata(x)
    axis = _axis(axis, a)
    m = np.mean(a, axis=axis, keepdims=True)
    centered = a - m
    out = np.sqrt(np.mean(centered * centered, axis=axis, keepdims=keepdims))
    n = a.size // max(out.size, 1)

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
    out_keep = np.log(s) + m
    out = out_keep if keepdims else (np.squeeze(out_keep, axis) if axis is not None else out_keep.reshape(()))
    # d logsumexp(a) = softmax(a)
    return record(out, (x,), lambda g, need: (expand_reduced(g, a.shape, axis, keepdims) * (e / s),))


def cumsum(x, axis=None, dtype=None):
    a = data_of(x)
    out = np.cumsum(a, axis=axis, dtype=dtype)

    def backward(g, need):  # each input contributes to all later outputs: reversed cumsum
        if axis is None:
            return (np.flip(np.cumsum(np.flip(g))).reshape(a.shape),)
        return (np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis),)

    return record(out, (x,), backward)


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
