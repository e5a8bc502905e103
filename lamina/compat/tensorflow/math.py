"""`tf.math`: elementwise math, comparisons and reductions with TensorFlow's names and defaults.

Everything computes with lamina's ops, so gradients go through lamina's tape. TensorFlow's
differences from `keras.ops` kept here: `argmax`/`argmin` default to axis 0 and return int64;
`reduce_mean` of an integer tensor is an integer (truncated); `reduce_*` take `input_tensor`
and `keepdims`.
"""
import numpy as np

from lamina import ops
from lamina.compat.tensorflow._common import dtype_of as _dtype_of
from lamina.compat.tensorflow._common import module_getattr as _module_getattr
from lamina.compat.tensorflow._common import value as _value
from lamina.engine.tensor import Tensor as _Tensor

# elementwise, same meaning and argument order as TensorFlow
add, subtract, multiply, maximum, minimum = ops.add, ops.subtract, ops.multiply, ops.maximum, ops.minimum
negative, abs, sign = ops.negative, ops.abs, ops.sign  # noqa: A001
sqrt, square, exp, log, log1p, expm1 = ops.sqrt, ops.square, ops.exp, ops.log, ops.log1p, ops.expm1
sin, cos, tan, tanh, sinh, cosh = ops.sin, ops.cos, ops.tan, ops.tanh, ops.sinh, ops.cosh
asin, acos, atan, atan2 = ops.arcsin, ops.arccos, ops.arctan, ops.arctan2
floor, ceil, rsqrt, reciprocal, erf = ops.floor, ops.ceil, ops.rsqrt, ops.reciprocal, ops.erf
sigmoid, softplus, log_sigmoid = ops.sigmoid, ops.softplus, ops.log_sigmoid
floordiv, floormod, mod = ops.floor_divide, ops.mod, ops.mod
divide_no_nan = ops.divide_no_nan
equal, not_equal, less, less_equal = ops.equal, ops.not_equal, ops.less, ops.less_equal
greater, greater_equal = ops.greater, ops.greater_equal
logical_and, logical_or, logical_not, logical_xor = (ops.logical_and, ops.logical_or, ops.logical_not,
                                                     ops.logical_xor)
is_nan, is_inf, is_finite = ops.isnan, ops.isinf, ops.isfinite


def divide(x, y, name=None):
    """x / y (TensorFlow's `tf.divide`; integers divide to floats as in NumPy)."""
    return ops.divide(x, y)


truediv = divide


def pow(x, y, name=None):  # noqa: A001  (TensorFlow name)
    """x ** y, elementwise."""
    return ops.power(x, y)


def round(x, name=None):  # noqa: A001
    """Round half to even, as TensorFlow does (no gradient)."""
    return ops.round(x)


def squared_difference(x, y, name=None):
    return ops.square(ops.subtract(x, y))


def add_n(inputs, name=None):
    """The elementwise sum of a list of same-shape tensors."""
    inputs = list(inputs)
    if not inputs:
        raise ValueError("add_n: `inputs` is an empty list; pass at least one tensor")
    total = inputs[0]
    for x in inputs[1:]:
        total = ops.add(total, x)
    return total if isinstance(total, _Tensor) else ops.convert_to_tensor(total)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None):
    """x / sqrt(max(sum(x**2, axis), epsilon))."""
    sq = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.multiply(x, ops.rsqrt(ops.maximum(sq, epsilon)))


# reductions -------------------------------------------------------------------------------
def _axis(axis):
    if isinstance(axis, _Tensor):
        axis = axis.data
    if isinstance(axis, np.ndarray):
        axis = tuple(int(a) for a in axis.reshape(-1)) if axis.ndim else int(axis)
    if isinstance(axis, list):
        axis = tuple(axis)
    return axis


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    return ops.sum(input_tensor, axis=_axis(axis), keepdims=keepdims)


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """The mean; for an integer tensor an integer (truncated toward zero), as in TensorFlow."""
    a = _value(input_tensor)
    if a.dtype.kind in "iub":
        out = np.trunc(np.mean(a, axis=_axis(axis), keepdims=keepdims)).astype(a.dtype)
        return _Tensor(np.asarray(out))
    return ops.mean(input_tensor, axis=_axis(axis), keepdims=keepdims)


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    return ops.max(input_tensor, axis=_axis(axis), keepdims=keepdims)


def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    return ops.min(input_tensor, axis=_axis(axis), keepdims=keepdims)


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    return ops.prod(input_tensor, axis=_axis(axis), keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    return ops.std(input_tensor, axis=_axis(axis), keepdims=keepdims)


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    return ops.var(input_tensor, axis=_axis(axis), keepdims=keepdims)


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    return ops.logsumexp(input_tensor, axis=_axis(axis), keepdims=keepdims)


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    return ops.all(input_tensor, axis=_axis(axis), keepdims=keepdims)


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    return ops.any(input_tensor, axis=_axis(axis), keepdims=keepdims)


def _arg(fn, input, axis, output_type):  # noqa: A002
    a = _value(input)
    out = fn(a, axis=0 if axis is None else int(_axis(axis)))
    return _Tensor(np.asarray(out, dtype=_dtype_of(output_type)))


def argmax(input, axis=None, output_type="int64", name=None):  # noqa: A002  (TensorFlow names)
    """Index of the largest value along `axis` (default 0, as in TensorFlow); int64 by default."""
    return _arg(np.argmax, input, axis, output_type)


def argmin(input, axis=None, output_type="int64", name=None):  # noqa: A002
    """Index of the smallest value along `axis` (default 0); int64 by default."""
    return _arg(np.argmin, input, axis, output_type)


def count_nonzero(input, axis=None, keepdims=False, dtype="int64", name=None):  # noqa: A002
    a = _value(input)
    return _Tensor(np.asarray(np.count_nonzero(a, axis=_axis(axis), keepdims=keepdims),
                             dtype=_dtype_of(dtype)))


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative sum along `axis` (`exclusive`/`reverse` as in TensorFlow)."""
    axis = int(_axis(axis))
    if reverse:
        x = ops.flip(x, axis=axis)
    out = ops.cumsum(x, axis=axis)
    if exclusive:
        out = ops.subtract(out, x)
    return ops.flip(out, axis=axis) if reverse else out


def top_k(input, k=1, sorted=True, name=None):  # noqa: A002
    """(values, indices) of the k largest entries along the last axis."""
    return ops.top_k(input, k, sorted=sorted)


def in_top_k(targets, predictions, k, name=None):
    return ops.in_top_k(targets, predictions, k)


__getattr__ = _module_getattr("tensorflow.math")
