"""EinsumDense with a quantized kernel (Keras 3's int8 and int4 modes, same variables).

The kernel axes whose letters are not in the output are contracted ("reduced"); int8
quantizes the kernel over them (one scale per output channel), and the inputs over their
own reduced axes (the activation quantizer). The scales are stored aligned with the output
(`layout` derives, like Keras, the transpose / expand / squeeze that takes a keepdims scale
to the output's axes), so that
    y = einsum(x_q, kernel) / (x_scale * kernel_scale)      (integer products summed exactly)
or, weight-only, y = einsum(x, kernel) / kernel_scale.
int4 flattens the kernel to (rows, columns) = (product of reduced dims, product of the
others) by a plain reshape, quantizes per column (symmetric, (columns,) scales) or in groups
of `block_size` rows (asymmetric, (n_groups, columns) scales and zero points), packs two
values per byte along the columns, and computes with the dequantized kernel.
The inputs get the gradient of the dequantized kernel; the quantized kernel is constant.
"""
import math
import re
import string

import numpy as np

from lamina import quantizers
from lamina.layers.base.quantizable import (add_int4_kernel, fill_int4_kernel, int_product,
                                            straight_through, values)
from lamina.quantizers.abs_max import dequantize_grouped


def _specs(equation, ndim):
    """(input, kernel, output) letters, an ellipsis spelled out for inputs of rank `ndim`."""
    eq = equation.replace(" ", "")
    m = re.fullmatch(r"(\.\.\.)?([a-zA-Z]+),([a-zA-Z]+)->(\.\.\.)?([a-zA-Z]+)", eq)
    if not m:
        raise ValueError(f"EinsumDense: cannot quantize the equation {equation!r}")
    dots, x, w, _, y = m.groups()
    if dots:
        free = sorted(set(string.ascii_letters) - set(x + w + y))
        extra = "".join(free[: ndim - len(x)])
        x, y = extra + x, extra + y
    return x, w, y


def _align(spec, out, reduced):
    """(transpose, expand, squeeze) taking a keepdims scale over `spec` to `out`'s axes:
    the kept letters in output order, each reduced (size-1) axis standing in for an output
    axis the tensor lacks, or squeezed away when there is none left."""
    transpose = [spec.index(c) for c in out if c in spec]
    expand = [i for i, c in enumerate(out) if c not in spec]
    squeeze, index = [], 0
    for axis in reduced:
        if expand:
            index = expand.pop(0)
        else:
            squeeze.append(axis)
        transpose.insert(index, axis)
    return transpose, expand, squeeze


def layout(equation, ndim):
    """The quantization layout of `equation` for inputs of rank `ndim` (a dict)."""
    x, w, y = _specs(equation, ndim)
    x_red = [i for i, c in enumerate(x) if c not in y]
    w_red = [i for i, c in enumerate(w) if c not in y]
    return {"input_reduced": x_red, "kernel_reduced": w_red, "input": _align(x, y, x_red),
            "kernel": _align(w, y, w_red), "grad_equation": f"{y},{w}->{x}"}


def to_output(scale, moves):
    """A keepdims scale moved to the output's axes (Keras's _adjust_scale_for_quant)."""
    transpose, expand, squeeze = moves
    if transpose:
        scale = np.transpose(scale, transpose)
    if expand:
        scale = np.expand_dims(scale, tuple(expand))
    if squeeze:
        scale = np.squeeze(scale, axis=tuple(squeeze))
    return scale


def to_kernel(scale, moves):
    """The inverse of `to_output` for the kernel's scale (aligned with the kernel axes)."""
    transpose, expand, squeeze = moves
    if squeeze:
        scale = np.expand_dims(scale, tuple(squeeze))
    if expand:
        scale = np.squeeze(scale, axis=tuple(expand))
    if transpose:
        scale = np.transpose(scale, np.argsort(transpose))
    return scale


def _flat_shape(kernel_shape, reduced):
    rows = math.prod(d for i, d in enumerate(kernel_shape) if i in reduced)
    return rows, math.prod(kernel_shape) // rows


