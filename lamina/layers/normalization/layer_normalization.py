"""`LayerNormalization`: normalize each sample over its feature axes, as Keras 3.

y = gamma (x - mean) / sqrt(var + epsilon) + beta with mean and (biased) variance taken
per sample over `axis` (default the last axis); gamma/beta have the shape of those axes.
`rms_scaling=True`: y = gamma x / sqrt(var + epsilon) (Keras's formula; no beta).
"""

import numpy as np

from lamina import ops
from lamina.engine.tensor import data_of
from lamina.kernels.layer_norm import layer_norm_last_axis
from lamina.layers.base.layer import Layer
from lamina.layers.base.named_params import NamedParams


class LayerNormalization(NamedParams, Layer):
    """Per-sample normalization; the same at training and inference (no moving statistics)."""

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        rms_scaling=False,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                f"LayerNormalization: axis must be an int or a list of ints, got {axis!r}"
            )
        self.epsilon = float(epsilon)
        self.center, self.scale, self.rms_scaling = bool(center), bool(scale), bool(rms_scaling)
        self._init_params(beta=(beta_initializer, beta_regularizer, beta_constraint),
                          gamma=(gamma_initializer, gamma_regularizer, gamma_constraint))
        self.supports_masking = True

    def _axes(self, nd):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -nd <= a < nd:
                raise ValueError(
                    f"LayerNormalization layer {self.name!r}: axis {a} is out of range for "
                    f"inputs of rank {nd}"
                )
        return tuple(sorted(a % nd for a in axes))

    def build(self, input_shape):
        nd = len(input_shape)
        self._norm_axes = self._axes(nd)
        shape = tuple(input_shape[a] for a in self._norm_axes)
        if any(d is None for d in shape):
            raise ValueError(
                f"LayerNormalization layer {self.name!r}: the normalized axes of the input shape "
                f"{tuple(input_shape)} must be known"
            )
        self._bshape = tuple(input_shape[d] if d in self._norm_axes else 1 for d in range(nd))
        self.gamma = self.beta = None
        if self.scale or self.rms_scaling:
            self.gamma = self._add_param("gamma", shape)
        if self.center and not self.rms_scaling:
            self.beta = self._add_param("beta", shape)

    def _broadcast(self, w):
        return ops.reshape(w, self._bshape)

    def call(self, inputs):
        axes = self._norm_axes
        if self.rms_scaling:
            var = ops.var(inputs, axis=axes, keepdims=True)
            return ops.multiply(
                ops.multiply(inputs, ops.rsqrt(ops.add(var, self.epsilon))),
                self._broadcast(self.gamma),
            )
        if axes == (len(inputs.shape) - 1,) and data_of(inputs).dtype.kind == "f":
            # the usual last-axis case: one graph node
            return layer_norm_last_axis(inputs, self.gamma, self.beta, self.epsilon)
        mean, var = ops.moments(inputs, axes=axes, keepdims=True)
        y = ops.multiply(ops.subtract(inputs, mean), ops.rsqrt(ops.add(var, self.epsilon)))
        if self.gamma is not None:
            y = ops.multiply(y, self._broadcast(self.gamma))
        if self.beta is not None:
            y = ops.add(y, self._broadcast(self.beta))
        return y

    def compute_output_shape(self, input_shape):
        self._axes(len(input_shape))
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            **self._params_config(),
        }
