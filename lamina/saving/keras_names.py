"""Where lamina's built-in classes live under Keras's public names, and back.

A config names a built-in object by its Keras module ("keras.layers", "keras.optimizers",
...) and class name. Reading, the pair is looked up only in lamina's own namespaces below
(never imported from the file's text); writing, a lamina class exported there gets the
Keras module of that namespace, so Keras can read lamina's files.
"""
import importlib

from lamina.naming import to_snake_case  # noqa: F401  (state.py reads it from here)

# Keras public module -> lamina module holding the same names
NAMESPACES = {
    "keras.layers": "lamina.layers",
    "keras.optimizers": "lamina.optimizers",
    "keras.optimizers.schedules": "lamina.optimizers.schedules",
    "keras.losses": "lamina.losses",
    "keras.metrics": "lamina.metrics",
    "keras.initializers": "lamina.initializers",
    "keras.regularizers": "lamina.regularizers",
    "keras.constraints": "lamina.constraints",
    "keras.activations": "lamina.activations",
    "keras": "lamina",
    "keras.models": "lamina.models",
}
# Keras's functions a config may name (never the saving / file APIs)
FUNCTION_NAMESPACES = ("keras.activations", "keras.losses", "keras.metrics")
FUNCTIONAL_MODULE = "keras.src.models.functional"


def _module(name):
    return importlib.import_module(NAMESPACES[name])


def _base_classes():
    from lamina.initializers import Initializer  # noqa: PLC0415
    from lamina.layers import Layer  # noqa: PLC0415
    from lamina.losses import Loss  # noqa: PLC0415
    from lamina.metrics import Metric  # noqa: PLC0415
    from lamina.optimizers import Optimizer, schedules  # noqa: PLC0415

    bases = [Layer, Optimizer, Loss, Metric, Initializer, schedules.LearningRateSchedule]
    for mod, attr in (("lamina.regularizers", "Regularizer"), ("lamina.constraints", "Constraint")):
        cls = getattr(importlib.import_module(mod), attr, None)
        if cls is not None:
            bases.append(cls)
    return tuple(bases)


def _is_modeling_class(obj):
    return (isinstance(obj, type) and obj.__module__.startswith("lamina.")
            and hasattr(obj, "from_config") and issubclass(obj, _base_classes()))


def builtin_class(module, class_name):
    """The lamina class for Keras's `module.class_name`, or None.

    `module` may be a public name ("keras.layers"), Keras's internal one for Functional, or
    a `keras.src...` path (then every namespace is searched for the class name).
    """
    if not isinstance(class_name, str) or class_name.startswith("_") or not isinstance(module, str):
        return None
    if module == FUNCTIONAL_MODULE or (module in ("keras", "keras.models") and class_name == "Functional"):
        from lamina.models.functional import Functional  # noqa: PLC0415

        return Functional if class_name == "Functional" else None
    if module.startswith("lamina"):
        module = "keras" + module[len("lamina"):]
    candidates = [module] if module in NAMESPACES else list(NAMESPACES)
    if not (module == "keras" or module.startswith("keras.")):
        return None
    for ns in candidates:
        obj = getattr(_module(ns), class_name, None)
        if _is_modeling_class(obj):
            return obj
    return None


def builtin_function(module, name):
    """A lamina activation / loss / metric function named `name`, or None."""
    if not isinstance(name, str) or name.startswith("_"):
        return None
    spaces = [module] if module in FUNCTION_NAMESPACES else list(FUNCTION_NAMESPACES)
    if not (module is None or module == "builtins" or module == "keras" or str(module).startswith(("keras.", "lamina"))):
        return None
    for ns in spaces:
        obj = getattr(_module(ns), name, None)
        if callable(obj) and not isinstance(obj, type) and getattr(obj, "__module__", "").startswith("lamina."):
            return obj
    return None


def keras_module_of(obj):
    """Keras's public module for a lamina built-in class or function, or None."""
    from lamina.models.functional import Functional  # noqa: PLC0415

    if obj is Functional:
        return FUNCTIONAL_MODULE
    name = getattr(obj, "__name__", None)
    if not name or not getattr(obj, "__module__", "").startswith("lamina."):
        return None
    spaces = FUNCTION_NAMESPACES if not isinstance(obj, type) else [n for n in NAMESPACES if n != "keras.activations"]
    for ns in spaces:
        if getattr(_module(ns), name, None) is obj:
            return ns
    return None
