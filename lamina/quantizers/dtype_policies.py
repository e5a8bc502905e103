"""Quantized dtype policies (Keras 3's `keras.dtype_policies.QuantizedDTypePolicy`, ...).

A quantized policy names how a layer's weights are stored and the float policy it computes
in: "int8_from_float32" is mode "int8" from source policy "float32". The int4, GPTQ and AWQ
policies carry their parameters in the mode ("int4/128", "gptq/4/128", "awq/4/128"); the
float8 one its amax history length. Layers read them back from saved configs to rebuild
their quantized weights before loading them.
"""
from lamina import dtype_policies
from lamina.quantizers.config import QUANTIZATION_MODES


class QuantizedDTypePolicy(dtype_policies.DTypePolicy):
    """mode: one of QUANTIZATION_MODES; source_name: the float policy ("float32"; default:
    the global policy)."""

    def __init__(self, mode, source_name=None):
        source_name = dtype_policies.dtype_policy().name if source_name is None else source_name
        base = mode.split("/")[0] if isinstance(mode, str) else mode
        if base not in QUANTIZATION_MODES:
            raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
                             f"Received: mode={mode}")
        super().__init__(source_name)
        if base == "int8" and self.compute_dtype == "float16":
            raise ValueError(f"Quantization mode='{base}' doesn't work well with compute_dtype='float16'.")
        self._source_name = source_name
        self._quantization_mode = base
        self._full_mode = mode
        self._qname = f"{mode}_from_{source_name}"

    @property
    def name(self):
        return self._qname

    @property
    def source_name(self):
        return self._source_name

    @property
    def quantization_mode(self):
        return self._quantization_mode

    def get_config(self):
        return {"mode": self._full_mode, "source_name": self._source_name}

    @staticmethod
    def from_name(name):
        """The policy a name like "int8_from_float32" or "int4/128_from_float32" describes."""
        return quantized_policy(name)

    def __eq__(self, other):
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self):
        return hash(self._qname)

    def __repr__(self):
        return f'<{type(self).__name__} "{self._qname}">'


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """Float8 training policy; amax_history_length: the window of max|x| values kept."""

    default_amax_history_length = 1024

    def __init__(self, mode, source_name=None, amax_history_length=1024):
        super().__init__(mode, source_name)
        if not isinstance(amax_history_length, int) or isinstance(amax_history_length, bool):
            raise TypeError(f"`amax_history_length` must be an integer. Received: "
                            f"amax_history_length={amax_history_length}")
        self._amax_history_length = amax_history_length

    @property
    def amax_history_length(self):
        return self._amax_history_length

    def get_config(self):
        return {**super().get_config(), "amax_history_length": self._amax_history_length}


def _parse(mode, algorithm, count, fmt):
    parts = mode.split("/") if isinstance(mode, str) else []
    if len(parts) != count or parts[0] != algorithm:
        raise ValueError(f"Invalid mode for {algorithm.upper()}-style policy. Expected format {fmt}, "
                         f"but got '{mode}'.")
    try:
        return [int(p) for p in parts[1:]]
    except ValueError:
        raise ValueError(f"Invalid mode: the numbers of {fmt} must be integers, but got '{mode}'.") from None


def _check_group(value, what, mode):
    if value < -1 or value == 0:
        raise ValueError(f"Invalid {what} in mode. Supported values are -1 or a positive integer, but got "
                         f"{value} from '{mode}'.")


class Int4DTypePolicy(QuantizedDTypePolicy):
    """mode "int4/<block_size>": block_size -1 = per channel, else sub-channel groups."""

    def __init__(self, mode, source_name=None):
        (block_size,) = _parse(mode, "int4", 2, "'int4/<block_size>'")
        _check_group(block_size, "block_size", mode)
        super().__init__(mode, source_name)
        self.mode = "int4"
        self.block_size = block_size


class GPTQDTypePolicy(QuantizedDTypePolicy):
    """mode "gptq/<weight_bits>/<group_size>" (bits in 2, 3, 4, 8; group -1 = whole tensor)."""

    def __init__(self, mode, source_name=None):
        weight_bits, group_size = _parse(mode, "gptq", 3, "'gptq/<weight_bits>/<group_size>'")
        if weight_bits not in (2, 3, 4, 8):
            raise ValueError("Invalid weight_bits in mode. Supported values are 2, 3, 4, and 8, but got "
                             f"{weight_bits} from '{mode}'.")
        _check_group(group_size, "group_size", mode)
        super().__init__(mode, source_name)
        self.mode = "gptq"
        self.weight_bits, self.group_size = weight_bits, group_size


class AWQDTypePolicy(QuantizedDTypePolicy):
    """mode "awq/4/<group_size>" (AWQ is 4-bit only)."""

    def __init__(self, mode, source_name=None):
        weight_bits, group_size = _parse(mode, "awq", 3, "'awq/<weight_bits>/<group_size>'")
        if weight_bits != 4:
            raise ValueError(f"Invalid weight_bits in mode. AWQ only supports 4-bit quantization, but got "
                             f"{weight_bits} from '{mode}'.")
        _check_group(group_size, "group_size", mode)
        super().__init__(mode, source_name)
        self.mode = "awq"
        self.weight_bits, self.group_size = weight_bits, group_size


POLICIES = (QuantizedDTypePolicy, QuantizedFloat8DTypePolicy, Int4DTypePolicy, GPTQDTypePolicy,
            AWQDTypePolicy)


def quantized_policy(name):
    """The policy a name like "int8_from_float32" or "int4/128_from_float32" describes."""
    mode, sep, source = name.partition("_from_") if isinstance(name, str) else ("", "", "")
    if not sep or not mode.startswith(QUANTIZATION_MODES):
        raise ValueError("Cannot convert `policy` into a valid pair (`mode`, `source_name`) to instantiate "
                         f"`QuantizedDTypePolicy`. Received: policy={name}")
    if mode.startswith("int4") and "/" in mode:
        return Int4DTypePolicy(mode, source)
    cls = {"gptq": GPTQDTypePolicy, "awq": AWQDTypePolicy,
           "float8": QuantizedFloat8DTypePolicy}.get(mode.split("/")[0], QuantizedDTypePolicy)
    return cls(mode, source)
