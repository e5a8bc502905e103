"""`keras.dtype_policies` / `keras.mixed_precision`: dtype policies name the dtype a layer
computes in and the dtype of its variables.

lamina implements the float policies ("float16", "float32", "float64"), where both dtypes
are the same; `set_dtype_policy` sets the global float type (lamina's floatx). The mixed
policies ("mixed_float16", "mixed_bfloat16": float16 compute with float32 variables and loss
scaling) raise NotImplementedError until lamina implements mixed precision; NumPy has no
bfloat16. Layers accept a policy wherever they accept a dtype.
"""

from lamina import registry
from lamina.engine import dtypes

_FLOATS = ("float16", "float32", "float64")


class DTypePolicy:
    def __init__(self, name=None):
        name = dtypes.floatx() if name is None else name
        if not isinstance(name, str):
            raise TypeError(f"DTypePolicy: name must be a string such as 'float32', got {name!r}")
        if name in ("mixed_float16", "mixed_bfloat16"):
            raise NotImplementedError(
                f"DTypePolicy({name!r}): mixed precision (float16 compute, float32 variables, loss scaling) is "
                "not implemented in lamina yet; use 'float32' (or 'float16' to compute and store in float16)"
            )
        if name == "bfloat16":
            raise ValueError(
                "DTypePolicy('bfloat16'): NumPy has no bfloat16; use 'float16' or 'float32'"
            )
        if name not in _FLOATS:
            raise ValueError(f"DTypePolicy: unknown policy {name!r}; lamina supports {_FLOATS}")
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return self._name

    @property
    def variable_dtype(self):
        return self._name

    @property
    def quantization_mode(self):
        return None

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


class FloatDTypePolicy(DTypePolicy):
    """Keras 3's older name of a float DTypePolicy."""


def get(identifier):
    """A DTypePolicy from a name, a serialized dict, or a policy (returned as is)."""
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, str):
        if "_from_" in identifier:  # a quantized policy, e.g. "int8_from_float32"
            return _quantized("QuantizedDTypePolicy").from_name(identifier)
        return DTypePolicy(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Cannot interpret dtype policy identifier: {identifier!r}")


def serialize(policy):
    if policy.quantization_mode is not None:
        return registry.serialize(policy, "dtype_policy")
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": policy.get_config(),
        "registered_name": None,
    }


def deserialize(config, custom_objects=None):
    if isinstance(config, dict) and config.get("class_name") in _QUANTIZED:
        return registry.deserialize(config, "dtype_policy", custom_objects)
    if not isinstance(config, dict) or config.get("class_name") not in (
        "DTypePolicy",
        "FloatDTypePolicy",
    ):
        raise ValueError(
            f"dtype_policies.deserialize: expected a serialized DTypePolicy, got {config!r}"
        )
    return DTypePolicy.from_config(config.get("config", {}))


def dtype_policy():
    """The global policy: the float type layers use by default."""
    return DTypePolicy(dtypes.floatx())


def set_dtype_policy(policy):
    """Set the global policy ("float16", "float32", "float64" or a DTypePolicy): lamina's floatx."""
    dtypes.set_floatx(get(policy).compute_dtype)


# keras.mixed_precision names
Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy


# The quantized policies (keras.dtype_policies.QuantizedDTypePolicy, ...) are defined in
# lamina.quantizers, which builds on this module; they are reached through the registry.
_QUANTIZED = ("QuantizedDTypePolicy", "QuantizedFloat8DTypePolicy", "Int4DTypePolicy",
              "GPTQDTypePolicy", "AWQDTypePolicy")


def _quantized(name):
    return registry.builtin("dtype_policy", name)


def __getattr__(name):
    if name in _QUANTIZED:
        return _quantized(name)
    raise AttributeError(f"module 'lamina.dtype_policies' has no attribute {name!r}")
