"""`Conv1DTranspose`, `Conv2DTranspose`, `Conv3DTranspose`: the transposed ("de-")
convolution, as Keras 3.

Maps (N, *spatial, Cin) to (N, *out, filters) with out = in * strides for "same" padding
(roughly the inverse geometry of a strided convolution); used to upsample in decoders.
"""

from lamina import ops
from lamina.layers.convolutional import conv_utils as U
from lamina.layers.convolutional.conv_common import ConvCommon


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


class BaseConvTranspose(ConvCommon):
    """kernel (*kernel_size, filters, in_channels), glorot_uniform; bias (filters,), zeros."""

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
        kind = type(self).__name__
        self.filters = U.check_positive_int(filters, "filters", kind)
        self._init_window(kernel_size, strides, padding, data_format, dilation_rate)
        self.output_padding = (
            None
            if output_padding is None
            else U.standardize_tuple(output_padding, self.rank, "output_padding", kind,
                                     allow_zero=True)
        )
        if self.output_padding is not None and any(
            p >= s for p, s in zip(self.output_padding, self.strides)
        ):
            raise ValueError(
                f"{kind}: output_padding {self.output_padding} must be smaller than the "
                f"strides {self.strides}"
            )
        self._init_conv_params(activation, use_bias,
                          kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
                          bias=(bias_initializer, bias_regularizer, bias_constraint))

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self._add_param("kernel", self.kernel_size + (self.filters, channels),
                                      "kernel")
        self._add_bias(self.filters)

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
        return self._bias_and_activation(y)

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
        return {**super().get_config(), "filters": self.filters, **self._window_config(),
                "output_padding": self.output_padding, **self._conv_config()}


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
