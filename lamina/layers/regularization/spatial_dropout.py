"""`SpatialDropout1D/2D`: dropout of whole feature maps, as Keras 3.

Neighbouring steps/pixels of a feature map are strongly correlated, so dropping single
elements regularizes little; these layers zero entire channels (the same channel for every
step or pixel of a sample) and scale the rest by 1 / (1 - rate), during training only.
"""

from lamina import random
from lamina.layers.convolutional import conv_utils as U
from lamina.layers.base.layer import InputSpec, Layer


class BaseSpatialDropout(Layer):
    rank = None

    def __init__(self, rate, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(
                f"{type(self).__name__}: rate must be a number in [0, 1], got {rate!r}"
            )
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)
        self.data_format = U.standardize_data_format(data_format, type(self).__name__)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.supports_masking = True
        self.built = True

    def _noise_shape(self, shape):
        ones = (1,) * self.rank
        if self.data_format == "channels_last":
            return (shape[0], *ones, shape[-1])
        return (shape[0], shape[1], *ones)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            from lamina import ops

            return ops.multiply(inputs, 0.0)
        return random.dropout(
            inputs, self.rate, noise_shape=self._noise_shape(inputs.shape), seed=self.seed_generator
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class SpatialDropout1D(BaseSpatialDropout):
    """Drop whole channels of (batch, steps, channels) inputs."""

    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)


class SpatialDropout2D(BaseSpatialDropout):
    """Drop whole feature maps of (batch, height, width, channels) images."""

    rank = 2

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout3D(BaseSpatialDropout):
    """Drop whole feature maps of (batch, depth, height, width, channels) volumes."""

    rank = 3

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, data_format=data_format, **kwargs)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
