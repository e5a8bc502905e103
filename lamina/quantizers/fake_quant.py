"""`fake_quant_with_min_max_vars` (Keras 3 / TensorFlow's FakeQuantWithMinMaxVars).

The range [min, max] is nudged so that 0 is exactly representable on the grid of
2^num_bits - 1 steps (quant_min = 1 with narrow_range, else 0):
    scale = (max - min) / (quant_max - quant_min)
    zero = round(clip(quant_min - min / scale, quant_min, quant_max))
    nudged_min = (quant_min - zero) * scale,  nudged_max = (quant_max - zero) * scale
    out = (floor((clip(x, nudged_min, nudged_max) - nudged_min) / scale - q0 + 0.5)) * scale
with q0 = floor(-nudged_min / scale + 0.5), the grid index of 0 (so out ~ the nearest grid point).
Gradient (straight-through): x gets g where nudged_min <= x <= nudged_max; min gets the sum
of g where x <= nudged_min, max where x >= nudged_max (per channel along `axis` when the
ranges are vectors).
"""
import numpy as np

from lamina.engine import dtypes
from lamina.engine.tensor import data_of, record


def _nudge(lo, hi, num_bits, narrow_range):
    quant_max = (1 << num_bits) - 1
    quant_min = 1 if narrow_range else 0
    diff = hi - lo
    scale = diff / (quant_max - quant_min)
    inv_scale = (quant_max - quant_min) / diff
    zero = np.round(np.clip(quant_min - lo / scale, quant_min, quant_max))
    return (quant_min - zero) * scale, (quant_max - zero) * scale, scale, inv_scale


def _float(v):
    """A range as an array; Python numbers become floatx (as Keras's convert_to_tensor)."""
    a = np.asarray(data_of(v))
    return a.astype(dtypes.floatx()) if isinstance(v, (int, float)) else a


def fake_quant_with_min_max_vars(inputs, min_vals, max_vals, num_bits=8, narrow_range=False,
                                 axis=None):
    """`inputs` quantized to the nudged [min_vals, max_vals] grid and back to floats.

    min_vals / max_vals: scalars (per-tensor) or vectors of the size of `inputs`' channel
    axis `axis` (per-channel; broadcast against the last axis, as in Keras)."""
    x = np.asarray(data_of(inputs))
    lo, hi = _float(min_vals), _float(max_vals)
    cdt = np.result_type(lo.dtype, np.float32)
    num_bits = int(num_bits)
    if axis is not None and not -x.ndim <= axis < x.ndim:
        raise ValueError(f"fake_quant_with_min_max_vars: axis {axis} is out of range for inputs of "
                         f"shape {x.shape}")
    nmin, nmax, scale, inv_scale = _nudge(lo.astype(cdt), hi.astype(cdt), num_bits, narrow_range)
    quant_zero = np.floor(-nmin * inv_scale + 0.5)
    shifted = np.clip(x.astype(cdt), nmin, nmax) - nmin
    out = (np.floor(shifted * inv_scale - quant_zero + 0.5) * scale).astype(x.dtype)
    inside = (x >= nmin) & (x <= nmax)
    below, above = x <= nmin, x >= nmax

    def backward(g, need):
        zero = g.dtype.type(0)
        return (np.where(inside, g, zero) if need[0] else None,
                np.where(below, g, zero) if need[1] else None,
                np.where(above, g, zero) if need[2] else None)

    return record(out, (inputs, min_vals, max_vals), backward)
