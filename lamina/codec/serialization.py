"""Keras 3's config format: `serialize_keras_object` / `deserialize_keras_object`.

An object is written as {"module", "class_name", "config", "registered_name"} (plus
"build_config" / "compile_config" for layers and models). Built-in classes use Keras's
public module names ("keras.layers", ...), so configs written by Keras and by lamina read
the same way. Reading never imports a module named in the config and never runs stored
code: built-ins come from lamina's own namespaces, anything else must be registered
(`@register_keras_serializable`) or passed in `custom_objects`; Lambda layers need
`safe_mode=False`.
"""
import inspect
import types

import numpy as np

from lamina import registry
from lamina.codec.errors import SavingError, UnknownObjectError, UnsafeContentError
from lamina.engine.tensor import Tensor
from lamina.symbolic.keras_tensor import KerasTensor

PLAIN_TYPES = (str, int, float, bool)


SafeModeScope = registry.SafeModeScope
in_safe_mode = registry.in_safe_mode
enable_unsafe_deserialization = registry.enable_unsafe_deserialization


# --- serializing -------------------------------------------------------------------------

def serialize_keras_object(obj):
    """A JSON-ready structure describing `obj` (Keras 3's layout)."""
    if obj is None or isinstance(obj, PLAIN_TYPES):
        return obj
    if isinstance(obj, (list, tuple)):
        out = [serialize_keras_object(x) for x in obj]
        return tuple(out) if isinstance(obj, tuple) else out
    if isinstance(obj, dict):
        return serialize_dict(obj)
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {"class_name": "__slice__", "config": {
            "start": serialize_keras_object(obj.start), "stop": serialize_keras_object(obj.stop),
            "step": serialize_keras_object(obj.step)}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, (np.ndarray, np.generic)):
        if isinstance(obj, np.ndarray) and obj.ndim > 0:
            return {"class_name": "__numpy__",
                    "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
        return obj.item()

    if isinstance(obj, KerasTensor):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(obj.shape), "dtype": obj.dtype, "keras_history": None}}
    if isinstance(obj, Tensor):
        return {"class_name": "__tensor__",
                "config": {"value": np.asarray(obj.data).tolist(), "dtype": obj.data.dtype.name}}
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        return _serialize_function(obj)
    if isinstance(obj, type):
        raise TypeError(f"cannot serialize the class {obj.__name__} itself; pass an instance")
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize object {obj!r} of type {type(obj).__name__}: to be serializable "
            "a class must implement get_config()"
        )
    config = registry.serialize(obj, encode=_encode_config)
    _add_build_and_compile_config(obj, config)
    return config


def serialize_dict(obj):
    return {str(k): serialize_keras_object(v) for k, v in obj.items()}


def _encode_config(inner):
    if not isinstance(inner, dict):
        raise TypeError(f"get_config() should return a dict, got {type(inner).__name__}")
    return serialize_dict(inner)


def _serialize_function(fn):
    return registry.serialize_function(fn, lambdas="warn")


def _add_build_and_compile_config(obj, config):
    if hasattr(obj, "get_build_config"):
        build = obj.get_build_config()
        if build is not None:
            config["build_config"] = serialize_dict(build)
    if hasattr(obj, "get_compile_config"):
        compiled = obj.get_compile_config()
        if compiled is not None:
            config["compile_config"] = serialize_dict(compiled)


# --- deserializing -----------------------------------------------------------------------

