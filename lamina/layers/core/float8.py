"""Float8 training for Dense and EinsumDense (Keras 3's "float8" quantization mode).

The layer keeps its float kernel and trains it; the inputs and the kernel go through float8
(e4m3) quantize-dequantize on the way into the product, and the output gradient through
float8 (e5m2) on the way back. Each of the three has a `<name>_scale` (a scalar) and a
`<name>_amax_history` (the last `amax_history_length` values of max|x|, newest first) that
implement delayed scaling: a step uses the current scale, and the "gradients" of the scale
and history variables are their next values,
    history' = [max|x|, history[0:-1]]   (rolled)
    scale'   = 1 / (dtype_max / max(history))     (unchanged if that max is 0 or not finite)
which the optimizer assigns instead of descending (`Variable.overwrite_with_gradient`).
Float8 types come from the optional `ml_dtypes` package.
"""
import numpy as np

from lamina import ops, quantizers
from lamina.engine.tensor import data_of, record
from lamina.quantizers.float8 import float8_max

NAMES = ("inputs", "kernel", "outputs_grad")


def build(layer):
    """Create the scale and amax-history variables (Keras's names, all float32)."""
    float8_max("float8_e4m3fn")  # fails early, with the install hint, without ml_dtypes
    length = getattr(layer._quantized_policy, "amax_history_length", 1024)
    for name in NAMES:
        scale = layer.add_weight(name=f"{name}_scale", shape=(), initializer="ones", dtype="float32")
        hist = layer.add_weight(name=f"{name}_amax_history", shape=(length,), initializer="zeros",
                                dtype="float32")
        scale.overwrite_with_gradient = hist.overwrite_with_gradient = True
        setattr(layer, f"{name}_scale", scale)
        setattr(layer, f"{name}_amax_history", hist)


def _next_scale(scale, hist, dtype_name):
    return quantizers.compute_float8_scale(np.max(hist), scale, np.float32(float8_max(dtype_name))).numpy()


def qdq_forward(x, scale, hist, compute_dtype):
    """x quantized to float8 e4m3 with `scale` and back; the gradient passes x's through and
    gives the scale and history their next values."""
    xv, s, h = data_of(x), data_of(scale), data_of(hist)
    out = quantizers.quantize_and_dequantize(xv, s, "float8_e4m3fn", compute_dtype).numpy()

    def backward(g, need):
        return (g if need[0] else None,
                _next_scale(s, h, "float8_e4m3fn") if need[1] else None,
                quantizers.compute_float8_amax_history(xv, h).numpy() if need[2] else None)

    return record(out, (x, scale, hist), backward)


def qdq_backward(y, scale, hist, compute_dtype):
    """y unchanged; its gradient goes through float8 e5m2 with `scale` (delayed scaling)."""
    s, h = data_of(scale), data_of(hist)

    def backward(g, need):
        return (quantizers.quantize_and_dequantize(g, s, "float8_e5m2", compute_dtype).numpy() if need[0] else None,
                _next_scale(s, h, "float8_e5m2") if need[1] else None,
                quantizers.compute_float8_amax_history(g, h).numpy() if need[2] else None)

    return record(np.array(data_of(y)), (y, scale, hist), backward)


def product(layer, inputs, contract):
    """contract(qdq(inputs), qdq(kernel)) with the output-gradient qdq, plus the bias
    (rounded through bfloat16 when computing in float32, as Keras does for its fusion)."""
    dtype = layer.dtype
    x = qdq_forward(inputs, layer.inputs_scale, layer.inputs_amax_history, dtype)
    w = qdq_forward(layer.kernel, layer.kernel_scale, layer.kernel_amax_history, dtype)
    y = qdq_backward(contract(x, w), layer.outputs_grad_scale, layer.outputs_grad_amax_history, dtype)
    if layer.bias is None:
        return y
    bias = layer.bias if dtype != "float32" else _through_bfloat16(layer.bias)
    return ops.add(y, bias)


def _through_bfloat16(x):
    """float32 -> bfloat16 -> float32 (rounding), the gradient rounded the same way back."""
    import ml_dtypes  # noqa: PLC0415  (optional: float8 mode only)

    bf16 = np.dtype(ml_dtypes.bfloat16)
    v = data_of(x)
    return record(v.astype(bf16).astype(v.dtype), (x,),
                  lambda g, need: (g.astype(bf16).astype(g.dtype) if need[0] else None,))
