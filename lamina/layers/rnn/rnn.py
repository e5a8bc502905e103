"""`RNN`: runs a cell over the time axis of (batch, timesteps, features) sequences.

Built-in cells (SimpleRNNCell, LSTMCell, GRUCell with tanh/sigmoid/relu/linear/hard_sigmoid
activations) run the whole sequence as one fused graph node (lamina/kernels/); any
other cell is called step by step with lamina ops (one small graph per step). Both follow
Keras 3: masked steps keep the previous states and repeat the previous output (zeros with
`zero_output_for_mask`), `go_backwards` returns the sequence in processing order, and
dropout masks are drawn once per sequence, only when training.
"""
import inspect

import numpy as np

from lamina import ops, regularizers
from lamina.engine import tree
from lamina.engine.tensor import Tensor, Variable, data_of
from lamina.layers.base.layer import Layer
from lamina.kernels.rnn_sequence import run_sequence
from lamina.layers.rnn.wrapper import deserialize_layer, serialize_layer
from lamina.layers.rnn.stacked_rnn_cells import StackedRNNCells


def _input_hint(layer, shape):
    ndim = len(shape)
    hint = (
        f"{type(layer).__name__} layer {layer.name!r} expects a 3D input (batch, timesteps, "
        f"features), got shape {tuple(shape)}"
    )
    if ndim == 2:
        return hint + (
            ": a 2D input has no time axis. For integer token ids add an Embedding layer "
            "first; for one feature per step reshape to (batch, timesteps, 1) (e.g. "
            "x[..., None] or layers.Reshape((timesteps, 1))); for a single step per sample "
            "use x[:, None, :]"
        )
    if ndim == 1:
        return hint + ": pass a batch of sequences, e.g. x[None, :, None] for one sequence"
    return hint + ": merge the extra axes into the feature axis (e.g. layers.Reshape) or wrap " \
        "per-step layers in layers.TimeDistributed"


def check_sequence_shape(layer, shape):
    if len(shape) != 3:
        raise ValueError(_input_hint(layer, shape))