def build(layer, mode, config, kernel_shape, ndim):
    """Create the zero-filled quantized variables of `mode` (Keras's names and shapes)."""
    lay = layer._quant_layout = layout(layer.equation, ndim)
    layer._kernel_shape = tuple(kernel_shape)
    layer.inputs_quantizer = quantizers.QuantizationConfig.activation_quantizer_or_default(
        config, quantizers.AbsMaxQuantizer() if mode == "int8" else None)
    layer.kernel_zero = layer.g_idx = None
    if mode == "int8":
        layer.kernel = layer.add_weight(name="kernel", shape=kernel_shape, initializer="zeros",
                                        dtype="int8", trainable=False)
        keep = np.array(kernel_shape)
        keep[lay["kernel_reduced"]] = 1
        shape = to_output(np.ones(tuple(keep)), lay["kernel"]).shape
        layer.kernel_scale = layer.add_weight(name="kernel_scale", shape=shape, initializer="ones",
                                              trainable=False)
        return
    add_int4_kernel(layer, *_flat_shape(kernel_shape, lay["kernel_reduced"]))


def fill(layer, mode, w):
    """Quantize the float kernel `w` into the variables `build` made."""
    lay = layer._quant_layout
    if mode == "int8":
        quantizer = quantizers.QuantizationConfig.weight_quantizer_or_default(
            layer.quantization_config, quantizers.AbsMaxQuantizer(axis=tuple(lay["kernel_reduced"])))
        q, scale = quantizer(w)
        layer.kernel.assign(values(q))
        layer.kernel_scale.assign(to_output(values(scale), lay["kernel"]))
        return
    flat = w.reshape(_flat_shape(w.shape, lay["kernel_reduced"]))
    fill_int4_kernel(layer, flat, lambda a: quantizers.abs_max_quantize(a, axis=0, value_range=(-8, 7)))


def float_kernel(layer):
    """The dequantized kernel (its original shape) the quantized one stands for."""
    scale = layer.kernel_scale.data
    if layer.quantization_mode == "int8":
        return layer.kernel.data.astype(scale.dtype) / to_kernel(scale, layer._quant_layout["kernel"])
    rows, cols = layer.kernel.shape[0], scale.shape[-1]
    q = values(quantizers.unpack_int4(layer.kernel.data, cols, axis=-1))
    block = layer._block_size()
    flat = q.astype(scale.dtype) / scale if block is None else dequantize_grouped(
        q, scale, layer.kernel_zero.data, block)
    return flat.reshape(layer._kernel_shape)


def call(layer, inputs):
    """einsum(inputs, quantized kernel), before the bias and the activation."""
    x = values(inputs)
    lay, eq = layer._quant_layout, layer.equation
    scale = layer.kernel_scale.data
    dtype = scale.dtype
    quantizer = layer.inputs_quantizer
    kernel = None
    if layer.quantization_mode == "int8":
        if quantizer:
            xq, xs = quantizer(x, axis=tuple(lay["input_reduced"]))
            xs = to_output(values(xs), lay["input"])
            out = int_product(eq, values(xq), layer.kernel.data).astype(dtype) / (xs * scale)
        else:
            out = np.einsum(eq, x, layer.kernel.data.astype(dtype)) / scale
    else:
        kernel = float_kernel(layer)
        if quantizer:
            xq, xs = quantizer(x, axis=tuple(lay["input_reduced"]))
            out = np.einsum(eq, values(xq).astype(dtype), kernel) / to_output(values(xs), lay["input"])
        else:
            out = np.einsum(eq, x, kernel)

    def input_grad(g):
        nonlocal kernel
        kernel = float_kernel(layer) if kernel is None else kernel
        return np.einsum(lay["grad_equation"], g, kernel.astype(g.dtype, copy=False))

    return straight_through(inputs, out.astype(x.dtype if x.dtype.kind == "f" else dtype, copy=False),
                            input_grad)
