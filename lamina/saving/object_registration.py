"""The registry of custom classes and functions that configs may name.

`@register_keras_serializable(package="my_pkg")` records a class (or function) under
"my_pkg>ClassName", the `registered_name` written into configs, so that loading finds it
without `custom_objects=`. `custom_object_scope({...})` does the same for a block of code.
Nothing is ever imported by name from a file: a class must be registered or passed.
"""
import inspect

GLOBAL_CUSTOM_OBJECTS = {}  # registered name -> object
GLOBAL_CUSTOM_NAMES = {}  # object -> registered name


class _Scope:
    stack: list = []  # noqa: RUF012  (dicts of custom objects of the enclosing scopes)


class CustomObjectScope:
    """`with custom_object_scope({"MyLayer": MyLayer}):` makes the names resolvable inside."""

    def __init__(self, custom_objects=None):
        if custom_objects is not None and not isinstance(custom_objects, dict):
            raise TypeError(
                f"custom_object_scope expects a dict of name -> class/function, got "
                f"{type(custom_objects).__name__}"
            )
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        _Scope.stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _Scope.stack.pop()


custom_object_scope = CustomObjectScope


def scoped_custom_objects():
    """The merged custom objects of the enclosing scopes (innermost wins)."""
    out = {}
    for d in _Scope.stack:
        out.update(d)
    return out


def get_custom_objects():
    """The live global registry dict (registered name -> object)."""
    return GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package="Custom", name=None):
    """Decorator: register a class (with `get_config`) or a function as "package>name"."""
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_keras_serializable: package must be a string without '>', got {package!r}")

    def decorator(arg):
        class_name = name if name is not None else getattr(arg, "__name__", None)
        if not class_name:
            raise ValueError(f"register_keras_serializable: cannot find a name for {arg!r}; pass name=")
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError(
                f"Cannot register class {arg.__name__}: it has no get_config() method, so it "
                "cannot be saved; define get_config() returning its constructor arguments"
            )
        key = f"{package}>{class_name}"
        previous = GLOBAL_CUSTOM_OBJECTS.get(key)
        if previous is not None and previous is not arg and _qualname(previous) != _qualname(arg):
            raise ValueError(
                f"the name {key!r} is already registered to {_qualname(previous)}; choose another "
                "package= or name="
            )
        GLOBAL_CUSTOM_OBJECTS[key] = arg
        GLOBAL_CUSTOM_NAMES[arg] = key
        return arg

    return decorator


register_serializable = register_keras_serializable


def _qualname(obj):
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def get_registered_name(obj):
    """The name `obj` is registered under, else its plain `__name__`."""
    if obj in GLOBAL_CUSTOM_NAMES:
        return GLOBAL_CUSTOM_NAMES[obj]
    return obj.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered (or passed in a scope / `custom_objects`) as `name`, or None."""
    if not isinstance(name, str):
        return None
    for table in (scoped_custom_objects(), GLOBAL_CUSTOM_OBJECTS, custom_objects or {},
                  module_objects or {}):
        if name in table:
            return table[name]
    return None
