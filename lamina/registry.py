"""The one place lamina's objects are named, and the one decoder of Keras's object dict.

Keras writes an object as `{"module", "class_name", "config", "registered_name"}`. Every
building block registers its classes and functions here under their Keras names (layers,
models, losses, metrics, optimizers, schedules, initializers, regularizers, constraints,
activations, and the `keras.ops` functions a functional model's op nodes may call), and
users register theirs with `register_keras_serializable`, `custom_objects=` or
`custom_object_scope`. Decoding looks a name up in those tables and nowhere else: a string
read from a file is never imported, never passed to `getattr` on a module, never evaluated.
The `module` of a dict only narrows which of lamina's tables is searched.

This module is a leaf: it imports nothing of lamina at import time. A table is filled when
its package is imported; `_fill` imports the (fixed, lamina-owned) package of a kind the
first time a file names that kind, so `import lamina` stays fast.
"""
import difflib
import importlib
import inspect
import warnings


class UnknownObjectError(ValueError):
    """A config names a class or function that lamina does not have or may not load."""


class UnsafeObjectError(ValueError):
    """A config asks for something safe mode refuses (an object holding code)."""


# --- built-in tables ----------------------------------------------------------------------

# kind -> the lamina package whose import registers that kind's built-ins (constants only)
_PROVIDERS = {
    "layer": "lamina.layers", "model": "lamina.models", "loss": "lamina.losses",
    "metric": "lamina.metrics", "optimizer": "lamina.optimizers",
    "schedule": "lamina.optimizers.schedules", "initializer": "lamina.initializers",
    "regularizer": "lamina.regularizers", "constraint": "lamina.constraints",
    "activation": "lamina.activations", "operation": "lamina.ops",
    "quantizer": "lamina.quantizers", "dtype_policy": "lamina.quantizers",
}
# Keras's public module of each kind (written into configs, read back as a hint)
KERAS_MODULES = {
    "layer": "keras.layers", "model": "keras", "loss": "keras.losses", "metric": "keras.metrics",
    "optimizer": "keras.optimizers", "schedule": "keras.optimizers.schedules",
    "initializer": "keras.initializers", "regularizer": "keras.regularizers",
    "constraint": "keras.constraints", "activation": "keras.activations",
    "operation": "keras.src.ops", "quantizer": "keras.quantizers",
    "dtype_policy": "keras.dtype_policies",
}
FUNCTIONAL_MODULE = "keras.src.models.functional"
_MODULE_KINDS = {
    **{m: (k,) for k, m in KERAS_MODULES.items()},
    "keras.layers": ("layer", "model"), "keras": ("model", "layer"),
    "keras.models": ("model", "layer"), FUNCTIONAL_MODULE: ("model",),
    "keras.optimizers.schedules": ("schedule",),
}
_FUNCTION_KINDS = ("activation", "loss", "metric")
_OBJECT_KINDS = tuple(k for k in _PROVIDERS if k != "operation")  # op nodes: lamina.symbolic.operation
_FOLDED = ("optimizer", "schedule")  # class names read case-insensitively (Keras: "adam")

_TABLES = {kind: {} for kind in _PROVIDERS}  # kind -> {name: object}
_NAMES = {}  # id(object) -> (keras module, name) for writing
_LAZY = {kind: {} for kind in _PROVIDERS}  # kind -> {name: zero-argument loader}


def register_builtins(kind, objects, keras_module=None, lazy=None, write_names=True):
    """Record lamina's own `objects` ({Keras name: class or function}) for `kind`.

    lazy: {name: loader} for classes imported on first use (the loader returns the class).
    The first name an object is registered under is the one written into configs (unless
    write_names=False: `keras.ops` functions, which configs name through their op class)."""
    table = _TABLES[kind]
    module = keras_module or KERAS_MODULES[kind]
    for name, obj in objects.items():
        key = name.lower() if kind in _FOLDED else name
        table.setdefault(key, obj)
        if write_names:
            _NAMES.setdefault(id(obj), (module, getattr(obj, "__name__", name)))
    _LAZY[kind].update(lazy or {})


def _fill(kind):
    if not _TABLES[kind] and not _LAZY[kind]:
        importlib.import_module(_PROVIDERS[kind])  # a fixed lamina package, never a file's text


