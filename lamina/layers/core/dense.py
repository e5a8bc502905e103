"""`Dense`: activation(inputs @ kernel + bias) on the last axis."""
import numpy as np

from lamina import activations, ops, regularizers
from lamina.engine import threads
from lamina.engine.tensor import data_of
from lamina.layers.base.layer import InputSpec, Layer
from lamina.layers.base.named_params import NamedParams
from lamina.layers.base.quantizable import KERNEL_LAYER_VARIABLES, Quantizable
from lamina.layers.core import dense_quantized, float8
from lamina.kernels import linear as fused
from lamina.ops.nn import softmax_array


class Dense(Quantizable, NamedParams, Layer):
    """A fully connected layer: (..., input_dim) -> (..., units).

    kernel: (input_dim, units), glorot_uniform; bias: (units,), zeros. A scipy.sparse batch
    (e.g. multi-hot CSR rows) is multiplied sparsely. `quantize("int8" | "int4")` stores the
    kernel as integers (see lamina/layers/core/dense_quantized.py).
    """

    _quantized_weight = "kernel"
    variable_serialization_spec = KERNEL_LAYER_VARIABLES
    _quantize_modes = ("int8", "int4", "float8")

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._init_quantization(quantization_config)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        if lora_rank is not None:
            raise NotImplementedError("Dense(lora_rank=...) is not supported by lamina")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self._init_params(kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
                          bias=(bias_initializer, bias_regularizer, bias_constraint))
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True
        self._fuse_relu = self.activation is activations.relu

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Dense layer {self.name!r} needs a known last input dimension, got input shape "
                f"{tuple(input_shape)}"
            )
        mode = self.quantization_mode
        if mode in (None, "float8"):
            self.kernel = self._add_param("kernel", (input_dim, self.units))
        if mode is not None:
            self._quantized_build(mode, self.quantization_config, input_dim)
        self.bias = self._add_param("bias", (self.units,)) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def _quantized_build(self, mode, config, input_dim=None):
        if mode == "float8":
            float8.build(self)
            return
        input_dim = self.kernel.shape[0] if input_dim is None else input_dim
        dense_quantized.build(self, mode, config, input_dim)

    def _quantize_value(self, mode, config, value):
        dense_quantized.fill(self, mode, value)

    def call(self, inputs):
        if self.quantization_mode == "float8":
            return self.activation(float8.product(self, inputs, ops.matmul))
        if self.quantization_mode is not None:
            return self.activation(dense_quantized.call(self, inputs))
        if self._fuse_relu:
            return fused.linear(inputs, self.kernel, self.bias, relu=True)
        return self.activation(fused.linear(inputs, self.kernel, self.bias))

    def predict_array(self, a):
        """Inference on a NumPy batch of the kernel's dtype, with no Tensor or graph node:
        the products of `fused.linear` in the same order, so the same bits as `call`."""
        if self.quantization_mode is not None:
            return data_of(self.call(a))
        w = self.kernel.data
        a2 = a if a.ndim == 2 else a.reshape(-1, a.shape[-1])
        z = threads.matmul(a2, w)
        if self.bias is not None:
            z += self.bias.data
        if self._fuse_relu:
            np.maximum(z, 0, out=z)
        z = z if a.ndim == 2 else z.reshape(a.shape[:-1] + (self.units,))
        if self._fuse_relu:
            return z
        if self.activation is activations.softmax:  # the output layer: no Tensor needed
            return softmax_array(z)
        return data_of(self.activation(z))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def _expected_input_shape(self):
        return (None, self.kernel.shape[0]) if self.built else None

    def _input_hint(self, shape):
        if len(shape) > 2:
            n = 1
            for d in shape[1:]:
                n *= d
            if self.built and n == self.kernel.shape[0]:
                return (f"flatten or reshape the inputs, e.g. x.reshape(len(x), {n}) or a "
                        "layers.Flatten() before this layer")
            return "flatten or reshape the inputs (a layers.Flatten() or x.reshape(len(x), -1))"
        return "the model was built for a different number of features; check the data's columns"

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **self._params_config(),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
        }


Dense._quantize_base = Dense
