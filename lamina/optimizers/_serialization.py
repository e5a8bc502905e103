"""Naming and (de)serialization helpers shared by optimizers and schedules.

The serialized form is Keras 3's: `{"module", "class_name", "config", "registered_name"}`,
so that configs written by Keras (`.keras` files) and by lamina read the same way.
"""
import difflib
import importlib

from lamina import naming


def auto_name(prefix):
    """A session-unique snake_case name: "adagrad", then "adagrad_1", ... as Keras (shared
    with layers' names and reset by `clear_session`, through `lamina.naming`)."""
    return naming.uniquify(naming.to_snake_case(prefix))


def serialize_object(obj, module):
    """Keras's dict form of `obj` (anything with `get_config`, or a named function)."""
    cls = type(obj)
    if hasattr(obj, "get_config"):
        builtin = cls.__module__.startswith("lamina.")
        return {
            "module": module if builtin else cls.__module__,
            "class_name": cls.__name__,
            "config": obj.get_config(),
            "registered_name": None if builtin else cls.__name__,
        }
    name = getattr(obj, "__name__", None)
    if callable(obj) and name and name != "<lambda>":
        return {
            "module": getattr(obj, "__module__", None),
            "class_name": "function",
            "config": name,
            "registered_name": name,
        }
    raise ValueError(
        f"cannot serialize {obj!r}: it has no get_config() and is not a named function "
        "(lambdas cannot be saved); pass a LearningRateSchedule subclass with get_config()"
    )


def deserialize_object(config, builtins, custom_objects, kind):
    """Rebuild an object from Keras's dict form; `builtins` maps lowercase names to classes.

    Lookup order: `custom_objects` (by class or registered name), the built-ins
    (case-insensitive), then the named module if it can be imported.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"cannot deserialize {kind} from {config!r}: expected a dict with 'class_name' and "
            "'config' keys (the output of serialize())"
        )
    class_name = config["class_name"]
    inner = config.get("config", {})
    custom_objects = custom_objects or {}
    target = None
    for key in (config.get("registered_name"), class_name):
        if key and key in custom_objects:
            target = custom_objects[key]
            break
    if target is None and class_name == "function":
        target = _import_attr(config.get("module"), inner)
        if target is None:
            raise ValueError(f"cannot find the function {inner!r} to deserialize {kind}")
        return target
    if target is None:
        target = builtins.get(str(class_name).lower())
    if target is None:
        target = _import_attr(config.get("module"), class_name)
    if target is None:
        close = difflib.get_close_matches(str(class_name).lower(), list(builtins), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"unknown {kind} class {class_name!r}.{hint} Built-in names: "
            f"{', '.join(sorted(builtins))}. For a custom class pass custom_objects="
            f"{{{class_name!r}: YourClass}}."
        )
    if isinstance(target, type) and hasattr(target, "from_config"):
        return target.from_config(dict(inner))
    return target


def _import_attr(module, name):
    if not module or not isinstance(name, str) or module.startswith("keras"):
        return None
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
