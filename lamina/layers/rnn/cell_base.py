"""`RecurrentCell`: what SimpleRNNCell, LSTMCell and GRUCell share.

Config and weights (kernel (input_dim, gates*units), recurrent_kernel (units, gates*units),
bias), the per-call dropout masks, zero initial states, and the choice between the fused
whole-sequence kernel (`fused_kernel`, used by the RNN layer) and the per-step `call`
(used for activations without a NumPy form, subclasses overriding `call`, or a cell used
on its own).
"""
import numpy as np

from lamina import activations, ops
from lamina import random as lrandom
from lamina.layers.base.layer import Layer
from lamina.layers.base.named_params import NamedParams
from lamina.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from lamina.kernels.rnn_sequence import numpy_activation


def check_units(units, who):
    if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"{who}: units must be a positive integer, got {units!r}")
    return int(units)


class RecurrentCell(NamedParams, Layer, DropoutRNNCell):
    """Shared state of the built-in cells; subclasses set `gates` and define `call`."""

    gates = 1

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        units = check_units(units, type(self).__name__)
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._init_params(
            kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
            recurrent=(recurrent_initializer, recurrent_regularizer, recurrent_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint))
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.seed_generator = lrandom.SeedGenerator(seed)
        self.state_size = units
        self.output_size = units

    def _build_weights(self, input_shape, bias_shape, bias_initializer=None):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} needs a known feature dimension, got input "
                f"shape {tuple(input_shape)}"
            )
        n = self.gates * self.units
        self.kernel = self._add_param("kernel", (input_dim, n))
        self.recurrent_kernel = self._add_param("recurrent", (self.units, n), "recurrent_kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self._add_param("bias", bias_shape, initializer=bias_initializer)

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in sizes]

    # --- dropout masks of this call (constants) -------------------------------------------

    def _masks(self, inputs, h, training):
        """(input mask, recurrent mask) for this step/sequence, or None where unused."""
        if not training:
            return None, None
        dp = self.get_dropout_mask(inputs) if 0.0 < self.dropout < 1.0 else None
        rdp = self.get_recurrent_dropout_mask(h) if 0.0 < self.recurrent_dropout < 1.0 else None
        return dp, rdp

    # --- the fused path ------------------------------------------------------------------

    def _sequence_masks(self, sequences, training):
        """Dropout masks of a whole (batch, timesteps, features) NumPy sequence."""
        h = np.zeros((sequences.shape[0], self.units), sequences.dtype)
        return self._masks(sequences[:, 0], h, training)

    def _numpy_activations(self):
        """NumPy forms of this cell's activations, or None if one has none."""
        fns = [self.activation]
        if hasattr(self, "recurrent_activation"):
            fns.append(self.recurrent_activation)
        forms = [numpy_activation(f) for f in fns]
        return None if any(f is None for f in forms) else forms

    def fusable(self, base_call):
        """Whether the whole-sequence kernel computes exactly what `call` would."""
        return type(self).call is base_call and self._numpy_activations() is not None

    def _weights_data(self):
        return (self.kernel.data, self.recurrent_kernel.data,
                None if self.bias is None else self.bias.data)

    # --- config -----------------------------------------------------------------------------

    def _common_config(self):
        return {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **self._params_config(),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


def masked(x, mask, gate=None):
    """x * mask (mask[gate] for per-gate masks); x itself without a mask."""
    if mask is None:
        return x
    return ops.multiply(x, mask[gate] if gate is not None and mask.ndim == 3 else mask)


CELL_PROPERTIES = (
    "units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
    "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
    "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
)  # fmt: skip


def forward_cell_properties(cls, extra=()):
    """Read-only properties on an RNN layer class that return its cell's attributes."""
    for name in CELL_PROPERTIES + tuple(extra):
        setattr(cls, name, property(lambda self, n=name: getattr(self.cell, n)))
    return cls
