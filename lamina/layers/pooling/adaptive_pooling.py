"""Adaptive average/max pooling layers (1D, 2D, 3D): windows chosen so that the output has
`output_size` along each spatial axis (Keras's rule, see lamina.ops.adaptive_average_pool)."""

from lamina import ops
from lamina.layers.base.layer import Layer
from lamina.layers.convolutional import conv_utils as U


class BaseAdaptivePooling(Layer):
    rank = None
    mode = None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        sizes = (output_size,) * self.rank if isinstance(output_size, int) else tuple(output_size)
        if len(sizes) != self.rank or not all(isinstance(s, int) and s > 0 for s in sizes):
            raise ValueError(
                f"{type(self).__name__}: output_size must be a positive int or {self.rank} "
                f"positive ints, got {output_size!r}"
            )
        self.output_size = sizes
        self.data_format = U.standardize_data_format(data_format, type(self).__name__)
        self.built = True

    def call(self, inputs):
        op = ops.adaptive_average_pool if self.mode == "average" else ops.adaptive_max_pool
        return op(inputs, self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "data_format": self.data_format,
        }


def _make(name, rank, mode):
    doc = f"Adaptive {mode} pooling over {rank} spatial axes."
    return type(
        name,
        (BaseAdaptivePooling,),
        {"rank": rank, "mode": mode, "__doc__": doc, "__module__": __name__},
    )


AdaptiveAveragePooling1D = _make("AdaptiveAveragePooling1D", 1, "average")
AdaptiveAveragePooling2D = _make("AdaptiveAveragePooling2D", 2, "average")
AdaptiveAveragePooling3D = _make("AdaptiveAveragePooling3D", 3, "average")
AdaptiveMaxPooling1D = _make("AdaptiveMaxPooling1D", 1, "max")
AdaptiveMaxPooling2D = _make("AdaptiveMaxPooling2D", 2, "max")
AdaptiveMaxPooling3D = _make("AdaptiveMaxPooling3D", 3, "max")
