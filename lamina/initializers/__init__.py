"""`keras.initializers`: weight initializers by class and by name.

`get("glorot_uniform")` -> a `GlorotUniform()` instance; `Variable("he_normal", shape=...)`
uses the same lookup. Calling an initializer `init(shape, dtype=None)` returns a lamina
Tensor (float32 unless `dtype` says otherwise).
"""
import difflib
import inspect
import re

from lamina.initializers.constant_initializers import Constant, Identity, Ones, Zeros
from lamina.initializers.initializer import Initializer  # noqa: F401
from lamina.initializers.random_initializers import (  # noqa: F401
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomInitializer,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    compute_fans,
)

# Keras exports every class under its snake_case name too (`keras.initializers.he_normal`).
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_uniform, he_normal = HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
OrthogonalInitializer = Orthogonal
IdentityInitializer = Identity

_CLASSES = (
    Constant, Identity, Ones, Zeros, GlorotNormal, GlorotUniform, HeNormal, HeUniform,
    LecunNormal, LecunUniform, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal,
    VarianceScaling,
)  # fmt: skip


def _snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({_snake(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update(
    uniform=RandomUniform, normal=RandomNormal, one=Ones, zero=Zeros,
    OrthogonalInitializer=Orthogonal, orthogonal_initializer=Orthogonal,
    IdentityInitializer=Identity,
)  # fmt: skip


def _lookup(name, custom_objects=None):
    cls = (custom_objects or {}).get(name) or ALL_OBJECTS_DICT.get(name)
    if cls is None:
        valid = sorted(ALL_OBJECTS_DICT)
        lowered = {v.lower(): v for v in valid if v.islower()}  # snake_case names win
        close = difflib.get_close_matches(name, valid, n=1) or [
            lowered[c] for c in difflib.get_close_matches(name.lower(), lowered, n=1)
        ]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"Unknown initializer {name!r}{hint} Valid names: {', '.join(valid)}")
    return cls


def serialize(initializer):
    """A Keras-style config dict {"module", "class_name", "config", "registered_name"}."""
    if initializer is None or isinstance(initializer, str):
        return initializer
    if not hasattr(initializer, "get_config"):
        raise ValueError(
            f"Cannot serialize initializer {initializer!r}: it has no get_config(); subclass "
            "lamina.initializers.Initializer"
        )
    name = type(initializer).__name__
    builtin = ALL_OBJECTS_DICT.get(name) is type(initializer)
    return {
        "module": "keras.initializers" if builtin else type(initializer).__module__,
        "class_name": name,
        "config": initializer.get_config(),
        "registered_name": None if builtin else name,
    }


def deserialize(config, custom_objects=None):
    """An initializer instance from a name or a dict made by `serialize`."""
    if isinstance(config, str):
        return _lookup(config, custom_objects)()
    if isinstance(config, dict):
        if "class_name" not in config:
            raise ValueError(f"initializer config {config!r} has no 'class_name' key")
        reg = config.get("registered_name")
        name = reg if reg and reg in (custom_objects or {}) else config["class_name"]
        cls = _lookup(name, custom_objects)
        return cls.from_config(dict(config.get("config") or {}))
    raise TypeError(
        f"initializers.deserialize expects a name or a config dict, got {type(config).__name__}"
    )


def get(identifier):
    """An initializer from a name, a config dict, a class, an instance or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret initializer identifier {identifier!r}: pass a name such as "
        "'glorot_uniform', a config dict, an Initializer or a callable(shape, dtype)"
    )

