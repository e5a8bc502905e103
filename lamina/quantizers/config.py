"""Quantization configs (Keras 3's `keras.quantizers.*Config`): which quantizers a layer's
`quantize(mode, config=...)` uses, and `validate_and_resolve_config`, which turns a mode
and/or a config into one config (a mode alone gets that mode's default config).

GPTQConfig / AWQConfig describe the calibration-based algorithms; their configs round-trip
(the dataset and tokenizer are never saved), but lamina does not run the algorithms yet.
"""
from lamina import registry
from lamina.quantizers.abs_max import AbsMaxQuantizer

QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")


def _serialize(obj):
    return None if obj is None else registry.serialize(obj, "quantizer")


def _deserialize(config, custom_objects=None):
    return None if config is None else registry.deserialize(config, "quantizer", custom_objects)


class QuantizationConfig:
    """Base of the configs: a weight quantizer and an activation quantizer (either may be
    None). Subclasses define `mode`."""

    def __init__(self, weight_quantizer=None, activation_quantizer=None):
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self):
        raise NotImplementedError("Subclasses must implement this property. Do not instantiate "
                                  "QuantizationConfig directly.")

    def get_config(self):
        return {"weight_quantizer": _serialize(self.weight_quantizer),
                "activation_quantizer": _serialize(self.activation_quantizer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(weight_quantizer=_deserialize(config.get("weight_quantizer"), custom_objects),
                   activation_quantizer=_deserialize(config.get("activation_quantizer"), custom_objects))

    @staticmethod
    def weight_quantizer_or_default(config, default):
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config, default):
        return config.activation_quantizer if config is not None else default


class Int8QuantizationConfig(QuantizationConfig):
    """int8 weights (per output channel); activations quantized per row by
    `activation_quantizer` ("default": AbsMaxQuantizer(); None: weight-only)."""

    def __init__(self, weight_quantizer=None, activation_quantizer="default"):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if weight_quantizer is not None and weight_quantizer.output_dtype != "int8":
            raise ValueError("Int8QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                             f"Received: output_dtype={weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """int4 weights, two per byte. block_size: rows per group for sub-channel (asymmetric,
    with zero points) quantization, or None / -1 for one symmetric scale per output
    channel. Activations are not quantized by default ("default" means None here)."""

    def __init__(self, weight_quantizer=None, activation_quantizer="default", block_size=128):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and block_size != -1 and block_size <= 0:
            raise ValueError("block_size must be None, -1, or a positive integer. Received: "
                             f"block_size={block_size}")
        self.block_size = block_size
        if block_size is not None and block_size > 0 and (weight_quantizer is not None
                                                          or activation_quantizer is not None):
            raise ValueError(
                "Int4 sub-channel quantization (block_size > 0) does not support custom quantizers. "
                "Either set block_size to None or -1 for per-channel quantization, or remove the "
                f"custom quantizer arguments. Received: block_size={block_size}")
        if weight_quantizer is not None:
            if tuple(weight_quantizer.value_range) != (-8, 7):
                raise ValueError("Int4QuantizationConfig requires a weight_quantizer with "
                                 f"value_range=(-8, 7). Received: value_range={weight_quantizer.value_range}")
            if weight_quantizer.output_dtype != "int8":
                raise ValueError("Int4QuantizationConfig requires a weight_quantizer with "
                                 f"output_dtype='int8'. Received: output_dtype={weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int4"

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(weight_quantizer=_deserialize(config.get("weight_quantizer"), custom_objects),
                   activation_quantizer=_deserialize(config.get("activation_quantizer"), custom_objects),
                   block_size=config.get("block_size"))  # absent in files older than block_size: per-channel


class Float8QuantizationConfig(QuantizationConfig):
    """Float8 training (delayed scaling); takes no quantizers."""

    def __init__(self):
        super().__init__(None, None)

    @property
    def mode(self):
        return "float8"

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls()


def _check_positive(name, value):
    if not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer.")


def _check_group_size(group_size, meaning):
    if group_size < -1 or group_size == 0:
        raise ValueError(f"Invalid group_size. Supported values are -1 ({meaning}) or a positive integer, "
                         f"but got {group_size}.")


class GPTQConfig(QuantizationConfig):
    """GPTQ (Frantar et al., 2022): post-training weight quantization minimizing each
    layer's output error on calibration data (`dataset`, `tokenizer`), through the inverse
    Hessian of the layer inputs. weight_bits in {2, 3, 4, 8}; group_size -1 = per channel."""

    def __init__(self, dataset, tokenizer, *, weight_bits=4, num_samples=128, per_channel=True,
                 sequence_length=512, hessian_damping=0.01, group_size=128, symmetric=False,
                 activation_order=False, quantization_layer_structure=None):
        super().__init__()
        if weight_bits not in (2, 3, 4, 8):
            raise ValueError(f"Unsupported weight_bits {weight_bits}. Supported values are 2, 3, 4, and 8.")
        _check_positive("num_samples", num_samples)
        _check_positive("sequence_length", sequence_length)
        if not 0 <= hessian_damping <= 1:
            raise ValueError("hessian_damping must be between 0 and 1.")
        _check_group_size(group_size, "whole-tensor")
        self.dataset, self.tokenizer = dataset, tokenizer
        self.weight_bits, self.num_samples, self.per_channel = weight_bits, num_samples, per_channel
        self.sequence_length, self.hessian_damping = sequence_length, hessian_damping
        self.group_size, self.symmetric, self.activation_order = group_size, symmetric, activation_order
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self):
        return "gptq"

    def dtype_policy_string(self):
        return f"gptq/{self.weight_bits}/{self.group_size}"

    def get_config(self):
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "per_channel": self.per_channel,
                "sequence_length": self.sequence_length, "hessian_damping": self.hessian_damping,
                "group_size": self.group_size, "symmetric": self.symmetric,
                "activation_order": self.activation_order,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


class AWQConfig(QuantizationConfig):
    """AWQ (Lin et al., 2023): 4-bit weight quantization protecting the channels with large
    activations by a per-channel scale found by grid search on calibration data."""

    def __init__(self, dataset, tokenizer, *, weight_bits=4, num_samples=128, sequence_length=512,
                 group_size=128, num_grid_points=20, quantization_layer_structure=None):
        super().__init__()
        if weight_bits != 4:
            raise ValueError(f"AWQ only supports 4-bit quantization. Received weight_bits={weight_bits}.")
        _check_positive("num_samples", num_samples)
        _check_positive("sequence_length", sequence_length)
        _check_group_size(group_size, "per-channel")
        _check_positive("num_grid_points", num_grid_points)
        self.dataset, self.tokenizer = dataset, tokenizer
        self.weight_bits, self.num_samples, self.sequence_length = weight_bits, num_samples, sequence_length
        self.group_size, self.num_grid_points = group_size, num_grid_points
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self):
        return "awq"

    def dtype_policy_string(self):
        return f"awq/{self.weight_bits}/{self.group_size}"

    def get_config(self):
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "sequence_length": self.sequence_length,
                "group_size": self.group_size, "num_grid_points": self.num_grid_points,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


_DEFAULTS = {"int8": Int8QuantizationConfig, "int4": Int4QuantizationConfig,
             "float8": Float8QuantizationConfig}


def _check_mode(mode):
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}")


def validate_and_resolve_config(mode, config):
    """The config to quantize with, from a mode ("int8", ...) and/or a config (a mode string
    passed as `config` is read as the mode); contradictions are ValueErrors."""
    if isinstance(config, str):
        mode, config = config, None
    _check_mode(mode)
    if config is None:
        if mode in _DEFAULTS:
            return _DEFAULTS[mode]()
        if mode in ("gptq", "awq"):
            name = "GPTQConfig" if mode == "gptq" else "AWQConfig"
            raise ValueError(f"For {mode.upper()}, you must pass a `{name}` object in the `config` argument.")
        raise ValueError("You must provide either `mode` or `config` to `quantize`.")
    if not isinstance(config, QuantizationConfig):
        raise ValueError("Argument `config` must be an instance of `QuantizationConfig`. "
                         f"Received: config={config} (of type {type(config)})")
    if mode is not None and config.mode != mode:
        raise ValueError(f"Contradictory arguments: mode='{mode}' but config.mode='{config.mode}'")
    _check_mode(config.mode)
    return config
