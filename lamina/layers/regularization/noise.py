"""Regularization noise active only during training, as Keras 3: `GaussianNoise` (additive)
and `GaussianDropout` (multiplicative, mean 1). At inference both are the identity."""

import math

from lamina import ops, random
from lamina.layers.base.layer import Layer


def _check_float(value, name, layer, low=0.0, high=None):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or value < low
        or (high is not None and value >= high)
    ):
        rng = f"[{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"{layer}: {name} must be a number {rng}, got {value!r}")
    return float(value)


class GaussianNoise(Layer):
    """Training: inputs + N(0, stddev^2) noise drawn anew for every element and call."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = _check_float(stddev, "stddev", "GaussianNoise")
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = random.normal(
            inputs.shape, stddev=self.stddev, dtype=inputs.dtype, seed=self.seed_generator
        )
        return ops.add(inputs, noise)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Training: inputs * N(1, rate / (1 - rate)) noise, the Gaussian analogue of Dropout(rate)
    (same mean and variance of the multiplier)."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_float(rate, "rate", "GaussianDropout", 0.0, 1.0)
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = random.normal(
            inputs.shape, mean=1.0, stddev=stddev, dtype=inputs.dtype, seed=self.seed_generator
        )
        return ops.multiply(inputs, noise)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
