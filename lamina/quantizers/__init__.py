"""`lamina.quantizers` (Keras 3's `keras.quantizers`): quantizers, quantization configs,
the int4/int8/float8 helper functions, and the quantized dtype policies (exported by
`lamina.dtype_policies`). Layers quantize with them in `Layer.quantize(mode)`.
"""
import inspect

from lamina import registry
from lamina.naming import to_snake_case
from lamina.quantizers.abs_max import (
    AbsMaxQuantizer,
    Quantizer,
    abs_max_quantize,
    abs_max_quantize_grouped_with_zero_point,
)
from lamina.quantizers.config import (
    QUANTIZATION_MODES,
    AWQConfig,
    Float8QuantizationConfig,
    GPTQConfig,
    Int4QuantizationConfig,
    Int8QuantizationConfig,
    QuantizationConfig,
    validate_and_resolve_config,
)
from lamina.quantizers.dtype_policies import (
    POLICIES,
    AWQDTypePolicy,
    GPTQDTypePolicy,
    Int4DTypePolicy,
    QuantizedDTypePolicy,
    QuantizedFloat8DTypePolicy,
    quantized_policy,
)
from lamina.quantizers.fake_quant import fake_quant_with_min_max_vars
from lamina.quantizers.float8 import (
    compute_float8_amax_history,
    compute_float8_scale,
    quantize_and_dequantize,
)
from lamina.quantizers.int4 import pack_int4, unpack_int4

__all__ = [
    "AWQConfig", "AbsMaxQuantizer", "Float8QuantizationConfig", "GPTQConfig", "Int4QuantizationConfig",
    "Int8QuantizationConfig", "QuantizationConfig", "Quantizer", "abs_max_quantize",
    "abs_max_quantize_grouped_with_zero_point", "compute_float8_amax_history", "compute_float8_scale",
    "deserialize", "fake_quant_with_min_max_vars", "get", "pack_int4", "quantize_and_dequantize",
    "serialize", "unpack_int4", "QUANTIZATION_MODES", "validate_and_resolve_config", "quantized_policy",
]

ALL_OBJECTS = (Quantizer, AbsMaxQuantizer, QuantizationConfig, Int8QuantizationConfig,
               Int4QuantizationConfig, Float8QuantizationConfig, GPTQConfig, AWQConfig)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
registry.register_builtins("quantizer", {cls.__name__: cls for cls in ALL_OBJECTS})
registry.register_builtins("dtype_policy", {cls.__name__: cls for cls in POLICIES})


def serialize(initializer):
    """Keras's dict of a quantizer or quantization config."""
    return registry.serialize(initializer, "quantizer")


def deserialize(config, custom_objects=None):
    """A quantizer or quantization config from `serialize`'s dict."""
    return registry.deserialize(config, "quantizer", custom_objects)


def get(identifier, **kwargs):
    """A quantizer from a dict, a class name ("AbsMaxQuantizer" or "abs_max_quantizer"; the
    class is built with `kwargs`), or a quantizer (returned as is)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj(**kwargs) if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret quantizer identifier: {identifier}")
