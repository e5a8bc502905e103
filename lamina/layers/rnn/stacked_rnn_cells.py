"""`StackedRNNCells`: several cells run as one, each step feeding the next cell's input.

`RNN([cell_a, cell_b])` builds one. Its state is the list of the cells' states (each a
list for multi-state cells such as LSTMCell); its output is the last cell's output.
"""
from lamina.engine import tree
from lamina.layers.base.layer import Layer
from lamina.layers.rnn.wrapper import deserialize_layer, serialize_layer
from lamina import ops


class StackedRNNCells(Layer):
    """Cells applied in order at every step: (inputs, [states of each cell]) -> (output,
    [new states of each cell])."""

    is_stacked = True

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            has_call = callable(getattr(cell, "call", None))
            if not has_call or getattr(cell, "state_size", None) is None:
                raise ValueError(
                    "StackedRNNCells: every cell needs a `call` method and a `state_size`, "
                    f"got {cell!r}"
                )
        self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        size = getattr(last, "output_size", None)
        if size is not None:
            return size
        return last.state_size[0] if isinstance(last.state_size, (list, tuple)) else last.state_size

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                s = fn(batch_size=batch_size)
            else:
                sizes = cell.state_size
                sizes = sizes if isinstance(sizes, (list, tuple)) else [sizes]
                s = [ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in sizes]
            states.append(s if isinstance(cell.state_size, (list, tuple)) else tree.flatten(s)[0])
        return states

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._build_for(tuple(input_shape))
            size = getattr(cell, "output_size", None)
            if size is None:
                size = tree.flatten(cell.state_size)[0]
            input_shape = (input_shape[0], size)

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            is_list = tree.is_nested(cell_states)
            cell_states = list(cell_states) if is_list else [cell_states]
            inputs, out_states = cell(inputs, cell_states, training=training)
            out_states = list(out_states) if tree.is_nested(out_states) else [out_states]
            new_states.append(out_states if is_list else out_states[0])
        return inputs, new_states

    def reset_dropout_mask(self):
        for cell in self.cells:
            if hasattr(cell, "reset_dropout_mask"):
                cell.reset_dropout_mask()

    def reset_recurrent_dropout_mask(self):
        for cell in self.cells:
            if hasattr(cell, "reset_recurrent_dropout_mask"):
                cell.reset_recurrent_dropout_mask()

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_layer(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [deserialize_layer(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
