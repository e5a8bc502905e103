"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector."""
import math

from lamina import ops
from lamina.layers.base.layer import Layer


def _prod(dims):
    return None if any(d is None for d in dims) else math.prod(dims)


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise NotImplementedError("Flatten: lamina supports data_format='channels_last' only")
        self.data_format = data_format

    def call(self, inputs):
        shape = ops.shape(inputs)
        return ops.reshape(inputs, (shape[0], -1)) if len(shape) != 1 else ops.expand_dims(inputs, 1)

    def predict_array(self, a):
        """Inference on a NumPy batch (`predict`'s replay): the same reshape as `call`."""
        return a.reshape(a.shape[0], -1) if a.ndim != 1 else a[:, None]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], _prod(input_shape[1:]) if len(input_shape) > 1 else 1)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """(batch, ...) -> (batch, *target_shape); one entry of target_shape may be -1."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        if sum(1 for d in self.target_shape if d == -1) > 1:
            raise ValueError(f"Reshape: at most one -1 in target_shape, got {self.target_shape}")

    def call(self, inputs):
        return ops.reshape(inputs, (ops.shape(inputs)[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        if -1 not in self.target_shape:
            return (input_shape[0],) + self.target_shape
        total = _prod(input_shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        if total is not None and total % known:
            raise ValueError(
                f"Reshape: cannot reshape inputs of shape {tuple(input_shape)} into "
                f"{self.target_shape}: {total} is not divisible by {known}"
            )
        missing = None if total is None else total // known
        return (input_shape[0],) + tuple(missing if d == -1 else d for d in self.target_shape)

    def build(self, input_shape):
        total, known = _prod(input_shape[1:]), math.prod(d for d in self.target_shape if d != -1)
        if total is not None and -1 not in self.target_shape and total != known:
            raise ValueError(
                f"Reshape layer {self.name!r}: inputs of shape {tuple(input_shape)} have {total} "
                f"values per sample, target_shape {self.target_shape} needs {known}"
            )

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Permute(Layer):
    """Permute the non-batch axes; `dims` counts from 1 (the batch axis stays first)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(self.dims)}, got {self.dims}")

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = int(n)

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"RepeatVector expects 2-D inputs (batch, features), got {tuple(input_shape)}")
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