def builtins(kind):
    """The {name: object} table of lamina's built-ins of `kind` (filled on first use)."""
    _fill(kind)
    return _TABLES[kind]


def builtin(kind, name):
    """Lamina's built-in `kind` called `name`, or None."""
    if not isinstance(name, str):
        return None
    _fill(kind)
    key = name.lower() if kind in _FOLDED else name
    obj = _TABLES[kind].get(key)
    if obj is None and key in _LAZY[kind]:
        obj = _TABLES[kind][key] = _LAZY[kind][key]()
    return obj


def keras_name(obj):
    """(Keras module, name) under which lamina's built-in `obj` is written, or None."""
    return _NAMES.get(id(obj))


# --- user objects -------------------------------------------------------------------------

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


def scoped_custom_objects():
    """The merged custom objects of the enclosing scopes (innermost wins)."""
    out = {}
    for d in _Scope.stack:
        out.update(d)
    return out


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


def _qualname(obj):
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def registered_name(obj):
    """The name `obj` is registered under, else its plain `__name__`."""
    return GLOBAL_CUSTOM_NAMES.get(obj) or obj.__name__


def custom_object(name, custom_objects=None):
    """A user object called `name`: in `custom_objects`, an enclosing scope, or registered
    (also by its plain name when it was registered as "package>name"); else None."""
    if not isinstance(name, str):
        return None
    for table in (custom_objects or {}, scoped_custom_objects(), GLOBAL_CUSTOM_OBJECTS):
        if name in table:
            return table[name]
    suffix = ">" + name
    for key, obj in GLOBAL_CUSTOM_OBJECTS.items():
        if key.endswith(suffix):
            return obj
    return None


# --- safe mode ----------------------------------------------------------------------------

class _Safe:
    mode = None  # None: not inside a load; else the ambient safe_mode


class SafeModeScope:
    """Propagates `safe_mode` to nested decoding (`from_config` calls included)."""

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self._saved = _Safe.mode
        _Safe.mode = self.safe_mode
        return self

    def __exit__(self, *exc):
        _Safe.mode = self._saved


def in_safe_mode():
    """The ambient safe mode (None outside any load)."""
    return _Safe.mode


def enable_unsafe_deserialization():
    """Allow objects holding code (Lambda) everywhere (`keras.config.enable_unsafe_deserialization`)."""
    _Safe.mode = False


# --- the decoder --------------------------------------------------------------------------

def _kinds_for(module, kind):
    if kind is not None:
        return (kind, "model") if kind == "layer" else (kind,)
    if isinstance(module, str) and module.startswith("lamina"):
        module = "keras" + module[len("lamina"):]
    if module in _MODULE_KINDS:
        return _MODULE_KINDS[module]
    if isinstance(module, str) and module.startswith("keras.src."):  # Keras's private paths
        parts = module.split(".")
        package = "optimizers.schedules" if parts[2:4] == ["optimizers", "schedules"] else parts[2]
        kinds = _MODULE_KINDS.get(f"keras.{package}")
        if kinds is not None:
            return kinds
    return _OBJECT_KINDS  # another keras.src path, a user module or none: every table


def resolve(class_name, kind=None, module=None, registered=None, custom_objects=None,
            function=False):
    """The class (or, with function=True, the function) a config names.

    Looked up in `custom_objects`, enclosing scopes, registered user objects, then lamina's
    built-ins of `kind` (or of the kinds `module` implies). Raises UnknownObjectError."""
    if not isinstance(class_name, str):
        raise UnknownObjectError(f"a class or function name must be a string, got {class_name!r}")
    for key in (registered, class_name):
        obj = custom_object(key, custom_objects)
        if obj is not None:
            return obj
    kinds = _kinds_for(module, kind)
    if function:  # only activations, losses and metrics have built-in functions
        kinds = tuple(k for k in kinds if k in _FUNCTION_KINDS)
    if not class_name.startswith("_"):
        for k in kinds:
            obj = builtin(k, class_name)
            if obj is not None and inspect.isclass(obj) != function:
                return obj
    if function and not kinds:
        raise UnknownObjectError(
            f"the config names the function {class_name!r} where a {kind} object is expected; "
            f"a file can only name {kind} classes lamina has or you registered")
    raise UnknownObjectError(_unknown_message(class_name, kinds, module, function))


