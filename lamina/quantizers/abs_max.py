"""Abs-max quantization (Keras 3's `keras.quantizers` int8/int4 helpers), in NumPy.

Symmetric: scale = value_range[1] / (max|x| + epsilon) along `axis` (kept as size-1 axes),
q = clip(round(x * scale), *value_range) cast to `dtype`; x is recovered as q / scale.
Grouped with zero point (int4 sub-channel): rows (axis 0) in groups of `block_size`,
scale = (max - min + epsilon) / (qmax - qmin), zero = clip(round(-min / scale) + qmin),
q = clip(round(x / scale) + zero); x is recovered as (q - zero) * scale.
The results are constants (no gradient): quantization is a post-training transform.
"""
import math

import numpy as np

from lamina.engine import dtypes
from lamina.engine.tensor import Tensor, data_of


def _array(x, what):
    a = np.asarray(data_of(x))
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{what}: expected a numeric tensor, got dtype {a.dtype}")
    return a


def _float_dtype(a):
    return a.dtype if a.dtype.kind == "f" else np.dtype(dtypes.floatx())


def _axes(axis, ndim):
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for ax in axes:
        if not -ndim <= ax < ndim:
            raise ValueError(f"axis {ax} is out of range for a tensor of rank {ndim}")
        out.append(int(ax) % ndim)
    return tuple(out)


class Quantizer:
    """Base class of quantizers: `quantizer(x)` returns the quantized value (identity here)."""

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        return x

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(f"{self} does not implement get_config()")


def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8", epsilon=None,
                     to_numpy=False):
    """(quantized, scale): symmetric abs-max quantization of `inputs` along `axis` (an int
    or a tuple); `scale` keeps the reduced axes with size 1 and the inputs' float dtype.
    `to_numpy` is accepted for Keras compatibility (lamina always computes in NumPy)."""
    x = _array(inputs, "abs_max_quantize")
    eps = dtypes.epsilon() if epsilon is None else epsilon
    fdt = _float_dtype(x)
    xf = x.astype(fdt, copy=False)
    amax = np.max(np.abs(xf), axis=_axes(axis, x.ndim), keepdims=True)
    scale = np.divide(fdt.type(value_range[1]), amax + fdt.type(eps)).astype(fdt, copy=False)
    q = np.clip(np.round(xf * scale), value_range[0], value_range[1]).astype(dtype)
    return Tensor(q), Tensor(scale)


def abs_max_quantize_grouped_with_zero_point(inputs, block_size, value_range=(-8, 7),
                                             dtype="int8", epsilon=None, to_numpy=False):
    """(quantized (in, out), scale (n_groups, out), zero_point (n_groups, out) int8) for a
    2-D `inputs` (in, out): asymmetric quantization of each group of `block_size` rows
    (the last group zero-padded), n_groups = ceil(in / block_size)."""
    x = _array(inputs, "abs_max_quantize_grouped_with_zero_point")
    if x.ndim != 2:
        raise ValueError(f"abs_max_quantize_grouped_with_zero_point: inputs must be 2-D (in, out), "
                         f"got shape {x.shape}")
    if not isinstance(block_size, int) or block_size <= 0:
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}")
    eps = dtypes.epsilon() if epsilon is None else epsilon
    fdt = _float_dtype(x)
    rows, cols = x.shape
    groups = math.ceil(rows / block_size)
    padded = np.zeros((groups * block_size, cols), fdt)
    padded[:rows] = x
    g = padded.reshape(groups, block_size, cols)
    qmin, qmax = value_range
    lo, hi = g.min(axis=1, keepdims=True), g.max(axis=1, keepdims=True)
    scale = ((hi - lo + fdt.type(eps)) / fdt.type(qmax - qmin)).astype(fdt, copy=False)
    zero = np.clip(np.round(-lo / scale) + qmin, qmin, qmax)
    q = np.clip(np.round(g / scale) + zero, qmin, qmax).astype(dtype)
    q = q.reshape(groups * block_size, cols)[:rows]
    return Tensor(q), Tensor(scale[:, 0]), Tensor(zero[:, 0].astype("int8"))


def dequantize_grouped(q, scale, zero, block_size):
    """The float (in, out) matrix of a grouped quantization: (q - zero[g]) * scale[g] with
    g = row // block_size (NumPy arrays in, NumPy array out)."""
    g_idx = np.arange(q.shape[0]) // block_size
    return (q.astype(scale.dtype) - zero[g_idx].astype(scale.dtype)) * scale[g_idx]


class AbsMaxQuantizer(Quantizer):
    """`quantizer(x, axis=None)` -> (int values, scale) by `abs_max_quantize`; the axis is
    the call's, else the constructor's (deprecated there in Keras), else -1."""

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=None, output_dtype="int8"):
        super().__init__(output_dtype=output_dtype)
        self.axis = None if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        self.value_range = tuple(value_range)
        self.epsilon = dtypes.epsilon() if epsilon is None else epsilon
        if output_dtype == "int8" and (self.value_range[0] < -128 or self.value_range[1] > 127):
            raise ValueError(
                "Quantizer with output_dtype='int8' requires value_range to be within the interval "
                f"[-128, 127]. Received: value_range={value_range}")

    def __call__(self, x, axis=None, to_numpy=False):
        axis = self.axis if axis is None else axis
        return abs_max_quantize(x, -1 if axis is None else axis, self.value_range, self.output_dtype,
                                self.epsilon)

    def get_config(self):
        config = {"value_range": self.value_range, "epsilon": self.epsilon,
                  "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config
