"""`StochasticDepth` (Keras's `keras.src.applications.convnext.StochasticDepth`): drop a whole
residual branch per sample during training (Huang et al., 2016), as ConvNeXt uses it."""
from lamina import ops, random
from lamina.layers.base.layer import Layer


class StochasticDepth(Layer):
    """Training: each sample's input is zeroed with probability `drop_path_rate`, kept ones
    scaled by 1 / (1 - drop_path_rate); inference: the identity. Shape (batch, ...) kept."""

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(drop_path_rate, (int, float)) or not 0 <= drop_path_rate < 1:
            raise ValueError(f"StochasticDepth: drop_path_rate must be a number in [0, 1), got {drop_path_rate!r}")
        self.drop_path_rate = drop_path_rate
        self.seed_generator = random.SeedGenerator(None)
        self.built = True

    def call(self, x, training=None):
        if not training or not self.drop_path_rate:
            return x
        keep_prob = 1 - self.drop_path_rate
        shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
        keep = ops.floor(keep_prob + random.uniform(shape, 0, 1, seed=self.seed_generator))
        return x / keep_prob * ops.cast(keep, x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}
