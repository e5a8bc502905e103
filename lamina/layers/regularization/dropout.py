"""`Dropout`: inverted dropout (scaled at training time, identity at inference)."""
from lamina import ops, random
from lamina.layers.base.layer import Layer


class Dropout(Layer):
    """Zero a fraction `rate` of the inputs during training and scale the rest by 1/(1-rate)."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"Dropout: rate must be a number in [0, 1], got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return ops.multiply(inputs, 0.0)
        return random.dropout(inputs, self.rate, noise_shape=self.noise_shape, seed=self.seed_generator)

    def predict_array(self, a):
        """Inference on a NumPy batch (`predict`'s replay): the identity."""
        return a

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}
