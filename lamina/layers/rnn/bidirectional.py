"""`Bidirectional`: a recurrent layer run forwards and backwards, outputs merged.

The forward layer is a fresh copy of `layer` (named "forward_<name>"), the backward one a
copy with `go_backwards` flipped (or `backward_layer`). The backward sequence output is
flipped back to input order before merging with `merge_mode` "concat" (default), "sum",
"mul", "ave", or None (a list of both). With `return_sequences`, masked steps output zeros
(`zero_output_for_mask` is forced on both layers, as Keras).
"""
import difflib

from lamina import ops
from lamina.layers.base.layer import Layer
from lamina.layers.rnn.wrapper import deserialize_layer, serialize_layer

MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _copy_layer(layer, **changes):
    entry = serialize_layer(layer)
    entry["config"] = {**entry["config"], **changes}
    return deserialize_layer(entry)


class Bidirectional(Layer):
    """`Bidirectional(layer, merge_mode="concat", backward_layer=None)` over (batch,
    timesteps, features): (batch, 2 units) for concat, (batch, units) for sum/mul/ave."""

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Bidirectional needs a recurrent layer instance (e.g. LSTM(32)), got {layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                f"Bidirectional: backward_layer must be a layer instance, got {backward_layer!r}"
            )
        if merge_mode not in MERGE_MODES:
            close = difflib.get_close_matches(str(merge_mode), [m for m in MERGE_MODES if m], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Bidirectional: merge_mode must be one of {MERGE_MODES}, got {merge_mode!r}{hint}"
            )
        for attr in ("go_backwards", "return_sequences", "return_state"):
            if not hasattr(layer, attr):
                raise ValueError(
                    f"Bidirectional wraps a sequence layer with `{attr}` (RNN, LSTM, GRU, ...); "
                    f"{type(layer).__name__} has none"
                )
        super().__init__(**kwargs)
        name = layer.name.removeprefix("forward_")
        self.forward_layer = _copy_layer(layer, name="forward_" + name)
        if backward_layer is None:
            self.backward_layer = _copy_layer(
                layer, name="backward_" + layer.name.removeprefix("backward_"),
                go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = backward_layer
        self._verify()
        for inner in (self.forward_layer, self.backward_layer):
            if getattr(inner, "zero_output_for_mask", None) is not None:
                inner.zero_output_for_mask = inner.return_sequences
        self.merge_mode = merge_mode
        self.stateful = getattr(layer, "stateful", False)
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    def _verify(self):
        f, b = self.forward_layer, self.backward_layer
        if f.go_backwards == b.go_backwards:
            raise ValueError(
                "Bidirectional: the forward and backward layers must have different go_backwards, "
                f"got {f.go_backwards} for both"
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(f, attr, None) != getattr(b, attr, None):
                raise ValueError(
                    f"Bidirectional: the forward and backward layers must have the same {attr}, "
                    "got "
                    f"{getattr(f, attr, None)} and {getattr(b, attr, None)}"
                )

    def build(self, sequences_shape, initial_state_shape=None):
        for inner in (self.forward_layer, self.backward_layer):
            if not inner.built:
                inner._build_for(tuple(sequences_shape))

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        out = self.forward_layer.compute_output_shape(sequences_shape)
        states = []
        if self.return_state:
            out, states = out[0], list(out[1:])
        out = tuple(out)
        if self.merge_mode == "concat":
            out = out[:-1] + (out[-1] * 2,)
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            return outs + states + states
        return outs if self.merge_mode is None else out

    def compute_mask(self, _, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            out = [mask, mask] if self.merge_mode is None else mask
        else:
            out = [None, None] if self.merge_mode is None else None
        if self.return_state:
            n = len(getattr(self.forward_layer, "state_size", [])) * 2
            return (out if isinstance(out, list) else [out]) + [None] * n
        return out

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {"training": training}
        if mask is not None:
            kwargs["mask"] = mask
        f_state = b_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            f_state, b_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(sequences, initial_state=f_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=b_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
        mode = self.merge_mode
        if mode == "concat":
            out = ops.concatenate([y, y_rev], axis=-1)
        elif mode == "sum":
            out = ops.add(y, y_rev)
        elif mode == "ave":
            out = ops.multiply(ops.add(y, y_rev), 0.5)
        elif mode == "mul":
            out = ops.multiply(y, y_rev)
        else:
            out = (y, y_rev)
        if mask is not None and self.return_sequences:
            for t in (out if mode is None else (out,)):
                t._keras_mask = mask
        if self.return_state:
            return (*out, *states) if mode is None else (out, *states)
        return list(out) if mode is None else out

    @property
    def states(self):
        f = getattr(self.forward_layer, "states", None)
        b = getattr(self.backward_layer, "states", None)
        return tuple(f) + tuple(b) if f and b else None

    def reset_state(self):
        if not self.stateful:
            raise AttributeError("Bidirectional.reset_state: the layer is not stateful")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    reset_states = reset_state

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialize_layer(self.forward_layer),
                "backward_layer": serialize_layer(self.backward_layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = deserialize_layer(backward, custom_objects)
        return cls(layer, backward_layer=backward, **config)
