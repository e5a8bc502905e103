"""`AlphaDropout` (dropout that keeps SELU's self-normalizing mean and variance) and
`ActivityRegularization`, as Keras 3."""

from lamina import ops, random, regularizers
from lamina.layers.base.layer import Layer
from lamina.layers.regularization.dropout import Dropout

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(Dropout):
    """In training, dropped units are set to SELU's negative saturation -alpha * scale, then
    an affine map a x + b restores zero mean and unit variance (arguments as Dropout's)."""

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = tuple(inputs.shape)
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(shape, self.noise_shape))
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        kept = ops.greater_equal(random.uniform(shape, seed=self.seed_generator), self.rate)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        return ops.add(ops.multiply(ops.where(kept, inputs, alpha_p), a), b)


class ActivityRegularization(Layer):
    """Returns its input; adds l1 * sum(|x|) + l2 * sum(x^2) to the model's losses."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = l1, l2
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
