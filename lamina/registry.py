"""Name -> class tables for one kind of building block (initializers, regularizers, ...):
lookup with a closest-name hint, Keras-format (de)serialization, and `get`."""
import difflib
import inspect


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
    """`get`/`serialize`/`deserialize` for the classes in `table` (names -> classes).

    kind: "initializer", ...; keras_module: the module written in configs, as Keras does
    ("keras.initializers"); example: what to suggest when an identifier is not understood;
    name_defaults: constructor arguments implied by some names (e.g. "l1_l2" -> 0.01, 0.01);
    cutoff: how close a misspelling must be to suggest a name (lower for short names).
    """

    def __init__(self, kind, keras_module, table, example, name_defaults=None, cutoff=0.6):
        self.kind = kind
        self.keras_module = keras_module
        self.table = table
        self.example = example
        self.name_defaults = name_defaults or {}
        self.cutoff = cutoff

    def lookup(self, name, custom_objects=None):
        cls = (custom_objects or {}).get(name) or self.table.get(name)
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
        if not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot serialize {self.kind} {obj!r}: it has no get_config(); subclass the "
                f"{self.kind} base class"
            )
        name = type(obj).__name__
        builtin = self.table.get(name) is type(obj)
        return {
            "module": self.keras_module if builtin else type(obj).__module__,
            "class_name": name,
            "config": obj.get_config(),
            "registered_name": None if builtin else name,
        }

    def deserialize(self, config, custom_objects=None):
        """An instance from a name or a dict made by `serialize`."""
        if isinstance(config, str):
            return self.lookup(config, custom_objects)(**self.name_defaults.get(config, {}))
        if isinstance(config, dict):
            if "class_name" not in config:
                raise ValueError(f"{self.kind} config {config!r} has no 'class_name' key")
            reg = config.get("registered_name")
            name = reg if reg and reg in (custom_objects or {}) else config["class_name"]
            return self.lookup(name, custom_objects).from_config(dict(config.get("config") or {}))
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
