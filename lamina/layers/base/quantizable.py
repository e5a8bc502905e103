"""`Quantizable`: Keras 3's post-training `layer.quantize(mode, config=None)` for layers with
one large float weight (Dense's and EinsumDense's kernel, Embedding's embeddings).

Quantizing replaces the float weight by integer storage plus scales (the variables Keras
creates, under Keras's names, so `.keras` files interchange), records a quantized dtype
policy ("int8_from_float32", "int4/128_from_float32") that the layer's config carries, and
switches `call` to compute from the integers. A layer built from such a config (loading a
file) creates the quantized variables directly, in `build`.

A subclass defines `_quantized_weight` (the float weight's attribute), `_quantize_modes`,
`variable_serialization_spec` ({mode: variable names in Keras's file order}),
`_quantized_build(mode, config)` (zero-initialized quantized variables) and
`_quantize_value(mode, config, value)` (fill them from the float weight's NumPy value).
Dense and EinsumDense also take "float8" (float8 training, lamina/layers/core/float8.py).
GPTQ and AWQ (calibration-based) are not implemented in lamina.
"""
import math

import numpy as np

from lamina import dtype_policies, quantizers
from lamina.engine.tensor import data_of, record


# Dense's and EinsumDense's variables per quantization mode, in Keras's file order
KERNEL_LAYER_VARIABLES = {
    None: ["kernel", "bias"],
    "int8": ["kernel", "bias", "kernel_scale"],
    "int4": ["kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"],
    "float8": ["kernel", "bias", "inputs_scale", "inputs_amax_history", "kernel_scale",
               "kernel_amax_history", "outputs_grad_scale", "outputs_grad_amax_history"],
}


class Quantizable:
    """Mixin giving a layer Keras's `quantize` and its quantized-weights bookkeeping."""

    quantization_config = None
    _quantize_modes = ("int8", "int4")
    _quantize_base = None  # the class quantize() accepts without type_check=False (set by it)

    def _init_quantization(self, quantization_config):
        if isinstance(quantization_config, dict):
            quantization_config = quantizers.deserialize(quantization_config)
        if quantization_config is not None and not isinstance(quantization_config, quantizers.QuantizationConfig):
            raise ValueError(f"{type(self).__name__}: quantization_config must be a "
                             f"keras.quantizers.QuantizationConfig, got {quantization_config!r}")
        self.quantization_config = quantization_config
        mode = self.quantization_mode
        if mode is not None and mode not in self._quantize_modes:
            raise NotImplementedError(self._mode_message(mode))

    def _mode_message(self, mode):
        if mode in ("gptq", "awq"):
            return (f"{type(self).__name__}: {mode.upper()} quantization (calibrated on data) is not "
                    "implemented in lamina; use mode='int8' or 'int4'")
        if mode == "float8":
            return f"{type(self).__name__} does not support float8 quantization (as in Keras)"
        return (f"Invalid quantization mode. Expected one of {self._quantize_modes}. "
                f"Received: quantization_mode={mode}")

    def quantize(self, mode=None, type_check=True, config=None):
        """Replace the float weight by `mode` ("int8" or "int4") integers and scales."""
        if type_check and type(self) is not self._quantize_base:
            raise NotImplementedError(
                f"Layer {type(self).__name__} does not have a `quantize()` method implemented "
                "(only the built-in class itself is quantized; pass type_check=False to force it).")
        if not self.built:
            raise ValueError(f"Cannot quantize a layer that isn't yet built. Layer '{self.name}' (of type "
                             f"'{type(self).__name__}') is not built yet.")
        if self.quantization_mode is not None:
            raise ValueError(f"Layer '{self.name}' is already quantized with dtype_policy="
                             f"'{self._quantized_policy.name}'. Received: mode={mode}")
        config = quantizers.validate_and_resolve_config(mode, config)
        mode = config.mode
        if mode not in self._quantize_modes:
            raise NotImplementedError(self._mode_message(mode))
        self.quantization_config = config
        name = mode
        if mode == "int4":
            name = f"int4/{self._int4_block_size(config)}"
        if mode == "float8":  # the float kernel stays (and trains); scales are added
            self._quantized_policy = dtype_policies.get(f"float8_from_{self.dtype}")
            self._quantized_build(mode, config)
            return
        old = getattr(self, self._quantized_weight)
        value = np.array(old.data)
        self._own_variables[:] = [v for v in self._own_variables if v is not old]
        self._regularized[:] = [(v, r) for v, r in self._regularized if v is not old]
        self._quantized_policy = dtype_policies.get(f"{name}_from_{self.dtype}")
        self._quantized_build(mode, config)
        self._quantize_value(mode, config, value)

    @staticmethod
    def _int4_block_size(config):
        """-1 (per channel) or the sub-channel group size, from an Int4 config or policy."""
        size = getattr(config, "block_size", None)
        return -1 if size is None else size

    def _block_size(self):
        """The int4 block size of this layer (None: per channel)."""
        policy = self._quantized_policy
        size = getattr(policy, "block_size", None)
        if size is None:
            size = self._int4_block_size(self.quantization_config)
        return None if size in (None, -1) else size

    def quantized_variables(self):
        """The variables in Keras's file order for the quantization mode."""
        out = []
        for name in self.variable_serialization_spec[self.quantization_mode]:
            v = getattr(self, name, None)
            if v is not None:
                out.append(v)
        return out

    def get_config(self):
        config = super().get_config()
        if self.quantization_mode is not None:
            config["dtype"] = dtype_policies.serialize(self._quantized_policy)
            config["quantization_config"] = (None if self.quantization_config is None
                                             else quantizers.serialize(self.quantization_config))
        return config


