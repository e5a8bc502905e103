"""`Model`: a Layer that can be trained (compile/fit/evaluate/predict) and summarized.

`Model(inputs, outputs)` builds a functional model; subclassing `Model` and defining
`call` gives a subclassed model; `Sequential` is a stack of layers.
"""
import json

import numpy as np

from lamina.layers.layer import Layer
from lamina.trainers.trainer import Trainer


class Model(Trainer, Layer):
    """Groups layers into an object with training and inference features."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            from lamina.models.functional import Functional  # noqa: PLC0415

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    def get_layer(self, name=None, index=None):
        """The layer with this `name` (or at this `index` of `model.layers`)."""
        if index is not None:
            layers = self.layers
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} is out of range for {len(layers)} layers")
            return layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = [layer.name for layer in self.layers]
        raise ValueError(f"no layer named {name!r} in model {self.name!r}; its layers are {names}")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print a table of the layers: name (type), output shape, parameter count, totals."""
        from lamina.models.summary import print_summary  # noqa: PLC0415

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable)

    def build(self, input_shape=None):
        if input_shape is None:
            raise ValueError(f"model {self.name!r}: build() needs an input shape")
        from lamina.layers.symbolic import KerasTensor, concrete_stand_in  # noqa: PLC0415

        # a subclassed model is built by running it once on zeros of that shape
        self.built = True
        self._build_shapes = tuple(input_shape)
        self(concrete_stand_in(KerasTensor(input_shape)), training=False)

    def to_json(self, **kwargs):
        from lamina.saving import serialization  # noqa: PLC0415

        return json.dumps(serialization.serialize_keras_object(self), **kwargs)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}

    @property
    def _output_activation(self):
        """The activation of the last layer (for loss/activation mismatch warnings)."""
        layers = [layer for layer in self.layers if layer.weights or hasattr(layer, "activation")]
        return getattr(layers[-1], "activation", None) if layers else None

    def _output_units(self):
        out = getattr(self, "outputs", None)
        if out and len(out) == 1 and out[0].shape:
            return out[0].shape[-1]
        return None

    def count_params(self):
        return int(sum(np.prod(v.shape) for v in self.weights))
