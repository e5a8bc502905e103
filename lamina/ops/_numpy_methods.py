"""Tensor reduction methods with NumPy's signature, so NumPy functions work on tensors.

`np.mean(t)`, `np.sum(t)`, `np.max(model(x))` call `t.mean(axis=..., dtype=..., out=...)`; these
methods accept NumPy's arguments: without `out` (or NumPy-only options such as `where`) they
run the lamina op (differentiable, a Tensor result), otherwise NumPy computes into `out`.
"""
import numpy as np

from lamina.engine.tensor import Tensor
from lamina.ops import core, reduce


def _method(op, np_fn, op_kwargs=()):
    def method(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        numpy_only = set(kwargs) - set(op_kwargs)
        if out is not None or numpy_only:
            if dtype is not None:
                kwargs["dtype"] = dtype
            return np_fn(self.data, axis=axis, out=out, keepdims=keepdims, **kwargs)
        result = op(self, axis=axis, keepdims=keepdims, **kwargs)
        return result if dtype is None else core.cast(result, dtype)

    method.__name__ = op.__name__
    method.__doc__ = f"`lamina.ops.{op.__name__}` with NumPy's method signature (axis, dtype, out, keepdims)."
    return method


Tensor.sum = _method(reduce.sum, np.sum)
Tensor.mean = _method(reduce.mean, np.mean)
Tensor.prod = _method(reduce.prod, np.prod)
Tensor.max = _method(reduce.max, np.max, op_kwargs=("initial",))
Tensor.min = _method(reduce.min, np.min, op_kwargs=("initial",))