def straight_through(inputs, out, input_grad):
    """`out` (a NumPy array computed from `inputs`) as a recorded op whose gradient with
    respect to `inputs` is `input_grad(g)`: the quantized weights get none (they are
    constants), the inputs get the gradient of the dequantized layer (as Keras)."""
    return record(out, (inputs,), lambda g, need: (input_grad(g) if need[0] else None,))


def int_product(subscripts, a, b):
    """einsum of integer-valued arrays, exactly (in float64: exact below 2^53), as float64."""
    return np.einsum(subscripts, np.asarray(a, np.float64), np.asarray(b, np.float64), optimize=True)


def values(x):
    return np.asarray(data_of(x))


def add_group_weights(layer, prefix, shape, rows, block):
    """Grouped int4's extra variables, as Keras: `<prefix>_zero` (int8, the scale's `shape`)
    and `g_idx`, the group of each of the `rows` rows. Returns the zero-point variable."""
    zero = layer.add_weight(name=f"{prefix}_zero", shape=shape, initializer="zeros", dtype="int8",
                            trainable=False)
    layer.g_idx = layer.add_weight(name="g_idx", shape=(rows,), initializer="zeros", dtype="float32",
                                   trainable=False)
    layer.g_idx.assign((np.arange(rows) // block).astype("float32"))
    return zero


def add_int4_kernel(layer, rows, cols):
    """A (rows, cols) kernel's int4 variables: `kernel` (two values a byte along cols),
    `kernel_scale` per column or per (group of rows, column), and with groups `kernel_zero`
    and `g_idx`."""
    layer.kernel = layer.add_weight(name="kernel", shape=(rows, (cols + 1) // 2), initializer="zeros",
                                    dtype="int8", trainable=False)
    block = layer._block_size()
    shape = (cols,) if block is None else (math.ceil(rows / block), cols)
    layer.kernel_scale = layer.add_weight(name="kernel_scale", shape=shape, initializer="ones",
                                          trainable=False)
    if block is not None:
        layer.kernel_zero = add_group_weights(layer, "kernel", shape, rows, block)


def fill_int4_kernel(layer, flat, quantizer):
    """Quantize the (rows, cols) float kernel `flat` into `add_int4_kernel`'s variables:
    `quantizer` per column, or grouped with zero points when the layer has a block size."""
    block = layer._block_size()
    if block is None:
        q, scale = quantizer(flat)
        layer.kernel_scale.assign(values(scale).reshape(-1))
    else:
        q, scale, zero = quantizers.abs_max_quantize_grouped_with_zero_point(flat, block_size=block)
        layer.kernel_scale.assign(values(scale))
        layer.kernel_zero.assign(values(zero))
    layer.kernel.assign(values(quantizers.pack_int4(values(q), axis=-1)[0]))
