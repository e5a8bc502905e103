"""`Conv1DTranspose`, `Conv2DTranspose`, `Conv3DTranspose`: the transposed ("de-")
convolution, as Keras 3.

Maps (N, *spatial, Cin) to (N, *out, filters) with out = in * strides for "same" padding
(roughly the inverse geometry of a strided convolution); used to upsample in decoders.
"""

from lamina import activations, constraints, initializers, ops, regularizers
from lamina.layers import conv_utils as U
from lamina.layers.layer import InputSpec, Layer


def deconv_output_length(size, kernel, padding, output_padding, stride, dilation):
    """Output length of a transposed convolution along one axis (Keras's formula)."""
    if size is None:
        return None
    eff = (kernel - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            return size * stride + max(eff - stride, 0)
        return size * stride
    pad = eff // 2 if padding == "same" else 0
    return (size - 1) * stride + eff - 2 * pad + output_padding


class BaseConvTranspose(Layer):
    """kernel (*kernel_size, filters, in_channels), glorot_uniform; bias (filters,), zeros."""

    rank = None

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        kind, rank = type(self).__name__, self.rank
        self.filters = U.check_positive_int(filters, "filters", kind)
        self.kernel_size = U.standardize_tuple(kernel_size, rank, "kernel_size", kind)
        self.strides = U.standardize_tuple(strides, rank, "strides", kind)
        self.dilation_rate = U.standardize_tuple(dilation_rate, rank, "dilation_rate", kind)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{kind}: strides > 1 cannot be combined with dilation_rate > 1")
        self.padding = U.standardize_padding(padding, kind)
        self.output_padding = (
            None
            if output_padding is None
            else U.standardize_tuple(output_padding, rank, "output_padding", kind, allow_zero=True)
        )
        if self.output_padding is not None and any(
            p >= s for p, s in zip(self.output_padding, self.strides)
        ):
            raise ValueError(
                f"{kind}: output_padding {self.output_padding} must be smaller than the "
                f"strides {self.strides}"
            )
        self.data_format = U.standardize_data_format(data_format, kind)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape):
        U.check_input_rank(self, input_shape, self.rank)
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} needs a known number of input "
                f"channels, got input shape {tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): channels})

    def call(self, inputs):
        y = ops.conv_transpose(
            inputs,
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            output_padding=self.output_padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        if self.bias is not None:
            shape = (
                (self.filters,)
                if self.data_format == "channels_last"
                else (self.filters,) + (1,) * self.rank
            )
            y = ops.add(y, ops.reshape(self.bias, shape))
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        U.check_input_rank(self, input_shape, self.rank)
        spatial, _ = U.split_channels(input_shape, self.rank, self.data_format)
        pads = self.output_padding or (None,) * self.rank
        out = tuple(
            deconv_output_length(size, k, self.padding, p, s, d)
            for size, k, p, s, d in zip(
                spatial, self.kernel_size, pads, self.strides, self.dilation_rate
            )
        )
        return U.join_channels(input_shape[0], out, self.filters, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class Conv1DTranspose(BaseConvTranspose):
    """Transposed convolution over (batch, steps, channels)."""

    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    """Transposed convolution over (batch, height, width, channels), e.g. to upsample maps."""

    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    """Transposed convolution over (batch, depth, height, width, channels) volumes.

    Keras's argument order: `data_format` and `dilation_rate` come right after `padding`
    (then activation, use_bias, ... as in every convolution); `output_padding` (one int or
    3 ints, each smaller than its stride) is a keyword.
    """

    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), *args, output_padding=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, *args, **kwargs)
