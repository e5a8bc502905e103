"""`Wrapper`: a layer holding another layer (TimeDistributed, Bidirectional). A nested layer
(or cell) is written in Keras's {"module", "class_name", "config", "registered_name"} form and
read back by `lamina.registry`, the one decoder of that form."""
from lamina import registry
from lamina.layers.base.layer import Layer


def serialize_layer(layer):
    """Keras's serialized form of a nested layer (or cell)."""
    return registry.serialize(layer, "layer")


def deserialize_layer(config, custom_objects=None):
    """A layer from `serialize_layer`'s form; user classes come from `custom_objects` or the
    registry of user objects (nothing is imported)."""
    if isinstance(config, Layer):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(
            f"expected a serialized layer (a dict with 'class_name' and 'config'), got {str(config)[:200]}"
        )
    layer = registry.deserialize(config, "layer", custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(f"the nested layer config {str(config)[:200]} does not give a layer")
    return layer


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
