"""Python operators, array methods and NumPy ufuncs on Tensors, bound to lamina ops (differentiable).

The engine's `Tensor` defines none of them (the engine imports nothing above it): importing
`lamina.ops` runs this module, which sets them on the class.
"""
import numpy as np

from lamina.engine.tensor import Tensor
from lamina.ops import core, linalg, logic, math, nn, reduce, shapes


def _swap(fn):
    return lambda self, other: fn(other, self)


def _eq(self, other):
    return False if other is None else logic.equal(self, other)


def _ne(self, other):
    return True if other is None else logic.not_equal(self, other)


def _matmul_r(self, other):
    return linalg.matmul(other, self)


_BINDINGS = {
    "__add__": math.add, "__radd__": _swap(math.add),
    "__sub__": math.subtract, "__rsub__": _swap(math.subtract),
    "__mul__": math.multiply, "__rmul__": _swap(math.multiply),
    "__truediv__": math.divide, "__rtruediv__": _swap(math.divide),
    "__floordiv__": math.floor_divide, "__rfloordiv__": _swap(math.floor_divide),
    "__mod__": math.mod, "__rmod__": _swap(math.mod),
    "__pow__": math.power, "__rpow__": _swap(math.power),
    "__matmul__": linalg.matmul, "__rmatmul__": _matmul_r,
    "__neg__": math.negative, "__pos__": lambda self: self, "__abs__": math.abs,
    "__lt__": logic.less, "__le__": logic.less_equal,
    "__gt__": logic.greater, "__ge__": logic.greater_equal,
    "__eq__": _eq, "__ne__": _ne,
    "__and__": logic.logical_and, "__or__": logic.logical_or, "__xor__": logic.logical_xor,
    "__invert__": logic.logical_not,
    "__getitem__": shapes.getitem,
}  # fmt: skip

for _name, _fn in _BINDINGS.items():
    setattr(Tensor, _name, _fn)
Tensor.T = property(lambda self: shapes.transpose(self))
Tensor.reshape = lambda self, *s: shapes.reshape(self, s[0] if len(s) == 1 else s)
Tensor.astype = core.cast
Tensor.sum = reduce.sum
Tensor.mean = reduce.mean
Tensor.max = reduce.max
Tensor.min = reduce.min
Tensor.prod = reduce.prod
Tensor.argmax = reduce.argmax
Tensor.argmin = reduce.argmin
Tensor.transpose = lambda self, *axes: shapes.transpose(self, (axes[0] if len(axes) == 1 else axes) or None)
Tensor.squeeze = shapes.squeeze
Tensor.flatten = shapes.ravel
Tensor.__rmatmul__ = _matmul_r

# NumPy ufuncs applied to Tensors (np.exp(t), ndarray + t, ...) go through lamina ops.
_UFUNCS = {
    np.add: math.add, np.subtract: math.subtract, np.multiply: math.multiply,
    np.true_divide: math.divide, np.power: math.power, np.negative: math.negative,
    np.maximum: math.maximum, np.minimum: math.minimum, np.matmul: linalg.matmul,
    np.exp: math.exp, np.log: math.log, np.log1p: math.log1p, np.expm1: math.expm1,
    np.sqrt: math.sqrt, np.square: math.square, np.abs: math.abs, np.absolute: math.abs,
    np.sin: math.sin, np.cos: math.cos, np.tan: math.tan, np.tanh: nn.tanh, np.sign: math.sign,
    np.arcsin: math.arcsin, np.arccos: math.arccos, np.arctan: math.arctan,
    np.arctan2: math.arctan2, np.sinh: math.sinh, np.cosh: math.cosh, np.log2: math.log2,
    np.log10: math.log10, np.exp2: math.exp2, np.logaddexp: math.logaddexp,
    np.reciprocal: math.reciprocal, np.cbrt: math.cbrt,
    np.equal: logic.equal, np.not_equal: logic.not_equal, np.less: logic.less,
    np.less_equal: logic.less_equal, np.greater: logic.greater,
    np.greater_equal: logic.greater_equal,
}  # fmt: skip


def array_ufunc(ufunc, method, inputs, kwargs):
    op = _UFUNCS.get(ufunc)
    if op is not None and method == "__call__" and not kwargs:
        return op(*inputs)
    raw = [x.data if isinstance(x, Tensor) else x for x in inputs]
    return getattr(ufunc, method)(*raw, **kwargs)  # no gradient: a plain NumPy result


def _tensor_array_ufunc(self, ufunc, method, *inputs, **kwargs):
    return array_ufunc(ufunc, method, inputs, kwargs)


Tensor.__array_ufunc__ = _tensor_array_ufunc
