"""`LSTMCell` and `LSTM` (Hochreiter 1997), Keras 3's gate order and defaults.

z = x @ kernel + h @ recurrent_kernel + bias, split into blocks i, f, c, o;
i, f, o = recurrent_activation (sigmoid); c' = f * c + i * activation(z_c);
h' = o * activation(c'). kernel (input_dim, 4 units), recurrent_kernel (units, 4 units)
orthogonal, bias (4 units,) with the forget block at 1 (`unit_forget_bias`):
4 * units * (input_dim + units + 1) parameters (LSTM(32) on 16 features: 6,272).
"""
import numpy as np

from lamina import activations, ops
from lamina.layers.rnn.cell_base import RecurrentCell, forward_cell_properties, masked
from lamina.kernels.rnn_cells import LSTMKernel
from lamina.layers.rnn.rnn import CellLayer


class LSTMCell(RecurrentCell):
    """One LSTM step: `call(inputs (batch, features), [h, c]) -> (h', [h', c'])`."""

    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(
            units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            seed=seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        # Keras's implementation 1 (per-gate dropout masks) whenever recurrent dropout is on
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 4
        self.state_size = [self.units, self.units]

    def build(self, input_shape):
        init = None
        if self.use_bias and self.unit_forget_bias:
            base, n = self.bias_initializer, self.units

            def init(shape, dtype=None):  # zeros-like init, forget block at 1
                parts = [base((n,), dtype=dtype), np.ones((n,), dtype), base((2 * n,), dtype=dtype)]
                return np.concatenate([np.asarray(getattr(p, "data", p), dtype) for p in parts])

        self._build_weights(input_shape, (4 * self.units,), init)

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        dp, rdp = self._masks(inputs, h_tm1, training)
        if dp is None and rdp is None:
            z = ops.add(ops.matmul(inputs, self.kernel), ops.matmul(h_tm1, self.recurrent_kernel))
            zs = ops.split(z, 4, axis=-1)
        else:
            ks = ops.split(self.kernel, 4, axis=1)
            us = ops.split(self.recurrent_kernel, 4, axis=1)
            zs = [ops.add(ops.matmul(masked(inputs, dp, g), ks[g]),
                          ops.matmul(masked(h_tm1, rdp, g), us[g])) for g in range(4)]
        if self.bias is not None:
            zs = [ops.add(zg, bg) for zg, bg in zip(zs, ops.split(self.bias, 4, axis=0))]
        i = self.recurrent_activation(zs[0])
        f = self.recurrent_activation(zs[1])
        c = ops.add(ops.multiply(f, c_tm1), ops.multiply(i, self.activation(zs[2])))
        o = self.recurrent_activation(zs[3])
        h = ops.multiply(o, self.activation(c))
        return h, [h, c]

    def fused_kernel(self, sequences, training):
        if not self.fusable(LSTMCell.call):
            return None
        dp, rdp = self._sequence_masks(sequences, training)
        act, ract = self._numpy_activations()
        return LSTMKernel(*self._weights_data(), act, ract, dp, rdp)

    def get_config(self):
        return {**super().get_config(), **self._cell_config()}

    def _cell_config(self):
        return {**self._common_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class LSTM(CellLayer):
    """Long Short-Term Memory layer: (batch, timesteps, features) -> (batch, units), or
    (batch, timesteps, units) with `return_sequences`; `return_state` adds [h, c]."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 use_cudnn="auto", **kwargs):
        self._check_use_cudnn("LSTM", use_cudnn)
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            unit_forget_bias=unit_forget_bias, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="lstm_cell", seed=seed, implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = use_cudnn

    def get_config(self):
        return self._layer_config(self.cell._cell_config())


forward_cell_properties(LSTM, ("recurrent_activation", "unit_forget_bias"))
