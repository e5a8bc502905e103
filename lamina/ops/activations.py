"""More activations with `keras.ops` names: celu, glu, hard_tanh, the shrink family,
squareplus, sparse_plus, threshold (elementwise, each with its gradient beside it)."""
import numpy as np

from lamina.ops import math
from lamina.ops._base import data_of, fdata, record
from lamina.ops.nn import sigmoid
from lamina.ops.shapes import split


def celu(x, alpha=1.0):
    a = fdata(x)
    e = np.exp(np.minimum(a, 0) / alpha)
    out = np.where(a > 0, a, alpha * (e - 1))
    return record(out, (x,), lambda g, need: (np.where(a > 0, g, g * e),))


def glu(x, axis=-1):
    """Gated linear unit: the first half of `axis` times the sigmoid of the second half."""
    n = np.shape(data_of(x))[axis]
    if n % 2:
        raise ValueError(f"glu: axis {axis} must have an even size, got {n} (shape {np.shape(data_of(x))})")
    first, second = split(x, 2, axis=axis)
    return math.multiply(first, sigmoid(second))


def hard_tanh(x):
    a = fdata(x)
    return record(np.clip(a, -1, 1), (x,), lambda g, need: (g * ((a > -1) & (a < 1)),))


def soft_shrink(x, threshold=0.5):
    a = fdata(x)
    out = np.where(a > threshold, a - threshold, np.where(a < -threshold, a + threshold, 0)).astype(a.dtype)
    return record(out, (x,), lambda g, need: (g * (np.abs(a) > threshold),))


def hard_shrink(x, threshold=0.5):
    a = fdata(x)
    keep = np.abs(a) > threshold
    return record(np.where(keep, a, 0).astype(a.dtype), (x,), lambda g, need: (g * keep,))


def tanh_shrink(x):
    a = fdata(x)
    t = np.tanh(a)
    return record(a - t, (x,), lambda g, need: (g * t * t,))  # d(a - tanh a) = tanh^2 a


def squareplus(x, b=4):
    a = fdata(x)
    r = np.sqrt(a * a + b)
    return record((a + r) / 2, (x,), lambda g, need: (g * (1 + a / r) / 2,))


def sparse_plus(x):
    """0 for x <= -1, (x + 1)^2 / 4 for |x| < 1, x for x >= 1."""
    a = fdata(x)
    mid = (a > -1) & (a < 1)
    out = np.where(a >= 1, a, np.where(mid, (a + 1) ** 2 / 4, 0)).astype(a.dtype)
    return record(out, (x,), lambda g, need: (g * np.where(a >= 1, 1, np.where(mid, (a + 1) / 2, 0)),))


def threshold(x, threshold, default_value):  # noqa: A002  (keras.ops name)
    """x where x > threshold, else default_value."""
    a = fdata(x)
    keep = a > threshold
    return record(np.where(keep, a, default_value).astype(a.dtype), (x,), lambda g, need: (g * keep,))
