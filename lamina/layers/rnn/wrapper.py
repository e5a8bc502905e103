"""`Wrapper`: a layer holding another layer (TimeDistributed, Bidirectional), and the config
form of a nested layer: {"module", "class_name", "config", "registered_name"} as Keras."""
import difflib
import inspect

from lamina.layers.base.layer import Layer


def serialize_layer(layer):
    """Keras's serialized form of a nested layer (or cell)."""
    cls = type(layer)
    builtin = cls.__module__.startswith("lamina.")
    return {
        "module": "keras.layers" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": layer.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def deserialize_layer(config, custom_objects=None):
    """A layer from `serialize_layer`'s form; user classes come from `custom_objects`."""
    if isinstance(config, Layer):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(
            f"expected a serialized layer (a dict with 'class_name' and 'config'), got {config!r}"
        )
    from lamina import layers, models  # noqa: PLC0415  (the registry of built-in classes)

    name = config["class_name"]
    custom = dict(custom_objects or {})
    cls = custom.get(name) or custom.get(config.get("registered_name") or "")
    cls = cls or getattr(layers, name, None) or getattr(models, name, None)
    if cls is None:
        known = [n for n in dir(layers) if n[:1].isupper()]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"unknown layer class {name!r}: pass custom_objects={{{name!r}: {name}}} for a "
            f"custom layer{hint}"
        )
    inner = config.get("config", {})
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)


class Wrapper(Layer):
    """Base of layers that wrap one `layer` (config key "layer")."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"{type(self).__name__} needs a keras layer instance to wrap, got {layer!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._build_for(input_shape)

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        return cls(layer, **config)
