"""`TimeDistributed`: the same layer (same weights) applied to every timestep.

(batch, timesteps, ...) is folded to (batch * timesteps, ...), the wrapped layer runs once
on it (one matmul for a Dense, instead of one per step), and the result is unfolded to
(batch, timesteps, ...). This equals Keras's per-step loop for any layer whose output for
a sample does not depend on the other samples of the batch (Dense, Conv, Dropout, ...);
a BatchNormalization in training mode would see batch * timesteps samples at once instead
of one step's batch.
"""
import numpy as np

from lamina import ops
from lamina.engine.tensor import data_of
from lamina.layers.rnn.rnn import _accepts
from lamina.layers.rnn.wrapper import Wrapper


class TimeDistributed(Wrapper):
    """`TimeDistributed(layer)` on (batch, timesteps, ...) inputs; the mask passes through."""

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    @property
    def activation(self):
        """The wrapped layer's activation (so a sigmoid output is seen by the loss checks)."""
        try:
            return self.layer.activation
        except AttributeError:
            raise AttributeError(f"{type(self.layer).__name__} has no activation") from None

    def _child_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                f"TimeDistributed {self.name!r} needs inputs of rank 3 or more (batch, timesteps, "
                f"...), got shape {input_shape}; for (batch, features) data call "
                f"{type(self.layer).__name__} directly"
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        child = self._child_shape(tuple(input_shape))
        if not self.layer.built:
            self.layer._build_for(child)

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_shape(tuple(input_shape)))
        return (child[0], input_shape[1], *child[1:])

    def call(self, inputs, training=None, mask=None):
        shape = tuple(np.shape(data_of(inputs)))
        self._child_shape(shape)
        batch, steps = shape[0], shape[1]
        folded = ops.reshape(inputs, (batch * steps,) + shape[2:])
        kwargs = {}
        if _accepts(self.layer, "training"):
            kwargs["training"] = training
        if mask is not None and _accepts(self.layer, "mask"):
            m = np.asarray(data_of(mask))
            if m.shape[:2] != (batch, steps):
                raise ValueError(
                    f"TimeDistributed {self.name!r}: the mask must have shape "
                    f"({batch}, {steps}, ...), got {m.shape}"
                )
            kwargs["mask"] = m.reshape((batch * steps,) + m.shape[2:])
        out = self.layer(folded, **kwargs)
        out_shape = tuple(np.shape(data_of(out)))
        return ops.reshape(out, (batch, steps) + out_shape[1:])