def _unknown_message(name, kinds, module, function):
    what = "function" if function else (kinds[0] if len(kinds) == 1 else "class")
    known = sorted({n for k in kinds for n, o in _TABLES[k].items() if inspect.isclass(o) != function}
                   | {n for k in kinds for n in _LAZY[k]})
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    where = f" (module {module!r})" if module else ""
    if isinstance(module, str) and (module == "keras" or module.startswith("keras.")):
        where += ", a Keras object lamina does not implement (yet) or a custom one"
    return (f"unknown {what} {name!r}{where}.{hint} lamina never imports code named in a file: "
            f"pass custom_objects={{{name!r}: ...}} to the loading function, use "
            "custom_object_scope, or decorate it with @lamina.saving.register_keras_serializable()")


def check_code_allowed(cls, name=None, safe_mode=None):
    """Refuse a class whose instances hold Python code (`holds_code = True`, e.g. Lambda)
    unless safe mode is off (explicitly, or by an enclosing load)."""
    if not getattr(cls, "holds_code", False):
        return
    if safe_mode is None:
        safe_mode = _Safe.mode is not False  # unset: fail closed
    if safe_mode:
        raise UnsafeObjectError(
            f"refusing to load {cls.__name__} layer {name!r}: a {cls.__name__} holds Python "
            "code, and loading with safe_mode=True (the default) never runs code from a file. "
            "If you trust the file, load with safe_mode=False and pass the function in "
            "custom_objects={'<function name>': function}"
        )


def from_config(cls, config, custom_objects=None, safe_mode=None):
    """`cls.from_config(config)`, passing `custom_objects` / `safe_mode` where accepted."""
    try:
        params = inspect.signature(cls.from_config).parameters
    except (TypeError, ValueError):
        params = {}
    kwargs = {}
    if "custom_objects" in params:
        kwargs["custom_objects"] = custom_objects
    if "safe_mode" in params and safe_mode is not None:
        kwargs["safe_mode"] = safe_mode
    return cls.from_config(config, **kwargs)


def deserialize(config, kind=None, custom_objects=None, safe_mode=None):
    """The object a Keras dict (or a bare name) describes, rebuilt from lamina's tables.

    A name or `{"class_name": "function", "config": name}` gives a function (for activations,
    losses, metrics) or, for a class name, the class itself when `kind` holds classes; a class
    dict gives `cls.from_config(config["config"])`."""
    if isinstance(config, str):
        for function in (True, False):
            try:
                return resolve(config, kind, custom_objects=custom_objects, function=function)
            except UnknownObjectError:
                if not function:
                    raise
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise UnknownObjectError(
            f"cannot read {kind or 'an object'} from {str(config)[:200]}: expected a name or a "
            "dict with a string 'class_name' and a 'config'")
    module, registered = config.get("module"), config.get("registered_name")
    if config["class_name"] == "function":
        return resolve(config.get("config"), kind, module, registered, custom_objects, function=True)
    cls = resolve(config["class_name"], kind, module, registered, custom_objects)
    if not inspect.isclass(cls):  # a user function passed in custom_objects
        return cls
    inner = config.get("config")
    inner = {} if inner is None else inner
    if not isinstance(inner, dict):
        raise UnknownObjectError(
            f"the 'config' of {config['class_name']!r} must be a JSON object, got {type(inner).__name__}")
    if not hasattr(cls, "from_config"):
        raise UnknownObjectError(f"cannot rebuild {config['class_name']!r}: its class has no from_config()")
    check_code_allowed(cls, inner.get("name"), safe_mode)
    return from_config(cls, dict(inner), custom_objects, safe_mode)


def _module_name(module):
    return None if module == "__main__" else module


def serialize(obj, kind="object", encode=None):
    """Keras's dict of `obj` (anything with `get_config`; `encode` maps its config, e.g. to
    JSON values): built-ins under their Keras module, user classes under their module and
    registered name."""
    if not hasattr(obj, "get_config"):
        raise ValueError(
            f"Cannot serialize {kind} {obj!r}: it has no get_config(); subclass the {kind} "
            "base class and define get_config()"
        )
    cls = type(obj)
    inner = obj.get_config()
    inner = encode(inner) if encode is not None else inner
    known = keras_name(cls)
    if known is not None:
        registered = cls.__name__ if known[0] == FUNCTIONAL_MODULE else None
        return {"module": known[0], "class_name": cls.__name__, "config": inner,
                "registered_name": registered}
    return {"module": _module_name(cls.__module__), "class_name": cls.__name__, "config": inner,
            "registered_name": registered_name(cls)}


