"""`keras.dtype_policies`: a dtype policy names the dtype a layer computes in and the dtype of
its variables.

- Float policies ("float16", "float32", "float64", "bfloat16"; also any other dtype name, as
  "int32" for a preprocessing layer): both dtypes are the same.
- Mixed policies: "mixed_float16" computes in float16 and keeps float32 variables;
  "mixed_bfloat16" computes in bfloat16 (NumPy has none: the optional `ml_dtypes` package,
  the one JAX uses, provides it). A layer with a mixed policy casts its floating inputs and
  its variables to the compute dtype when called (`Layer.__call__`), so its outputs are in
  the compute dtype while the optimizer updates float32 variables.
- `DTypePolicyMap`: layer paths (or regular expressions matching whole paths) to policies.

The global policy (`set_dtype_policy` / `keras.mixed_precision.set_global_policy`) is what
layers created without `dtype=` use. Setting a float policy sets lamina's floatx as before;
setting a mixed policy leaves floatx (float32) alone, as Keras does.
"""
import re
from collections.abc import MutableMapping

from lamina import registry
from lamina.engine import dtypes

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_GLOBAL = [None]  # an explicit global policy (mixed), or None: the float policy of floatx


class DTypePolicy:
    """A named pair (compute dtype, variable dtype).

    name: "mixed_float16" (float16 compute, float32 variables), "mixed_bfloat16", or a dtype
    name ("float32": both the same). None: the global policy's name.
    """

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        if not isinstance(name, str):
            raise TypeError(
                f"DTypePolicy: name must be a string such as 'float32' or 'mixed_float16', got "
                f"{name!r} of type {type(name).__name__}"
            )
        self._name = name
        self._compute_dtype, self._variable_dtype = _parse_name(name)

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs ("float16" for mixed_float16)."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights ("float32" for the mixed policies)."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        return None

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        plain = (DTypePolicy, FloatDTypePolicy)
        return type(other) in plain and type(self) in plain and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


def _parse_name(name):
    if name in _MIXED:
        compute = _MIXED[name]
        if compute == "bfloat16":
            dtypes.standardize("bfloat16")  # a clear error when ml_dtypes is missing
        return compute, "float32"
    try:
        dtype = dtypes.standardize(name)
    except ValueError as e:
        raise ValueError(
            f"Cannot convert {name!r} to a mixed precision DTypePolicy: valid policies are "
            f"'mixed_float16', 'mixed_bfloat16' and the name of a dtype such as 'float32' ({e})"
        ) from None
    return dtype, dtype


class FloatDTypePolicy(DTypePolicy):
    """Keras 3's older name of a float DTypePolicy."""


class DTypePolicyMap(DTypePolicy, MutableMapping):
    """Layer paths to policies; a key may be a regular expression matching whole paths.

    `policy_map["encoder/dense"]` returns the policy stored under that exact key, else the one
    whose key matches the path with `re.fullmatch` (two matches are an error), else
    `default_policy` (the global policy when None). Its own dtypes are the default's.
    """

    def __init__(self, default_policy=None, policy_map=None):
        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("DTypePolicyMap: default_policy cannot be a DTypePolicyMap; pass a DTypePolicy "
                             "or a policy name such as 'float32'")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(f"DTypePolicyMap: policy_map must be a dict of path -> policy, got "
                            f"{type(policy_map).__name__}")
        self._default_policy_arg = default_policy
        self._default_policy = None if default_policy is None else get(default_policy)
        self._policy_map = {}
        for key, value in (policy_map or {}).items():
            self[key] = value

    @property
    def default_policy(self):
        return self._default_policy if self._default_policy is not None else dtype_policy()

    @property
    def name(self):
        return f"map_{self.default_policy.name}"

    @property
    def _name(self):
        return self.name

    @property
    def compute_dtype(self):
        return self.default_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self.default_policy.variable_dtype

    @property
    def quantization_mode(self):
        return self.default_policy.quantization_mode

    def __getitem__(self, key):
        if key in self._policy_map:
            return self._policy_map[key]
        matches = [pattern for pattern in self._policy_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"DTypePolicyMap: path {key!r} matches several keys {matches}; make each path match "
                "at most one key"
            )
        return self._policy_map[matches[0]] if matches else self.default_policy

    def __setitem__(self, key, policy):
        if key in self._policy_map:
            raise ValueError(f"DTypePolicyMap: key {key!r} is already set (to {self._policy_map[key]!r}); "
                             "delete it first")
        self._policy_map[key] = get(policy)

    def __delitem__(self, key):
        del self._policy_map[key]

    def __contains__(self, key):
        return key in self._policy_map

    def __iter__(self):
        return iter(self._policy_map)

    def __len__(self):
        return len(self._policy_map)

    def __eq__(self, other):
        return (isinstance(other, DTypePolicyMap) and other.default_policy == self.default_policy
                and other._policy_map == self._policy_map)

    __hash__ = None  # mutable

    def get_config(self):
        default = self._default_policy_arg
        return {
            "default_policy": serialize(default) if isinstance(default, DTypePolicy) else default,
            "policy_map": {key: serialize(p) for key, p in self._policy_map.items()},
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        policy_map = config.pop("policy_map", None)
        if isinstance(policy_map, dict) and policy_map.get("class_name") == "__dict__":
            policy_map = policy_map.get("config", {})  # Keras's serialized dict wrapper
        return cls(policy_map=policy_map, **config)

    def __repr__(self):
        return f"<DTypePolicyMap default={self.default_policy!r}, {len(self)} entries>"


_CLASSES = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy,
            "DTypePolicyMap": DTypePolicyMap}


