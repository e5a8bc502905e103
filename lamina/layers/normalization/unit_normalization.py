"""`UnitNormalization` (each sample scaled to unit L2 norm) and `RMSNormalization`, as Keras 3."""

from lamina import ops
from lamina.layers.base.layer import Layer


def _check_axes(layer, axis, rank):
    for a in axis if isinstance(axis, (list, tuple)) else [axis]:
        if not -rank <= a < rank:
            raise ValueError(
                f"{type(layer).__name__} layer {layer.name!r}: axis {a} is out of range "
                f"for inputs of rank {rank}"
            )


def _axis_arg(cls, axis):
    if isinstance(axis, (list, tuple)):
        return [int(a) for a in axis]
    if isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    raise TypeError(f"{cls}: axis must be an int or a list of ints, got {axis!r}")


class UnitNormalization(Layer):
    """x / max(||x||_2, 1e-12) over `axis`."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_arg("UnitNormalization", axis)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        _check_axes(self, self.axis, len(inputs.shape))
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        return ops.normalize(inputs, axis=axis, order=2, epsilon=1e-12)

    def compute_output_shape(self, input_shape):
        _check_axes(self, self.axis, len(input_shape))
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class RMSNormalization(Layer):
    """x / sqrt(mean(x^2 over axis) + epsilon) * scale, with a learned `scale` (ones)."""

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_arg("RMSNormalization", axis)
        self.epsilon = epsilon

    def build(self, input_shape):
        _check_axes(self, self.axis, len(input_shape))
        axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        self.scale = self.add_weight(
            name="scale", shape=tuple(input_shape[a] for a in axes), initializer="ones"
        )

    def call(self, x):
        axis = sorted(self.axis) if isinstance(self.axis, list) else self.axis
        return ops.rms_normalization(x, scale=self.scale, axis=axis, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        _check_axes(self, self.axis, len(input_shape))
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
