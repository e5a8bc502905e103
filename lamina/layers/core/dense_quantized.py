"""Dense with a quantized kernel (Keras 3's int8 and int4 modes, same variables and numerics).

int8: kernel (in, units) int8 = round(w * s), s = 127 / max_i |w[i, j]| per output unit
(`kernel_scale`, (units,)). The inputs are quantized per row the same way by the config's
activation quantizer (default AbsMaxQuantizer: x_q, x_s with x_s (..., 1)), then
    y = (x_q @ kernel) / (kernel_scale * x_s)        (integer products summed exactly)
or, weight-only (activation_quantizer=None), y = (x @ kernel) / kernel_scale.
int4, per channel (block_size None or -1): the same with 7 / max|w| and values in [-8, 7].
int4, sub-channel (block_size b, Keras's default 128): each group of b input rows g has its
own `kernel_scale[g, j]` and `kernel_zero[g, j]`; w ~ (q - zero) * scale, and
    y = x @ ((q - kernel_zero[g_idx]) * kernel_scale[g_idx]),   g_idx[i] = i // b.
int4 values are stored two per byte along the units axis: `kernel` is (in, ceil(units / 2)).
Gradients: the inputs get those of the dequantized kernel (straight-through); the
quantized kernel is constant (not trainable); the bias trains as usual.
"""
from lamina import quantizers
from lamina.layers.base.quantizable import (add_int4_kernel, fill_int4_kernel, int_product,
                                            straight_through, values)
from lamina.quantizers.abs_max import dequantize_grouped


def build(layer, mode, config, input_dim):
    """Create the zero-filled quantized variables of `mode` (Keras's names and shapes)."""
    units = layer.units
    layer.inputs_quantizer = quantizers.QuantizationConfig.activation_quantizer_or_default(
        config, quantizers.AbsMaxQuantizer() if mode == "int8" else None)
    layer.kernel_zero = layer.g_idx = None
    if mode == "int8":
        layer.kernel = layer.add_weight(name="kernel", shape=(input_dim, units), initializer="zeros",
                                        dtype="int8", trainable=False)
        layer.kernel_scale = layer.add_weight(name="kernel_scale", shape=(units,), initializer="ones",
                                              trainable=False)
        return
    add_int4_kernel(layer, input_dim, units)


def fill(layer, mode, w):
    """Quantize the float kernel `w` (in, units) into the variables `build` made."""
    config = layer.quantization_config
    if mode == "int8":
        quantizer = quantizers.QuantizationConfig.weight_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer(axis=0))
        q, scale = quantizer(w)
        layer.kernel.assign(values(q))
        layer.kernel_scale.assign(values(scale).reshape(-1))
        return
    fill_int4_kernel(layer, w, quantizers.QuantizationConfig.weight_quantizer_or_default(
        config, quantizers.AbsMaxQuantizer(axis=0, value_range=(-8, 7), output_dtype="int8")))


def float_kernel(layer):
    """The dequantized (in, units) kernel the quantized one stands for."""
    scale = layer.kernel_scale.data
    if layer.quantization_mode == "int8":
        return layer.kernel.data.astype(scale.dtype) / scale
    q = values(quantizers.unpack_int4(layer.kernel.data, layer.units, axis=-1))
    block = layer._block_size()
    if block is None:
        return q.astype(scale.dtype) / scale
    return dequantize_grouped(q, scale, layer.kernel_zero.data, block)


def call(layer, inputs):
    """inputs @ (quantized kernel) + bias, before the activation."""
    x = values(inputs)
    scale = layer.kernel_scale.data
    dtype = scale.dtype
    mode, quantizer = layer.quantization_mode, layer.inputs_quantizer
    if mode == "int4" and layer._block_size() is not None:
        out = (x @ float_kernel(layer)).astype(dtype, copy=False)
    else:
        q = layer.kernel.data if mode == "int8" else values(
            quantizers.unpack_int4(layer.kernel.data, layer.units, axis=-1))
        if quantizer:
            xq, xs = quantizer(x, axis=-1)
            out = int_product("...i,ij->...j", values(xq), q).astype(dtype) / (scale * values(xs))
        else:
            out = (x @ q.astype(dtype)) / scale
    kernel = None

    def input_grad(g):
        nonlocal kernel
        kernel = float_kernel(layer) if kernel is None else kernel
        return g @ kernel.T.astype(g.dtype, copy=False)

    y = straight_through(inputs, out.astype(x.dtype if x.dtype.kind == "f" else dtype, copy=False), input_grad)
    return y + layer.bias if layer.bias is not None else y