def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object described by `config` (the output of `serialize_keras_object`).

    custom_objects: {name: class or function} for classes that are not built in (also
    found when registered, or inside `custom_object_scope`). safe_mode: refuse Lambda
    layers (they hold code); an enclosing load's setting takes precedence.
    """
    ambient = registry.in_safe_mode()
    safe_mode = ambient if ambient is not None else safe_mode
    custom = {**(custom_objects or {}), **registry.scoped_custom_objects()}
    return _deserialize(config, custom, bool(safe_mode), depth=0)


_MAX_DEPTH = 200


def _deserialize(config, custom, safe_mode, depth):
    if depth > _MAX_DEPTH:
        raise SavingError(f"the config is nested more than {_MAX_DEPTH} levels deep")
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        obj = custom.get(config)
        return obj if obj is not None else config
    if isinstance(config, (list, tuple)):
        return [_deserialize(x, custom, safe_mode, depth + 1) for x in config]
    if not isinstance(config, dict):
        raise SavingError(f"cannot parse config entry {config!r} (expected a JSON value)")
    if "class_name" not in config or "config" not in config:
        return {k: _deserialize(v, custom, safe_mode, depth + 1) for k, v in config.items()}
    class_name = config["class_name"]
    inner = config["config"]
    if not isinstance(class_name, str):
        raise SavingError(f"'class_name' must be a string, got {class_name!r}")
    special = _SPECIAL.get(class_name)
    if special is not None:
        return special(inner if inner is not None else {}, custom, safe_mode, depth)
    module = config.get("module")
    registered = config.get("registered_name") or class_name
    if class_name == "function":
        return resolve_function(inner, registered, module, custom)
    cls = resolve_class(class_name, registered, module, custom)
    if isinstance(cls, (types.FunctionType, types.BuiltinFunctionType)):
        return cls
    if not hasattr(cls, "from_config"):
        raise UnknownObjectError(f"cannot rebuild {class_name!r}: its class has no from_config()")
    if inner is None:
        inner = {}
    if not isinstance(inner, dict):
        raise SavingError(f"the 'config' of {class_name!r} must be a JSON object, got {type(inner).__name__}")
    try:
        registry.check_code_allowed(cls, inner.get("name"), safe_mode)
    except registry.UnsafeObjectError as e:
        raise UnsafeContentError(str(e)) from None
    if registry.keras_name(cls) is not None:  # a lamina built-in: read Keras's config of it
        inner = adapt_builtin_config(cls, inner, custom, safe_mode, depth)
    with registry.CustomObjectScope(custom), SafeModeScope(safe_mode):
        instance = registry.from_config(cls, dict(inner), custom, safe_mode)
        build_config = config.get("build_config")
        if isinstance(build_config, dict) and build_config and hasattr(instance, "build_from_config") \
                and not getattr(instance, "built", True):
            instance.build_from_config(shapes_to_tuples(build_config))
        compile_config = config.get("compile_config")
        if isinstance(compile_config, dict) and compile_config and hasattr(instance, "compile_from_config"):
            instance.compile_from_config(compile_config)
    return instance


def resolve_class(class_name, registered_name, module, custom):
    """A class (or function) for a config: custom/registered first, then lamina's built-ins
    (`lamina.registry`, the one decoder; nothing is imported)."""
    try:
        return registry.resolve(class_name, None, module, registered_name, custom)
    except registry.UnknownObjectError as e:
        raise UnknownObjectError(str(e)) from None


def resolve_function(name, registered_name, module, custom):
    """A function named in a config: custom/registered, else a lamina built-in."""
    try:
        return registry.resolve(name, None, module, registered_name, custom, function=True)
    except registry.UnknownObjectError as e:
        raise UnknownObjectError(str(e)) from None


# --- special values ----------------------------------------------------------------------

def _numpy(inner, custom, safe_mode, depth):
    if not isinstance(inner, dict) or "value" not in inner:
        raise SavingError("a __numpy__ entry needs 'value' and 'dtype'")
    dtype = np.dtype(str(inner.get("dtype") or "float32"))
    if dtype.kind not in "biuf":
        raise UnsafeContentError(f"refusing a __numpy__ value of dtype {dtype} (only numbers)")
    return np.array(inner["value"], dtype=dtype)


def _tensor(inner, custom, safe_mode, depth):
    return Tensor(_numpy(inner, custom, safe_mode, depth))


def _keras_tensor(inner, custom, safe_mode, depth):
    if not isinstance(inner, dict) or not isinstance(inner.get("shape"), (list, tuple)):
        raise SavingError("a __keras_tensor__ entry needs a 'shape' list")
    t = KerasTensor(inner["shape"], dtype=inner.get("dtype"))
    t._pre_serialization_keras_history = inner.get("keras_history")
    return t


def _bytes(inner, custom, safe_mode, depth):
    return str(inner.get("value", "")).encode("utf-8")


def _slice(inner, custom, safe_mode, depth):
    return slice(*(_deserialize(inner.get(k), custom, safe_mode, depth + 1) for k in ("start", "stop", "step")))


def _lambda(inner, custom, safe_mode, depth):
    raise UnsafeContentError(
        "the file stores a Python lambda as bytecode: lamina never runs code from a file, even "
        "with safe_mode=False. Re-create the object in your code, or save it with a named "
        "function and pass that function in custom_objects={name: function}"
    )


def _refused(inner, custom, safe_mode, depth):
    raise UnsafeContentError("the file stores a TensorFlow TypeSpec, which lamina cannot load")


_SPECIAL = {
    "__numpy__": _numpy, "__tensor__": _tensor, "__keras_tensor__": _keras_tensor,
    "__bytes__": _bytes, "__slice__": _slice, "__ellipsis__": lambda *a: Ellipsis,
    "__lambda__": _lambda, "__typespec__": _refused,
}


# --- Keras configs for lamina's classes ----------------------------------------------------

_NESTED_MODULES = ("keras.initializers", "keras.regularizers", "keras.constraints")


def adapt_builtin_config(cls, config, custom, safe_mode, depth):
    """Keras's config of a built-in class, made acceptable to lamina's constructor:
    dtype policies become dtype names, nested initializers/regularizers/constraints and
    functions are rebuilt here (so custom ones resolve), and arguments lamina does not
    take are dropped when they hold their off value (None/False) or refused otherwise."""
    out = {}
    for key, value in config.items():
        if key == "dtype" and isinstance(value, dict):
            value = _dtype_name(value)
        elif _is_nested_object(value, custom):
            value = _deserialize(value, custom, safe_mode, depth + 1)
        out[key] = value
    accepted = _accepted_args(cls) if _generic_from_config(cls) else None
    if accepted is None:
        return out
    for key in [k for k in out if k not in accepted]:
        value = out.pop(key)
        if value in (None, False) or value == {} or value == [] or _inert(key, out):
            continue
        raise UnknownObjectError(
            f"{cls.__name__} layer {config.get('name')!r}: the file sets {key}={value!r}, an "
            f"argument lamina's {cls.__name__} does not support"
        )
    return out


# Keras arguments that do nothing in the configuration at hand (so lamina may drop them)
_INERT = {
    "renorm_momentum": lambda config: not config.get("renorm"),  # BatchNormalization
    "lora_alpha": lambda config: not config.get("lora_rank"),
}


def _inert(key, config):
    rule = _INERT.get(key)
    return rule is not None and rule(config)


def _dtype_name(value):
    if value.get("class_name") == "DTypePolicyMap":
        return value  # the layer reads the serialized map (lamina.dtype_policies.get)
    inner = value.get("config")
    if isinstance(inner, dict) and isinstance(inner.get("name"), str):
        return inner["name"]
    if isinstance(inner, dict) and "mode" in inner:  # a quantized policy: the layer rebuilds its weights
        return registry.deserialize(value, "dtype_policy")
    raise SavingError(f"cannot read the dtype policy {value!r}")


def _is_nested_object(value, custom):
    if not isinstance(value, dict) or "class_name" not in value or "config" not in value:
        return False
    module = value.get("module")
    if value.get("class_name") == "function" or module in _NESTED_MODULES:
        return True
    if isinstance(module, str) and (module == "keras" or module.startswith(("keras.", "lamina"))):
        return False
    return True  # a custom object: resolved here, where custom_objects are known


def _generic_from_config(cls):
    """True when `cls.from_config` is the generic `cls(**config)` one: the base class that
    declares `_kwargs_config_keys` (Layer) defines it, or no base declares any."""
    base = next((k for k in cls.__mro__ if "_kwargs_config_keys" in k.__dict__), None)
    if base is None:
        return True
    owner = next(k for k in cls.__mro__ if "from_config" in k.__dict__)
    return owner is base


def _accepted_args(cls):
    """Constructor argument names of a lamina class, following `**kwargs` up the class
    chain to the class declaring what its `**kwargs` take (`_kwargs_config_keys`, e.g.
    Layer); None when it takes anything."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        if klass is object:
            return None
        try:
            params = list(inspect.signature(init).parameters.values())
        except (TypeError, ValueError):
            return None
        names.update(p.name for p in params if p.name != "self"
                     and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))
        extra = klass.__dict__.get("_kwargs_config_keys")
        if extra is not None:
            return names | set(extra)
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return names
    return None


def shapes_to_tuples(value):
    """JSON shapes (lists) back to tuples: [None, 3] -> (None, 3); lists of shapes stay lists."""
    if isinstance(value, dict):
        return {k: shapes_to_tuples(v) for k, v in value.items()}
    if isinstance(value, list):
        if all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value):
            return tuple(value)
        return [shapes_to_tuples(v) for v in value]
    return value

