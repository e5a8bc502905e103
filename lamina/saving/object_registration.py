"""The registry of custom classes and functions that configs may name (`keras.saving`'s
names for it; the tables live in `lamina.registry`, the one decoder of Keras's object dict).

`@register_keras_serializable(package="my_pkg")` records a class (or function) under
"my_pkg>ClassName", the `registered_name` written into configs, so that loading finds it
without `custom_objects=`. `custom_object_scope({...})` does the same for a block of code.
Nothing is ever imported by name from a file: a class must be registered or passed.
"""
from lamina.registry import (  # noqa: F401
    GLOBAL_CUSTOM_NAMES,
    GLOBAL_CUSTOM_OBJECTS,
    CustomObjectScope,
    register_keras_serializable,
    scoped_custom_objects,
)
from lamina.registry import registered_name as get_registered_name  # noqa: F401

custom_object_scope = CustomObjectScope
register_serializable = register_keras_serializable


def get_custom_objects():
    """The live global registry dict (registered name -> object)."""
    return GLOBAL_CUSTOM_OBJECTS


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered (or passed in a scope / `custom_objects`) as `name`, or None."""
    if not isinstance(name, str):
        return None
    for table in (scoped_custom_objects(), GLOBAL_CUSTOM_OBJECTS, custom_objects or {},
                  module_objects or {}):
        if name in table:
            return table[name]
    return None
