"""`EinsumDense`: a dense layer whose contraction is an einsum equation, as Keras 3.

The equation has the form "<input>,<kernel>-><output>" (e.g. "abc,cd->abd", or with a
leading ellipsis "...b,bc->...c"). The kernel's shape comes from the input's dimensions for
letters shared with the input and from `output_shape` for the others; `bias_axes` names the
output letters that get a bias (broadcast over the output letters before the first of them).
"""

import re

from lamina import activations, ops
from lamina.layers.base.layer import Layer
from lamina.layers.base.named_params import NamedParams
from lamina.layers.base.quantizable import KERNEL_LAYER_VARIABLES, Quantizable
from lamina.layers.core import einsum_quantized, float8


def analyze_equation(equation, bias_axes, input_shape, output_shape):
    """(kernel_shape, bias_shape or None, full output shape) for `equation`."""
    match = re.fullmatch(
        r"(\.\.\.)?([a-zA-Z]+),([a-zA-Z]+)->(\.\.\.)?([a-zA-Z]+)", equation.replace(" ", "")
    )
    if not match or bool(match.group(1)) != bool(match.group(4)):
        raise ValueError(
            f"EinsumDense: equation must look like 'ab,bc->ac' or '...b,bc->...c', got {equation!r}"
        )
    ellipsis, in_spec, w_spec, _, out_spec = match.groups()
    user = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    input_shape = tuple(input_shape)
    if ellipsis:
        elided = len(input_shape) - len(in_spec)
        if elided < 1:
            raise ValueError(
                f"EinsumDense: input of shape {input_shape} has too few axes for {equation!r}"
            )
        full = list(input_shape[:elided]) + user
    else:
        if len(in_spec) != len(input_shape):
            raise ValueError(
                f"EinsumDense: {equation!r} expects inputs of rank {len(in_spec)}, got shape {input_shape}"
            )
        full = [input_shape[0]] + user
    if len(full) - (len(full) - len(out_spec)) != len(out_spec) or len(full) < len(out_spec):
        raise ValueError(
            f"EinsumDense: output_shape {output_shape!r} does not fit the output spec {out_spec!r}"
        )
    in_dims = dict(zip(in_spec, input_shape[len(input_shape) - len(in_spec) :]))
    out_dims = dict(zip(out_spec, full[len(full) - len(out_spec) :]))
    for c, d in in_dims.items():
        if c in out_dims and out_dims[c] is not None and d is not None and out_dims[c] != d:
            raise ValueError(
                f"EinsumDense: axis {c!r} has size {d} in the input but {out_dims[c]} in output_shape"
            )
        if c in out_dims and out_dims[c] is None:
            out_dims[c] = d
    full = list(full[: len(full) - len(out_spec)]) + [out_dims[c] for c in out_spec]
    kernel = []
    for c in w_spec:
        if c in in_dims:
            kernel.append(in_dims[c])
        elif c in out_dims:
            kernel.append(out_dims[c])
        else:
            raise ValueError(
                f"EinsumDense: kernel axis {c!r} of {equation!r} is in neither the input nor the output"
            )
    bias = None
    if bias_axes:
        missing = [c for c in bias_axes if c not in out_spec]
        if missing:
            raise ValueError(
                f"EinsumDense: bias_axes {bias_axes!r} names {missing} not in the output spec {out_spec!r}"
            )
        first = min(out_spec.index(c) for c in bias_axes)
        bias = [out_dims[c] if c in bias_axes else 1 for c in out_spec[first:]]
    return tuple(kernel), None if bias is None else tuple(bias), tuple(full)


class EinsumDense(Quantizable, NamedParams, Layer):
    """`quantize("int8" | "int4")` stores the kernel as integers with output-aligned scales
    (lamina/layers/core/einsum_quantized.py)."""

    _quantized_weight = "kernel"
    variable_serialization_spec = KERNEL_LAYER_VARIABLES
    _quantize_modes = ("int8", "int4", "float8")

    def __init__(
        self,
        equation,
        output_shape,
        activation=None,
        bias_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        if kwargs.pop("gptq_unpacked_column_size", None) is not None:
            raise NotImplementedError("EinsumDense: gptq_unpacked_column_size (GPTQ quantization) is "
                                      "not supported by lamina")
        super().__init__(**kwargs)
        self._init_quantization(quantization_config)
        if lora_rank:
            raise NotImplementedError(
                "EinsumDense: lora_rank (LoRA adapters) is not supported by lamina yet"
            )
        self.equation = equation
        self.partial_output_shape = (
            (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        )
        self.activation = activations.get(activation)
        self.bias_axes = bias_axes
        self._init_params(
            kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint),
        )

    def build(self, input_shape):
        kernel, bias, self.full_output_shape = analyze_equation(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )
        if any(d is None for d in kernel):
            raise ValueError(
                f"EinsumDense layer {self.name!r}: the kernel shape {kernel} needs known "
                f"input dimensions, got input shape {tuple(input_shape)}"
            )
        self._input_ndim = len(input_shape)
        mode = self.quantization_mode
        if mode in (None, "float8"):
            self.kernel = self._add_param("kernel", kernel)
        if mode is not None:
            self._quantized_build(mode, self.quantization_config, kernel)
        self.bias = self._add_param("bias", bias) if bias is not None else None

    def _quantized_build(self, mode, config, kernel_shape=None):
        if mode == "float8":
            float8.build(self)
            return
        kernel_shape = self.kernel.shape if kernel_shape is None else kernel_shape
        einsum_quantized.build(self, mode, config, tuple(kernel_shape), self._input_ndim)

    def _quantize_value(self, mode, config, value):
        einsum_quantized.fill(self, mode, value)

    def call(self, inputs):
        if self.quantization_mode == "float8":
            x = float8.product(self, inputs, lambda a, w: ops.einsum(self.equation, a, w))
            return self.activation(x) if self.activation is not None else x
        if self.quantization_mode is not None:
            x = einsum_quantized.call(self, inputs)
        else:
            x = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return self.activation(x) if self.activation is not None else x

    def compute_output_shape(self, input_shape):
        return analyze_equation(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )[2]

    def get_config(self):
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            **self._params_config(),
        }


EinsumDense._quantize_base = EinsumDense
