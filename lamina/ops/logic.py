"""Comparisons and logical ops: results are constants (no gradient)."""
import numpy as np

from lamina.ops._base import check_broadcast, const, data_of


def _compare(name, fn, x1, x2):
    a, b = data_of(x1), data_of(x2)
    try:
        return const(fn(a, b))
    except ValueError:
        check_broadcast(name, a, b)
        raise


def equal(x1, x2):
    return _compare("equal", np.equal, x1, x2)


def not_equal(x1, x2):
    return _compare("not_equal", np.not_equal, x1, x2)


def less(x1, x2):
    return _compare("less", np.less, x1, x2)


def less_equal(x1, x2):
    return _compare("less_equal", np.less_equal, x1, x2)


def greater(x1, x2):
    return _compare("greater", np.greater, x1, x2)


def greater_equal(x1, x2):
    return _compare("greater_equal", np.greater_equal, x1, x2)


def logical_and(x1, x2):
    return _compare("logical_and", np.logical_and, x1, x2)


def logical_or(x1, x2):
    return _compare("logical_or", np.logical_or, x1, x2)


def logical_xor(x1, x2):
    return _compare("logical_xor", np.logical_xor, x1, x2)


def logical_not(x):
    return const(np.logical_not(data_of(x)))


def isnan(x):
    return const(np.isnan(data_of(x)))


def isinf(x):
    return const(np.isinf(data_of(x)))


def isfinite(x):
    return const(np.isfinite(data_of(x)))


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return const(np.isclose(data_of(x1), data_of(x2), rtol=rtol, atol=atol, equal_nan=equal_nan))


def argsort(x, axis=-1):
    return const(np.argsort(data_of(x), axis=axis, kind="stable").astype(np.int32))


def isin(x1, x2, assume_unique=False, invert=False):
    return const(np.isin(data_of(x1), data_of(x2), assume_unique=assume_unique, invert=invert))


def digitize(x, bins):
    """The index of the bin of each element (int32), as np.digitize."""
    return const(np.digitize(data_of(x), data_of(bins)).astype(np.int32))


def searchsorted(sorted_sequence, values, side="left"):
    return const(np.searchsorted(data_of(sorted_sequence), data_of(values), side=side).astype(np.int32))


def argpartition(x, kth, axis=-1):
    return const(np.argpartition(data_of(x), kth, axis=axis).astype(np.int32))
