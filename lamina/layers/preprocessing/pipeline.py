"""`Pipeline`: apply a list of (preprocessing) layers in order, as a plain layer (not a Model)."""

import inspect

from lamina.layers.base.call_api import CallContext
from lamina.layers.base.layer import Layer
from lamina.symbolic.keras_tensor import any_symbolic
from lamina.layers.rnn.wrapper import deserialize_layer, serialize_layer


class Pipeline(Layer):
    """layers[-1](...layers[1](layers[0](inputs))); `training` (default True: augmentation
    layers act) and `mask` are passed to the layers whose call accepts them."""

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._pipeline_layers = list(layers)
        for layer in self._pipeline_layers:
            if not isinstance(layer, Layer):
                raise ValueError(f"Pipeline: every element must be a layer, got {layer!r}")

    def __call__(self, *args, **kwargs):
        if (
            kwargs.get("training") is None
            and CallContext.training is None
            and not any_symbolic(args, kwargs)
        ):
            kwargs["training"] = True  # Keras 3: the default of `call`, when nothing sets it
        return super().__call__(*args, **kwargs)

    @property
    def layers(self):
        return list(self._pipeline_layers)

    def call(self, inputs, training=True, mask=None):
        outputs = inputs
        for layer in self._pipeline_layers:
            params = inspect.signature(layer.call).parameters
            kwargs = {}
            if "mask" in params and mask is not None:
                kwargs["mask"] = mask
            if "training" in params and training is not None:
                kwargs["training"] = training
            outputs = layer(outputs, **kwargs)
            mask = getattr(outputs, "_keras_mask", None)
        return outputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        return {
            "layers": [serialize_layer(layer) for layer in self._pipeline_layers],
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                f"Pipeline config needs 'layers': a list of serialized layers, got {layers!r}"
            )
        return cls(
            [deserialize_layer(layer, custom_objects) for layer in layers], name=config.get("name")
        )
