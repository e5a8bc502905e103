"""`PReLU` (learned slope for negative inputs) and `ELU`, as Keras 3."""

from lamina import activations, ops
from lamina.layers.base.layer import Layer
from lamina.layers.base.named_params import NamedParams


class PReLU(NamedParams, Layer):
    """relu(x) - alpha * relu(-x), with one learned `alpha` per input element except along
    `shared_axes` (e.g. [1, 2] shares each channel's slope over an image's pixels)."""

    def __init__(
        self,
        alpha_initializer="Zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._init_params(alpha=(alpha_initializer, alpha_regularizer, alpha_constraint))
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        elif isinstance(shared_axes, int) and not isinstance(shared_axes, bool):
            self.shared_axes = [shared_axes]
        else:
            raise TypeError(
                f"PReLU: shared_axes must be None, an int or a list of ints, got {shared_axes!r}"
            )
        self.supports_masking = True

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis < len(input_shape):
                raise ValueError(
                    f"PReLU layer {self.name!r}: shared axis {axis} is out of range for "
                    f"inputs of shape {tuple(input_shape)} (use 1..{len(input_shape) - 1})"
                )
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(
                f"PReLU layer {self.name!r}: the non-shared axes of {tuple(input_shape)} must be known"
            )
        self.alpha = self._add_param("alpha", tuple(shape))

    def call(self, inputs):
        return ops.subtract(
            activations.relu(inputs),
            ops.multiply(self.alpha, activations.relu(ops.negative(inputs))),
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), **self._params_config(), "shared_axes": self.shared_axes}


class ELU(Layer):
    """x for x > 0, alpha (exp(x) - 1) otherwise."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)
        self.supports_masking = True

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
