"""`DropoutRNNCell`: dropout masks drawn once per sequence and reused at every step (Keras).

A cell mixing this in has `dropout`, `recurrent_dropout` and `seed_generator`; a
`dropout_mask_count` (LSTM/GRU with recurrent dropout: one mask per gate) makes each
`get_*_mask` return a (count, batch, features) array instead of (batch, features). The RNN
layer resets the cached masks after every call, so each batch draws new ones.
"""
import numpy as np

from lamina import random
from lamina.engine.tensor import data_of


def dropout_mask(shape, rate, dtype, seed_generator, count=None):
    """ones(shape) with inverted dropout at `rate`: kept entries are 1 / (1 - rate)."""
    full = tuple(shape) if count is None else (count,) + tuple(shape)
    keep = random.generator(seed_generator).random(full, dtype=np.float32) >= rate
    return keep * np.asarray(1.0 / (1.0 - rate), dtype=dtype)


class DropoutRNNCell:
    """Caches the input and recurrent dropout masks of the current sequence."""

    def _create_dropout_mask(self, step_input, rate):
        a = data_of(step_input)
        dtype = a.dtype if a.dtype.kind == "f" else np.dtype(self.compute_dtype)
        return dropout_mask(a.shape, rate, dtype, self.seed_generator,
                            getattr(self, "dropout_mask_count", None))

    def get_dropout_mask(self, step_input):
        if getattr(self, "_dropout_mask", None) is None and 0.0 < self.dropout < 1.0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_input):
        rate = self.recurrent_dropout
        if getattr(self, "_recurrent_dropout_mask", None) is None and 0.0 < rate < 1.0:
            self._recurrent_dropout_mask = self._create_dropout_mask(step_input, rate)
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None
