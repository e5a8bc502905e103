"""`CustomScaleLayer` (Keras's `keras.src.applications.inception_resnet_v2.CustomScaleLayer`):
the scaled residual sum `x + scale * residual` of Inception-ResNet blocks."""
from lamina import ops
from lamina.layers.base.layer import Layer


class CustomScaleLayer(Layer):
    """[x, residual] -> x + residual * scale (both of one shape)."""

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"CustomScaleLayer {self.name!r} takes a list [x, residual] of two tensors, "
                             f"got {type(inputs).__name__}")
        return ops.add(inputs[0], ops.multiply(inputs[1], self.scale))

    def compute_output_shape(self, input_shape):
        first, second = input_shape
        if tuple(first) != tuple(second):
            raise ValueError(f"CustomScaleLayer {self.name!r}: x and residual have different shapes {tuple(first)} "
                             f"and {tuple(second)}")
        return first

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
