"""`LayerScale` (Keras's `keras.src.applications.convnext.LayerScale`): a learned per-channel
scale on a residual branch (Touvron et al., 2021), initialized small so that deep ConvNeXt
blocks start close to the identity."""
from lamina import initializers, ops
from lamina.layers.base.layer import Layer


class LayerScale(Layer):
    """x * gamma, gamma of shape (projection_dim,) starting at `init_values`; input
    (..., projection_dim)."""

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        if input_shape[-1] is not None and input_shape[-1] != self.projection_dim:
            raise ValueError(f"LayerScale {self.name!r}: the input's last dimension is {input_shape[-1]}, "
                             f"projection_dim is {self.projection_dim}; they must be equal")
        self.gamma = self.add_weight(shape=(self.projection_dim,), initializer=initializers.Constant(self.init_values),
                                     trainable=True, name="gamma")
        self.built = True

    def call(self, x):
        return ops.multiply(x, self.gamma)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values, "projection_dim": self.projection_dim}
