"""`GRUCell` and `GRU` (Cho et al. 2014), Keras 3's gate order z, r, h and defaults.

z, r = recurrent_activation(x W_zr + h U_zr + biases); with `reset_after=True` (default)
hh = activation(x W_h + b_h + r * (h U_h + b_rh)), bias (2, 3 units) holding the input and
recurrent biases; with `reset_after=False` hh = activation(x W_h + b_h + (r * h) U_h),
bias (3 units,). h' = z * h + (1 - z) * hh. GRU(32) on 16 features: 4,800 parameters.
"""
from lamina import activations, ops
from lamina.layers.rnn.cell_base import RecurrentCell, forward_cell_properties, masked
from lamina.kernels.rnn_cells import GRUKernel
from lamina.layers.rnn.rnn import CellLayer


class GRUCell(RecurrentCell):
    """One GRU step: `call(inputs (batch, features), [h]) -> (h', [h'])`."""

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, **kwargs):
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
        self.reset_after = bool(reset_after)
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 3

    def build(self, input_shape):
        n = 3 * self.units
        self._build_weights(input_shape, (2, n) if self.reset_after else (n,))

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        h_tm1 = states[0] if nested else states
        dp, rdp = self._masks(inputs, h_tm1, training)
        b_in = b_rec = None
        if self.bias is not None:
            if self.reset_after:
                b_in, b_rec = self.bias[0], self.bias[1]
            else:
                b_in = self.bias
        ks = ops.split(self.kernel, 3, axis=1)
        us = ops.split(self.recurrent_kernel, 3, axis=1)
        x = [ops.matmul(masked(inputs, dp, g), ks[g]) for g in range(3)]
        if b_in is not None:
            x = [ops.add(xg, bg) for xg, bg in zip(x, ops.split(b_in, 3, axis=0))]
        hs = [masked(h_tm1, rdp, g) for g in range(3)]
        rec = [ops.matmul(hs[g], us[g]) for g in range(2)]
        if b_rec is not None:
            b_rec = ops.split(b_rec, 3, axis=0)
            rec = [ops.add(rg, bg) for rg, bg in zip(rec, b_rec[:2])]
        z = self.recurrent_activation(ops.add(x[0], rec[0]))
        r = self.recurrent_activation(ops.add(x[1], rec[1]))
        if self.reset_after:
            rh = ops.matmul(hs[2], us[2])
            if b_rec is not None:
                rh = ops.add(rh, b_rec[2])
            rh = ops.multiply(r, rh)
        else:
            rh = ops.matmul(ops.multiply(r, hs[2]), us[2])
        hh = self.activation(ops.add(x[2], rh))
        h = ops.add(ops.multiply(z, h_tm1), ops.multiply(ops.subtract(1.0, z), hh))
        return h, ([h] if nested else h)

    def fused_kernel(self, sequences, training):
        if not self.fusable(GRUCell.call):
            return None
        dp, rdp = self._sequence_masks(sequences, training)
        act, ract = self._numpy_activations()
        return GRUKernel(*self._weights_data(), act, ract, self.reset_after, dp, rdp)

    def get_config(self):
        return {**super().get_config(), **self._cell_config()}

    def _cell_config(self):
        return {**self._common_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


class GRU(CellLayer):
    """Gated Recurrent Unit layer: (batch, timesteps, features) -> (batch, units), or
    (batch, timesteps, units) with `return_sequences`; `return_state` adds [h]."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 use_cudnn="auto", **kwargs):
        self._check_use_cudnn("GRU", use_cudnn)
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="gru_cell", seed=seed, implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = use_cudnn

    def get_config(self):
        return self._layer_config(self.cell._cell_config())


forward_cell_properties(GRU, ("recurrent_activation", "reset_after"))
