"""`SimpleRNNCell` and `SimpleRNN`: h_t = activation(x_t @ kernel + bias + h_{t-1} @ U).

U is the recurrent_kernel.

kernel (input_dim, units), recurrent_kernel (units, units) orthogonal, bias (units,);
units * (input_dim + units + 1) parameters, as Keras.
"""
from lamina import ops
from lamina.layers.rnn.cell_base import RecurrentCell, forward_cell_properties, masked
from lamina.kernels.rnn_cells import SimpleRNNKernel
from lamina.layers.rnn.rnn import CellLayer


class SimpleRNNCell(RecurrentCell):
    """One step of a fully connected RNN: `call(sequence (batch, features), states) ->
    (output, [output])`, both (batch, units)."""

    gates = 1

    def build(self, input_shape):
        self._build_weights(input_shape, (self.units,))

    def call(self, sequence, states, training=False):
        prev = states[0] if isinstance(states, (list, tuple)) else states
        dp, rdp = self._masks(sequence, prev, training)
        h = ops.matmul(masked(sequence, dp), self.kernel)
        if self.bias is not None:
            h = ops.add(h, self.bias)
        output = self.activation(ops.add(h, ops.matmul(masked(prev, rdp), self.recurrent_kernel)))
        return output, ([output] if isinstance(states, (list, tuple)) else output)

    def fused_kernel(self, sequences, training):
        if not self.fusable(SimpleRNNCell.call):
            return None
        dp, rdp = self._sequence_masks(sequences, training)
        return SimpleRNNKernel(*self._weights_data(), self._numpy_activations()[0], dp, rdp)

    def get_config(self):
        return {**super().get_config(), **self._common_config()}


class SimpleRNN(CellLayer):
    """Fully connected RNN whose output is fed back: (batch, timesteps, features) ->
    (batch, units), or (batch, timesteps, units) with `return_sequences`."""

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, seed=None, **kwargs):
        cell = SimpleRNNCell(
            units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            seed=seed, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    def get_config(self):
        return self._layer_config(self.cell._common_config())


forward_cell_properties(SimpleRNN)
