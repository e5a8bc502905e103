"""Float8 scaling helpers (Keras 3's delayed-scaling recipe of float8 training).

`compute_float8_amax_history` rolls the history one step left and writes max|x| at index
0; `compute_float8_scale` gives 1 / (dtype_max / amax / 2^margin), keeping the old scale
where amax is 0 or not finite; `quantize_and_dequantize` rounds x / scale to the float8
dtype (clipped to its finite range) and multiplies back. Float8 dtypes come from the
optional `ml_dtypes` package (NumPy has none).
"""
import numpy as np

from lamina.engine.tensor import Tensor, data_of

FLOAT8_DTYPES = ("float8_e4m3fn", "float8_e5m2")


def _float8(name):
    try:
        import ml_dtypes  # noqa: PLC0415  (optional: only float8 needs it)
    except ImportError as e:
        raise ImportError("float8 quantization needs the `ml_dtypes` package (NumPy has no float8 "
                          "types): pip install ml_dtypes") from e
    name = getattr(name, "name", name)
    if name not in FLOAT8_DTYPES:
        raise ValueError(f"quantized_dtype must be one of {FLOAT8_DTYPES}, got {name!r}")
    return np.dtype(getattr(ml_dtypes, name)), ml_dtypes.finfo(getattr(ml_dtypes, name))


def float8_max(name):
    """The largest finite value of the float8 dtype `name` ("float8_e4m3fn" or "float8_e5m2")."""
    return float(_float8(name)[1].max)


def compute_float8_scale(amax, scale, dtype_max, margin=0):
    """The new scale from the running `amax` and the current `scale` (float arrays)."""
    amax = np.asarray(data_of(amax))
    scale = np.asarray(data_of(scale))
    fdt = np.result_type(amax.dtype, scale.dtype)
    inv_old = np.reciprocal(scale.astype(fdt))
    with np.errstate(divide="ignore", invalid="ignore"):
        sf = np.asarray(data_of(dtype_max), fdt) / amax / fdt.type(2**margin)
    sf = np.where(amax > 0.0, sf, inv_old)
    sf = np.where(np.isfinite(amax), sf, inv_old)
    return Tensor(np.reciprocal(sf).astype(fdt))


def compute_float8_amax_history(x, amax_history):
    """`amax_history` rolled left by one with max|x| written at index 0."""
    hist = np.asarray(data_of(amax_history))
    new = np.roll(hist, -1)
    new[0] = np.max(np.abs(np.asarray(data_of(x))))
    return Tensor(new.astype(hist.dtype, copy=False))


def quantize_and_dequantize(inputs, scale, quantized_dtype, compute_dtype):
    """x / scale clipped to the float8 range, rounded to `quantized_dtype`, times scale."""
    f8, info = _float8(quantized_dtype)
    cdt = np.dtype(compute_dtype)
    top = cdt.type(float(info.max))
    s = np.asarray(data_of(scale)).astype(cdt)
    x = np.clip(np.asarray(data_of(inputs)).astype(cdt) / s, -top, top)
    return Tensor(x.astype(f8).astype(cdt) * s)
