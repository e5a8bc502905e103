"""Naming and (de)serialization helpers shared by optimizers and schedules.

The serialized form is Keras 3's: `{"module", "class_name", "config", "registered_name"}`,
decoded by `lamina.registry` (the one decoder: built-ins and registered objects only).
"""
from lamina import naming, registry


def auto_name(prefix):
    """A session-unique snake_case name: "adagrad", then "adagrad_1", ... as Keras (shared
    with layers' names and reset by `clear_session`, through `lamina.naming`)."""
    return naming.uniquify(naming.to_snake_case(prefix))


def serialize_object(obj, kind):
    """Keras's dict form of `obj` (anything with `get_config`, or a named function)."""
    if hasattr(obj, "get_config"):
        return registry.serialize(obj, kind)
    if callable(obj):
        return registry.serialize_function(obj)
    raise ValueError(
        f"cannot serialize {obj!r}: it has no get_config() and is not a named function "
        "(lambdas cannot be saved); pass a LearningRateSchedule subclass with get_config()"
    )


def deserialize_object(config, custom_objects, kind, base):
    """An instance of `base` rebuilt from Keras's dict form by `lamina.registry`; anything
    else (a function, another kind's class) is refused with a ValueError."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"cannot deserialize {kind} from {str(config)[:200]}: expected a dict with "
            "'class_name' and 'config' keys (the output of serialize())"
        )
    obj = registry.deserialize(config, kind, custom_objects)
    if not isinstance(obj, base):
        raise ValueError(
            f"the {kind} config {str(config)[:200]} gives {type(obj).__name__}, not a "
            f"{base.__name__}; register your {base.__name__} subclass or pass it in custom_objects"
        )
    return obj
