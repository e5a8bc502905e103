"""`GroupNormalization`: normalize each sample over groups of channels, as Keras 3.

The channels of `axis` are split into `groups` groups; mean and (biased) variance are taken
per sample and group over the group's channels and every other non-batch axis. groups=1
is layer normalization over all features, groups=channels instance normalization.
"""

from lamina import ops
from lamina.layers.base.layer import InputSpec, Layer
from lamina.layers.base.named_params import NamedParams


class GroupNormalization(NamedParams, Layer):
    """y = gamma (x - mean_g) / sqrt(var_g + epsilon) + beta; gamma, beta: (channels,)."""

    def __init__(
        self,
        groups=32,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if (
            isinstance(groups, bool)
            or not isinstance(groups, int)
            or (groups <= 0 and groups != -1)
        ):
            raise ValueError(
                f"GroupNormalization: groups must be a positive integer (or -1), got {groups!r}"
            )
        self.groups, self.axis, self.epsilon = groups, int(axis), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self._init_params(beta=(beta_initializer, beta_regularizer, beta_constraint),
                          gamma=(gamma_initializer, gamma_regularizer, gamma_constraint))
        self.supports_masking = True

    def build(self, input_shape):
        nd = len(input_shape)
        if not -nd <= self.axis < nd or self.axis % nd == 0:
            raise ValueError(
                f"GroupNormalization layer {self.name!r}: axis {self.axis} is not a feature axis "
                f"of inputs of shape {tuple(input_shape)}"
            )
        ax = self.axis % nd
        dim = input_shape[ax]
        if dim is None:
            raise ValueError(
                f"GroupNormalization layer {self.name!r}: axis {self.axis} of the input shape "
                f"{tuple(input_shape)} must be known"
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups or dim % self.groups:
            raise ValueError(
                f"GroupNormalization layer {self.name!r}: the {dim} channels cannot be split into "
                f"{self.groups} equal groups; use a number of groups that divides {dim}"
            )
        self.input_spec = InputSpec(ndim=nd, axes={ax: dim})
        self._ax, self._dim = ax, dim
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self._add_param("gamma", (dim,))
        if self.center:
            self.beta = self._add_param("beta", (dim,))

    def call(self, inputs):
        shape = tuple(inputs.shape)
        ax, g = self._ax, self.groups
        grouped_shape = shape[:ax] + (g, self._dim // g) + shape[ax + 1 :]
        x = ops.reshape(inputs, grouped_shape)
        axes = tuple(d for d in range(1, len(grouped_shape)) if d != ax)  # all but batch and group
        mean, var = ops.moments(x, axes=axes, keepdims=True)
        y = ops.reshape(
            ops.multiply(ops.subtract(x, mean), ops.rsqrt(ops.add(var, self.epsilon))), shape
        )
        bshape = tuple(self._dim if d == ax else 1 for d in range(len(shape)))
        if self.gamma is not None:
            y = ops.multiply(y, ops.reshape(self.gamma, bshape))
        if self.beta is not None:
            y = ops.add(y, ops.reshape(self.beta, bshape))
        return y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **self._params_config(),
        }
