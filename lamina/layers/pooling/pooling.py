"""Pooling layers, as Keras 3: `MaxPooling1D/2D/3D`, `AveragePooling1D/2D/3D` (sliding
windows) and `GlobalMaxPooling1D/2D/3D`, `GlobalAveragePooling1D/2D/3D` (one value per channel).

Windowed pooling runs `lamina.ops.max_pool` / `average_pool` (vectorised over pixels; the
backward loops over the pool offsets only); the common 2x2/stride-2 max pooling uses
`lamina.kernels.pool`, same results in fewer passes over memory.
"""

from lamina import ops
from lamina.layers.convolutional import conv_utils as U
from lamina.layers.base.layer import InputSpec, Layer
from lamina.kernels import pool as fast_pool


class BasePooling(Layer):
    """pool_size (default 2 per axis), strides (default: pool_size), padding, data_format."""

    rank = None
    pool_op = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        kind, rank = type(self).__name__, self.rank
        self.pool_size = U.standardize_tuple(pool_size, rank, "pool_size", kind)
        self.strides = (
            self.pool_size
            if strides is None
            else U.standardize_tuple(strides, rank, "strides", kind)
        )
        self.padding = U.standardize_padding(padding, kind)
        self.data_format = U.standardize_data_format(data_format, kind)
        self.input_spec = InputSpec(ndim=rank + 2)
        self.built = True
        self._fast = (
            rank < 3
            and self.pool_op == "max"
            and self.pool_size == self.strides == (2,) * rank
            and self.padding == "valid"
            and self.data_format == "channels_last"
        )

    def call(self, inputs):
        U.check_input_rank(self, inputs.shape, self.rank)
        self.compute_output_shape(inputs.shape)  # a window larger than the input: a clear error
        if self._fast:
            return fast_pool.max_pool_2x2(inputs)
        op = ops.max_pool if self.pool_op == "max" else ops.average_pool
        return op(inputs, self.pool_size, self.strides, self.padding, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        U.check_input_rank(self, input_shape, self.rank)
        spatial, channels = U.split_channels(input_shape, self.rank, self.data_format)
        layer = f"{type(self).__name__} layer {self.name!r}"
        out = tuple(
            U.output_length(size, p, s, self.padding, 1, "pool", axis, layer)
            for size, p, s, axis in zip(
                spatial, self.pool_size, self.strides, U.spatial_axes_names(self.rank)
            )
        )
        return U.join_channels(input_shape[0], out, channels, self.data_format)

    def _input_hint(self, shape):
        try:
            U.check_input_rank(self, shape, self.rank)
        except ValueError as e:
            msg = str(e)
            return msg[msg.index(": ") + 2 :] if ": " in msg else ""
        return ""

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }


class MaxPooling1D(BasePooling):
    """Maximum over windows of `pool_size` steps: (batch, steps, channels)."""

    rank, pool_op = 1, "max"


class MaxPooling2D(BasePooling):
    """Maximum over pool_size windows of (batch, height, width, channels) images."""

    rank, pool_op = 2, "max"


class MaxPooling3D(BasePooling):
    """Maximum over pool_size windows of (batch, depth, height, width, channels) volumes."""

    rank, pool_op = 3, "max"


class AveragePooling1D(BasePooling):
    """Mean over windows of `pool_size` steps."""

    rank, pool_op = 1, "average"


class AveragePooling2D(BasePooling):
    """Mean over pool_size windows of images ("same" padding: of the non-padded values)."""

    rank, pool_op = 2, "average"


class AveragePooling3D(BasePooling):
    """Mean over pool_size windows of volumes ("same" padding: of the non-padded values)."""

    rank, pool_op = 3, "average"


class BaseGlobalPooling(Layer):
    """Reduce every spatial axis: (N, *spatial, C) -> (N, C), or (N, 1, ..., C) with keepdims."""

    rank = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = U.standardize_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def _axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def compute_output_shape(self, input_shape):
        U.check_input_rank(self, input_shape, self.rank)
        _, channels = U.split_channels(input_shape, self.rank, self.data_format)
        if self.keepdims:
            return U.join_channels(input_shape[0], (1,) * self.rank, channels, self.data_format)
        return (input_shape[0], channels)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over the steps of (batch, steps, features); masked steps (e.g. padding after an
    `Embedding(mask_zero=True)`) are left out of the mean."""

    rank = 1

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        axis = self._axes()
        if mask is None:
            return ops.mean(inputs, axis=axis, keepdims=self.keepdims)
        w = ops.cast(mask, inputs.dtype)
        w = ops.expand_dims(w, -1 if self.data_format == "channels_last" else 1)
        total = ops.sum(ops.multiply(inputs, w), axis=axis, keepdims=self.keepdims)
        return ops.divide(total, ops.sum(w, axis=axis, keepdims=self.keepdims))

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over height and width: (batch, h, w, c) -> (batch, c)."""

    rank = 2

    def call(self, inputs):
        return ops.mean(inputs, axis=self._axes(), keepdims=self.keepdims)


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Maximum over the steps of (batch, steps, features)."""

    rank = 1

    def call(self, inputs):
        return ops.max(inputs, axis=self._axes(), keepdims=self.keepdims)


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Maximum over height and width: (batch, h, w, c) -> (batch, c)."""

    rank = 2

    def call(self, inputs):
        return ops.max(inputs, axis=self._axes(), keepdims=self.keepdims)


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over depth, height and width: (batch, d, h, w, c) -> (batch, c)."""

    rank = 3
    call = GlobalAveragePooling2D.call


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Maximum over depth, height and width: (batch, d, h, w, c) -> (batch, c)."""

    rank = 3
    call = GlobalMaxPooling2D.call
