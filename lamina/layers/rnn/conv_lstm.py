"""`ConvLSTM1D/2D/3D` (Shi et al. 2015): an LSTM whose input and recurrent transforms are
convolutions, so the states are feature maps instead of vectors.

Per step, on x (batch, *spatial, channels) and h, c (batch, *out_spatial, filters):
z = conv(x, kernel, strides, padding, dilation) + bias + conv(h, recurrent_kernel, "same"),
split into blocks i, f, c, o along the filters, then the LSTM update of `lstm.py`.
kernel (*kernel_size, channels, 4 filters), recurrent_kernel (*kernel_size, filters,
4 filters), bias (4 filters,) with the forget block at 1. Sequences are
(batch, time, *spatial, channels), or (batch, time, channels, *spatial) channels_first.
"""
import numpy as np

from lamina import activations, ops, regularizers
from lamina import random as lrandom
from lamina.engine.tensor import Variable
from lamina.layers.base.layer import Layer
from lamina.layers.base.named_params import NamedParams
from lamina.layers.convolutional import conv_utils as cu
from lamina.layers.rnn.cell_base import CELL_PROPERTIES, check_units
from lamina.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from lamina.layers.rnn.rnn import RNN


class ConvLSTMCell(NamedParams, Layer, DropoutRNNCell):
    """One ConvLSTM step: `call(inputs (batch, *spatial, channels), [h, c]) -> (h', [h', c'])`."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        who = type(self).__name__
        if rank not in (1, 2, 3):
            raise ValueError(f"{who}: rank must be 1, 2 or 3, got {rank!r}")
        super().__init__(**kwargs)
        self.rank = rank
        self.filters = check_units(filters, f"{who} (filters)")
        self.kernel_size = cu.standardize_tuple(kernel_size, rank, "kernel_size", who)
        self.strides = cu.standardize_tuple(strides, rank, "strides", who)
        self.padding = cu.standardize_padding(padding, who)
        self.data_format = cu.standardize_data_format(data_format, who)
        self.dilation_rate = cu.standardize_tuple(dilation_rate, rank, "dilation_rate", who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{who}: strides > 1 cannot be combined with dilation_rate > 1, got "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}; set one to 1")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.unit_forget_bias = bool(unit_forget_bias)
        self._init_params(
            kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
            recurrent=(recurrent_initializer, recurrent_regularizer, recurrent_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint))
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.seed_generator = lrandom.SeedGenerator(seed)
        self.dropout_mask_count = 4  # one mask per gate, as Keras
        self.state_size = [-1, -1]  # feature maps: their shapes come from the input's
        self.spatial_dims = None
        self.input_dim = None

    def build(self, inputs_shape, states_shape=None):
        spatial, channels = cu.split_channels(inputs_shape, self.rank, self.data_format)
        if len(inputs_shape) != self.rank + 2 or None in spatial or channels is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} needs a step input of rank {self.rank + 2} "
                f"with known spatial and channel sizes ({self.data_format}), got {tuple(inputs_shape)}")
        self.spatial_dims, self.input_dim = tuple(spatial), channels
        n = 4 * self.filters
        self.kernel = self._add_param("kernel", (*self.kernel_size, channels, n))
        self.recurrent_kernel = self._add_param(
            "recurrent", (*self.kernel_size, self.filters, n), "recurrent_kernel")
        self.bias = None
        if self.use_bias:
            init = None
            if self.unit_forget_bias:
                base, f = self.bias_initializer, self.filters

                def init(shape, dtype=None):  # the stored initializer, forget block at 1
                    parts = [base((f,), dtype=dtype), np.ones((f,), dtype), base((2 * f,), dtype=dtype)]
                    return np.concatenate([np.asarray(getattr(p, "data", p), dtype) for p in parts])

            self.bias = self._add_param("bias", (n,), initializer=init)

    def _state_shape(self, batch_size):
        spatial = [cu.output_length(s, k, st, self.padding, d, layer=type(self).__name__)
                   for s, k, st, d in zip(self.spatial_dims, self.kernel_size, self.strides,
                                          self.dilation_rate)]
        return cu.join_channels(batch_size, spatial, self.filters, self.data_format)

    def compute_output_shape(self, inputs_shape, states_shape=None):
        spatial, _ = cu.split_channels(inputs_shape, self.rank, self.data_format)
        out = [cu.output_length(s, k, st, self.padding, d, layer=type(self).__name__)
               for s, k, st, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]
        shape = cu.join_channels(inputs_shape[0], out, self.filters, self.data_format)
        return shape, [shape, shape]

    def get_initial_state(self, batch_size=None):
        shape = self._state_shape(batch_size)
        return [ops.zeros(shape, dtype=self.dtype), ops.zeros(shape, dtype=self.dtype)]

    def _input_conv(self, x, kernel):
        return ops.conv(x, kernel, strides=self.strides, padding=self.padding,
                        data_format=self.data_format, dilation_rate=self.dilation_rate)

    def _recurrent_conv(self, h, kernel):
        return ops.conv(h, kernel, strides=1, padding="same", data_format=self.data_format)

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        dp = self.get_dropout_mask(inputs) if training and 0.0 < self.dropout < 1.0 else None
        rdp = (self.get_recurrent_dropout_mask(h_tm1)
               if training and 0.0 < self.recurrent_dropout < 1.0 else None)
        axis = self.rank + 1  # the output-channel axis of the kernels
        if dp is None and rdp is None:  # one convolution per transform: the same sums
            z = ops.add(self._input_conv(inputs, self.kernel),
                        self._recurrent_conv(h_tm1, self.recurrent_kernel))
            zs = ops.split(z, 4, axis=-1 if self.data_format == "channels_last" else 1)
        else:
            ks = ops.split(self.kernel, 4, axis=axis)
            us = ops.split(self.recurrent_kernel, 4, axis=axis)
            zs = [ops.add(self._input_conv(_gate(inputs, dp, g), ks[g]),
                          self._recurrent_conv(_gate(h_tm1, rdp, g), us[g])) for g in range(4)]
        if self.bias is not None:
            shape = ((1,) * (self.rank + 1) + (self.filters,) if self.data_format == "channels_last"
                     else (1, self.filters) + (1,) * self.rank)
            zs = [ops.add(zg, ops.reshape(bg, shape))
                  for zg, bg in zip(zs, ops.split(self.bias, 4, axis=0))]
        i = self.recurrent_activation(zs[0])
        f = self.recurrent_activation(zs[1])
        c = ops.add(ops.multiply(f, c_tm1), ops.multiply(i, self.activation(zs[2])))
        o = self.recurrent_activation(zs[3])
        h = ops.multiply(o, self.activation(c))
        return h, [h, c]

    def _cell_config(self):
        return {
            "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias, **self._params_config(),
            "unit_forget_bias": self.unit_forget_bias, "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout, "seed": self.seed,
        }

    def get_config(self):
        return {**super().get_config(), "rank": self.rank, **self._cell_config()}


def _gate(x, masks, g):
    """x times the dropout mask of gate g (masks: (4, *x.shape)), or x itself."""
    return x if masks is None else ops.multiply(x, masks[g])


class ConvLSTM(RNN):
    """The N-D ConvLSTM layer: (batch, time, *spatial, channels) -> the last h
    (batch, *out_spatial, filters), or every step's with `return_sequences`; `return_state`
    adds [h, c]."""

    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        cell = ConvLSTMCell(
            rank=self.rank, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
            name="conv_lstm_cell", dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful,
                         activity_regularizer=activity_regularizer, **kwargs)

    def check_sequence_shape(self, shape):
        want = self.rank + 3
        if len(shape) != want:
            layout = ("(batch, time, *spatial, channels)" if self.cell.data_format == "channels_last"
                      else "(batch, time, channels, *spatial)")
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} expects inputs of rank {want} {layout}, "
                f"got shape {tuple(shape)}; a single frame per sample needs a time axis of 1 "
                "(e.g. x[:, None])")

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        state = tuple(self.cell.compute_output_shape((batch, *sequences_shape[2:]))[0])
        out = (batch, steps, *state[1:]) if self.return_sequences else state
        if self.return_state:
            return [out, state, state]
        return out

    def _create_state_variables(self, batch_size):
        self.states = [Variable(np.zeros(self.cell._state_shape(batch_size)), dtype=self.dtype,
                                trainable=False, name="rnn_state") for _ in range(2)]

    def get_config(self):
        config = super().get_config()
        del config["cell"]  # Keras's keys: the RNN's (unroll, zero_output_for_mask too) and the cell's
        return {**config, **self.cell._cell_config(),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


for _name in CELL_PROPERTIES + ("filters", "kernel_size", "strides", "padding", "data_format",
                                "dilation_rate", "recurrent_activation", "unit_forget_bias"):
    if _name != "units":
        setattr(ConvLSTM, _name, property(lambda self, n=_name: getattr(self.cell, n)))


class ConvLSTM1D(ConvLSTM):
    """1-D ConvLSTM: (batch, time, steps, channels) -> (batch, out_steps, filters)."""

    rank = 1


class ConvLSTM2D(ConvLSTM):
    """2-D ConvLSTM: (batch, time, rows, cols, channels) -> (batch, out_rows, out_cols, filters)."""

    rank = 2


class ConvLSTM3D(ConvLSTM):
    """3-D ConvLSTM: (batch, time, d1, d2, d3, channels) -> (batch, o1, o2, o3, filters)."""

    rank = 3