class RNN(Layer):
    """Base recurrent layer: `RNN(cell, return_sequences=False, return_state=False, ...)`.

    Call with `sequences` (batch, timesteps, features), optional `initial_state` (a list,
    one tensor (batch, size) per state), `mask` (batch, timesteps) and `training`. Output:
    (batch, units) or (batch, timesteps, units) with `return_sequences`; with
    `return_state`, a tuple (output, *final_states).
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not callable(getattr(cell, "call", None)):
            raise ValueError(f"RNN: the cell must have a `call` method, got {cell!r}")
        state_size = getattr(cell, "state_size", None)
        if state_size is None or not isinstance(state_size, (list, tuple, int)):
            raise ValueError(
                "RNN: the cell must have a `state_size` attribute (an integer, or a list of "
                f"integers, one per state), got {state_size!r} on {cell!r}"
            )
        super().__init__(**kwargs)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.supports_masking = True
        self.states = None
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if self.single_state else list(state_size)

    # --- shapes ----------------------------------------------------------------------------

    def _flat_state_sizes(self):
        return [int(s) for s in tree.flatten(self.state_size)]

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, length = sequences_shape[0], sequences_shape[1]
        output_size = getattr(self.cell, "output_size", None) or self._flat_state_sizes()[0]
        out = (batch, length, output_size) if self.return_sequences else (batch, output_size)
        if self.return_state:
            return [out] + [(batch, s) for s in self._flat_state_sizes()]
        return out

    def compute_mask(self, _, mask):
        mask = tree.flatten(mask)[0] if mask is not None else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self._flat_state_sizes())
        return output_mask

    def check_sequence_shape(self, shape):
        """ValueError with a fix unless `shape` is a batch of sequences this layer reads."""
        check_sequence_shape(self, shape)

    def _expected_input_shape(self):
        return None

    # --- build ------------------------------------------------------------------------

    def build(self, sequences_shape, initial_state_shape=None):
        self.check_sequence_shape(sequences_shape)
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._build_for(step_shape)
        if self.stateful:
            if sequences_shape[0] is None:
                raise ValueError(
                    f"{type(self).__name__} {self.name!r}: with stateful=True the batch size "
                    f"must be fixed, got input shape {tuple(sequences_shape)}; pass batch_size= to "
                    "keras.Input (and the same batch_size to fit, with shuffle=False)"
                )
            self._create_state_variables(sequences_shape[0])

    def _create_state_variables(self, batch_size):
        # plain Variables, not weights (as Keras: not saved, not trained)
        self.states = [Variable(np.zeros((batch_size, s)), dtype=self.compute_dtype, trainable=False,
                                name="rnn_state") for s in self._flat_state_sizes()]

    def get_initial_state(self, batch_size):
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is None:
            return [ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in self._flat_state_sizes()]
        state = fn(batch_size=batch_size)
        return list(state) if tree.is_nested(state) else [state]

    def reset_state(self):
        if self.states is not None:
            for v in self.states:
                v.assign(np.zeros(v.shape, v.dtype))

    reset_states = reset_state

    # --- call -------------------------------------------------------------------------------

    def call(self, sequences, initial_state=None, mask=None, training=False):
        shape = tuple(np.shape(data_of(sequences)))
        self.check_sequence_shape(shape)
        if data_of(sequences).dtype.kind != "f":
            sequences = ops.cast(sequences, self.compute_dtype)
        n_states = len(self._flat_state_sizes())
        if initial_state is None and self.stateful:
            initial_state = list(self.states)
        if initial_state is not None:
            nested = tree.is_nested(initial_state)
            initial_state = tree.flatten(initial_state) if nested else [initial_state]
            if len(initial_state) != n_states:
                raise ValueError(
                    f"{type(self).__name__} {self.name!r} has {n_states} state(s), but "
                    f"initial_state has {len(initial_state)}; pass a list with one tensor of shape "
                    f"(batch, size) per state (sizes {self._flat_state_sizes()})"
                )
        keep = None
        if mask is not None:
            keep = np.asarray(data_of(tree.flatten(mask)[0]), dtype=bool)
            if keep.ndim == 3 and keep.shape[-1] == 1:
                keep = keep[..., 0]
            if keep.shape != shape[:2]:
                raise ValueError(
                    f"{type(self).__name__} {self.name!r}: the mask must have shape (batch, "
                    f"timesteps) = {shape[:2]}, got {keep.shape}"
                )
        cell = self.cell
        try:
            fused = getattr(cell, "fused_kernel", None)
            kernel = fused(data_of(sequences), training) if fused is not None else None
            if kernel is not None:
                output, states = run_sequence(
                    kernel, sequences, initial_state,
                    (cell.kernel, cell.recurrent_kernel, cell.bias), mask=keep,
                    go_backwards=self.go_backwards, return_sequences=self.return_sequences,
                    return_state=self.return_state, zero_output_for_mask=self.zero_output_for_mask)
            else:
                output, states = self._step_loop(sequences, initial_state, keep, training)
        finally:
            if hasattr(cell, "reset_dropout_mask"):
                cell.reset_dropout_mask()
                cell.reset_recurrent_dropout_mask()
        if self.stateful:
            for var, s in zip(self.states, states):
                var.assign(data_of(s))
        if mask is not None and self.return_sequences:
            output._keras_mask = tree.flatten(mask)[0]
        if self.return_state:
            return (output, *states)
        return output

    def _step_loop(self, sequences, initial_state, keep, training):
        """The generic path: the cell called once per step with lamina ops."""
        cell = self.cell
        steps = np.shape(data_of(sequences))[1]
        if initial_state is None:
            states = self.get_initial_state(np.shape(data_of(sequences))[0])
        else:
            states = [ops.convert_to_tensor(s) if not isinstance(s, Tensor) else s
                      for s in initial_state]
        structure = self.state_size if not self.single_state else [self.state_size[0]]
        states = tree.pack_as(structure, tree.flatten(states))
        kwargs = {"training": training} if _accepts(cell, "training") else {}
        xs = ops.unstack(sequences, axis=1)
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs = []
        # a masked step repeats the previous output; before the first, the output cell's h
        prev_out = tree.flatten(states[-1] if getattr(cell, "is_stacked", False) else states)[0]
        for t in order:
            out, new_states = cell(xs[t], states, **kwargs)
            if not tree.is_nested(new_states):
                new_states = [new_states]
            if keep is not None:
                flat_prev = tree.flatten(states)
                fill = ops.zeros_like(out) if self.zero_output_for_mask else prev_out
                out = ops.where(_step_mask(keep, t, out), out, fill)
                prev_out = out
                new_states = tree.pack_as(structure, [
                    ops.where(_step_mask(keep, t, n), n, p)
                    for n, p in zip(tree.flatten(new_states), flat_prev)])
            else:
                new_states = tree.pack_as(structure, tree.flatten(new_states))
            outputs.append(out)
            states = new_states
        output = ops.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return output, tree.flatten(states)

    # --- config -------------------------------------------------------------------------

    def get_config(self):
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": serialize_layer(self.cell),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize_layer(config.pop("cell"), custom_objects)
        return cls(cell, **config)


class CellLayer(RNN):
    """An RNN layer that builds its own cell (SimpleRNN, LSTM, GRU): the cell's arguments
    are the layer's, and its config is flat (no "cell" entry), as Keras."""

    @staticmethod
    def _check_use_cudnn(kind, use_cudnn):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{kind}: use_cudnn must be 'auto', True or False, got {use_cudnn!r}")
        if use_cudnn is True:
            raise ValueError(
                f"{kind}(use_cudnn=True): lamina runs on NumPy without cuDNN; use 'auto'")
        return use_cudnn

    def _layer_config(self, cell_config):
        config = super().get_config()
        del config["cell"]
        return {**config, **cell_config,
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


def _step_mask(keep, t, like):
    """Step t of a (batch, timesteps) mask, shaped to broadcast against `like`."""
    return keep[:, t].reshape((-1,) + (1,) * (len(like.shape) - 1))


def _accepts(layer, arg):
    try:
        return arg in inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        return False
