"""`SpectralNormalization`: keep a wrapped layer's kernel at spectral norm 1 (Miyato et al.
2018), estimating the largest singular value by power iteration, as Keras 3.

As in Keras, each training call replaces the kernel by kernel / sigma (and updates the power
iteration vector u) before calling the layer; inference uses the stored kernel unchanged.
"""

import numpy as np

from lamina import initializers
from lamina.layers.rnn.wrapper import Wrapper


def _unit(v):
    return v / max(np.sqrt(np.sum(v * v)), 1e-12)


class SpectralNormalization(Wrapper):
    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if (
            isinstance(power_iterations, bool)
            or not isinstance(power_iterations, int)
            or power_iterations <= 0
        ):
            raise ValueError(
                f"SpectralNormalization: power_iterations must be a positive int, got {power_iterations!r}"
            )
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(
                f"SpectralNormalization: {type(self.layer).__name__} has neither a 'kernel' nor "
                "'embeddings' weight to normalize"
            )
        self.kernel = kernel
        self.vector_u = self.add_weight(
            shape=(1, kernel.shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
        )

    def normalized_weights(self):
        """(u, kernel / sigma) after power_iterations steps of power iteration."""
        w = self.kernel.numpy().reshape(-1, self.kernel.shape[-1])
        u = self.vector_u.numpy()
        for _ in range(self.power_iterations):
            v = _unit(u @ w.T)
            u = _unit(v @ w)
        sigma = float((v @ w @ u.T).item())
        return u, (self.kernel.numpy() / sigma)

    def call(self, inputs, training=False):
        if training and np.any(self.kernel.numpy() != 0):
            u, kernel = self.normalized_weights()
            self.vector_u.assign(u.astype(self.vector_u.dtype))
            self.kernel.assign(kernel.astype(self.kernel.dtype))
        return self.layer(inputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