def get(identifier):
    """A DTypePolicy from None (the global one), a name, a serialized dict, a dtype, or a policy
    (returned as is)."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, str):
        if "_from_" in identifier:  # a quantized policy, e.g. "int8_from_float32"
            return _quantized("QuantizedDTypePolicy").from_name(identifier)
        return DTypePolicy(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    try:
        return DTypePolicy(dtypes.standardize(identifier))
    except (TypeError, ValueError):
        raise ValueError(
            f"Cannot interpret dtype policy identifier {identifier!r}: pass a string such as "
            "'float32' or 'mixed_float16', a DTypePolicy, or its serialized dict"
        ) from None


def serialize(policy):
    """Keras's dict of a policy: {"module": "keras", "class_name", "config", "registered_name"}."""
    if policy.quantization_mode is not None and not isinstance(policy, DTypePolicyMap):
        return registry.serialize(policy, "dtype_policy")
    return {
        "module": "keras" if type(policy) is not DTypePolicyMap else "keras.dtype_policies",
        "class_name": type(policy).__name__,
        "config": policy.get_config(),
        "registered_name": None,
    }


def deserialize(config, custom_objects=None):
    if isinstance(config, dict) and config.get("class_name") in _QUANTIZED:
        return registry.deserialize(config, "dtype_policy", custom_objects)
    name = config.get("class_name") if isinstance(config, dict) else None
    cls = (custom_objects or {}).get(name) or _CLASSES.get(name)
    if cls is None:
        raise ValueError(
            f"dtype_policies.deserialize: expected a serialized DTypePolicy or DTypePolicyMap, got "
            f"{config!r}"
        )
    return cls.from_config(config.get("config", {}))


def dtype_policy():
    """The global policy: what layers created without `dtype=` use (floatx's float policy
    unless a mixed policy was set)."""
    return _GLOBAL[0] if _GLOBAL[0] is not None else DTypePolicy(dtypes.floatx())


def explicit_global_policy():
    """The global policy when it is not floatx's float policy (a mixed one), else None:
    layers created under it keep it; others follow floatx."""
    return _GLOBAL[0]


def set_dtype_policy(policy):
    """Set the global policy: a float one ("float16", "float32", "float64") sets floatx; a mixed
    one ("mixed_float16", "mixed_bfloat16") applies to the layers created afterwards."""
    policy = get(policy)
    if isinstance(policy, DTypePolicyMap):
        raise ValueError("set_dtype_policy: a DTypePolicyMap cannot be the global policy; pass a "
                         "DTypePolicy or a name such as 'mixed_float16'")
    same = policy.compute_dtype == policy.variable_dtype
    if same and policy.compute_dtype in ("float16", "float32", "float64"):
        dtypes.set_floatx(policy.compute_dtype)
        _GLOBAL[0] = None
    elif same:
        raise ValueError(f"set_dtype_policy: the global policy must be a float or mixed policy, got "
                         f"{policy.name!r}")
    else:
        _GLOBAL[0] = policy


# keras.mixed_precision names (Keras 2)
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
