"""`Masking`: marks timesteps whose features all equal `mask_value` as skipped.

Output = inputs with the masked timesteps zeroed, carrying the mask (batch, timesteps)
(True = use the step) to downstream layers that support masking (RNNs skip those steps).
"""
from lamina import ops
from lamina.layers.base.layer import Layer


class Masking(Layer):
    """`Masking(mask_value=0.0)` on (batch, timesteps, features) inputs."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        outputs = ops.multiply(inputs, ops.cast(keep, inputs.dtype))
        outputs._keras_mask = ops.squeeze(keep, axis=-1)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
