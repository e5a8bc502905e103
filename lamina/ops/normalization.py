"""`keras.ops.layer_normalization` and `rms_normalization`, composed of differentiable ops."""
from lamina.engine import dtypes
from lamina.ops import math, reduce


def rms_normalization(x, scale=1, axis=-1, epsilon=None):
    """x / sqrt(mean(x^2, axis) + epsilon) * scale (epsilon defaults to 1e-7)."""
    eps = dtypes.epsilon() if epsilon is None else epsilon
    ms = reduce.mean(math.square(x), axis=axis, keepdims=True)
    out = math.multiply(x, math.rsqrt(math.add(ms, eps)))
    return out if scale is None else math.multiply(out, scale)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta over `axis` (epsilon defaults to 1e-7)."""
    eps = dtypes.epsilon() if epsilon is None else epsilon
    mean = reduce.mean(x, axis=axis, keepdims=True)
    var = reduce.var(x, axis=axis, keepdims=True)
    out = math.multiply(math.subtract(x, mean), math.rsqrt(math.add(var, eps)))
    if gamma is not None:
        out = math.multiply(out, gamma)
    return out if beta is None else math.add(out, beta)
