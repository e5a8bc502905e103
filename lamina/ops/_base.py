"""Shared helpers for op definitions (not public)."""
import numpy as np

from lamina.engine import dtypes
from lamina.engine.tensor import Tensor, as_array, data_of, record  # noqa: F401  (re-exported)


def fdata(x):
    """Value of `x` as a float array: integers/bools/Python numbers become floatx."""
    a = data_of(x)
    if type(a) is np.ndarray:
        if a.dtype.kind in "fc" or a.dtype.name == "bfloat16":  # bfloat16 (ml_dtypes) is kind "V"
            return a
        return a.astype(dtypes.floatx())
    return np.asarray(a, dtype=dtypes.floatx())


def result_float(out, *args):
    """Undo NumPy's float64 result when no argument was a float64 array (e.g. int / int)."""
    if out.dtype == np.float64 and not any(getattr(a, "dtype", None) == np.float64 for a in args):
        return out.astype(dtypes.floatx())
    return out


def const(out):
    """A result with no gradient (comparisons, argmax, ...)."""
    return Tensor(out if type(out) is np.ndarray else np.asarray(out))


def norm_axis(axis, ndim):
    """`axis` (int, tuple, or None) as a tuple of non-negative ints, validated."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for a tensor of rank {ndim}")
        out.append(a % ndim if ndim else 0)
    return tuple(out)


def expand_reduced(g, shape, axis, keepdims):
    """Broadcast the gradient of a reduction back over the reduced axes of `shape`.

    Returns a read-only zero-stride view (no copy): backward functions never write to g.
    """
    ndim = len(shape)
    if g.size == 1 and g.ndim <= ndim:  # a full reduction: one value everywhere
        if g.ndim and not g.flags.c_contiguous:
            g = np.ascontiguousarray(g)
        out = np.ndarray(shape, g.dtype, g, 0, (0,) * ndim)
    else:
        if not keepdims:
            g = np.expand_dims(g, norm_axis(axis, ndim)) if axis is not None else g.reshape((1,) * ndim)
        out = np.broadcast_to(g, shape)
    out.flags.writeable = False
    return out


def check_broadcast(op, a, b):
    """Raise a ValueError naming the op and both shapes if `a` and `b` cannot broadcast."""
    sa, sb = np.shape(a), np.shape(b)
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {sa} and {sb} are not compatible for broadcasting (trailing "
            "dimensions must be equal or 1)"
        ) from None