def serialize_function(fn, lambdas="raise"):
    """Keras's dict of a named function (built-in, registered or plain). A lambda cannot be
    read back (lamina stores no code): lambdas="raise" refuses it, "warn" writes its name."""
    name = getattr(fn, "__name__", None)
    known = keras_name(fn)
    if known is not None:
        return {"module": known[0], "class_name": "function", "config": name, "registered_name": name}
    if not name or name == "<lambda>":
        message = ("lamina does not store code, so a lambda saved in a file only loads if you "
                   "pass the function again (e.g. re-create the layer); use a named function "
                   "registered with @lamina.saving.register_keras_serializable()")
        if lambdas == "raise" or not name:
            raise ValueError(f"cannot serialize {fn!r}: {message}")
        warnings.warn(f"the object being saved holds a Python lambda: {message}", stacklevel=4)
    return {"module": _module_name(getattr(fn, "__module__", None)), "class_name": "function",
            "config": name, "registered_name": registered_name(fn)}


def lookup_name(name, table, kind, custom_objects=None):
    """`custom_objects[name]` or `table[name]`; else a ValueError naming the closest names
    (the losses' and metrics' lookup, which accept functions as well as classes)."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in table:
        return table[name]
    valid = sorted(set(table) | set(custom_objects or ()))
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"Unknown {kind} {name!r}.{hint} Valid names: {', '.join(valid)}")


class Registry:
    """`get`/`serialize`/`deserialize` for the classes of one kind (initializers, ...).

    kind: "initializer", ...; table: {Keras name: class}, registered here as built-ins;
    example: what to suggest when an identifier is not understood; name_defaults:
    constructor arguments implied by some names (e.g. "l1_l2" -> 0.01, 0.01); cutoff: how
    close a misspelling must be to suggest a name (lower for short names).
    """

    def __init__(self, kind, table, example, name_defaults=None, cutoff=0.6):
        self.kind = kind
        self.table = table
        self.example = example
        self.name_defaults = name_defaults or {}
        self.cutoff = cutoff
        register_builtins(kind, table)

    def lookup(self, name, custom_objects=None):
        cls = custom_object(name, custom_objects) or self.table.get(name)
        if cls is not None:
            return cls
        valid = sorted(self.table)
        close = difflib.get_close_matches(name, valid, n=1, cutoff=self.cutoff)
        if not close:  # "GlorotUniform" spelled "glorotuniform": compare without case/underscores
            folded = {v.lower().replace("_", ""): v for v in valid if v.islower()}
            close = [folded[c] for c in difflib.get_close_matches(
                name.lower().replace("_", ""), folded, n=1, cutoff=self.cutoff)]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"Unknown {self.kind} {name!r}{hint} Valid names: {', '.join(valid)}")

    def serialize(self, obj):
        """{"module", "class_name", "config", "registered_name"} as Keras writes it."""
        if obj is None or isinstance(obj, str):
            return obj
        return serialize(obj, self.kind)

    def deserialize(self, config, custom_objects=None):
        """An instance from a name or a dict made by `serialize`."""
        if isinstance(config, str):
            return self.lookup(config, custom_objects)(**self.name_defaults.get(config, {}))
        if isinstance(config, dict):
            return deserialize(config, self.kind, custom_objects)
        raise TypeError(
            f"{self.kind} deserialize expects a name or a config dict, got {type(config).__name__}"
        )

    def get(self, identifier):
        """An instance from a name, a config dict, a class, an instance or a callable."""
        if identifier is None:
            return None
        if isinstance(identifier, (str, dict)):
            return self.deserialize(identifier)
        if inspect.isclass(identifier):
            return identifier()
        if callable(identifier):
            return identifier
        raise ValueError(f"Could not interpret {self.kind} identifier {identifier!r}: pass {self.example}")
