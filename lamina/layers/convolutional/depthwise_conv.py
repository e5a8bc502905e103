"""`DepthwiseConv1D/2D` and `SeparableConv1D/2D`, as Keras 3.

Depthwise: each input channel is convolved with its own `depth_multiplier` filters, output
(N, *out, Cin * depth_multiplier). Separable: a depthwise convolution followed by a 1x1
(pointwise) convolution to `filters` channels, far fewer weights than a full convolution.
"""

from lamina import ops
from lamina.layers.convolutional import conv_utils as U
from lamina.layers.convolutional.conv_common import ConvCommon


class _DepthwiseBase(ConvCommon):
    """The depth multiplier and the depthwise kernel."""

    def _init_depthwise(self, kernel_size, strides, padding, data_format, dilation_rate,
                        depth_multiplier):
        self.depth_multiplier = U.check_positive_int(depth_multiplier, "depth_multiplier",
                                                     type(self).__name__)
        self._init_window(kernel_size, strides, padding, data_format, dilation_rate)

    def _depthwise_kernel(self, input_shape, name):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)  # validates the window against the input size
        return channels, self._add_param(
            "depthwise", self.kernel_size + (channels, self.depth_multiplier), name)

    def get_config(self):
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                **self._window_config(), **self._conv_config()}


class BaseDepthwiseConv(_DepthwiseBase):
    """kernel (*kernel_size, in_channels, depth_multiplier); bias (in_channels * multiplier,)."""

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._init_depthwise(kernel_size, strides, padding, data_format, dilation_rate,
                             depth_multiplier)
        self._init_conv_params(
            activation, use_bias,
            depthwise=(depthwise_initializer, depthwise_regularizer, depthwise_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint))

    def _out_channels(self, input_shape):
        c = input_shape[self._channel_axis()]
        return None if c is None else c * self.depth_multiplier

    def build(self, input_shape):
        channels, self.kernel = self._depthwise_kernel(input_shape, "kernel")
        self._add_bias(channels * self.depth_multiplier)

    def call(self, inputs):
        y = ops.depthwise_conv(
            inputs,
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        return self._bias_and_activation(y)

class BaseSeparableConv(_DepthwiseBase):
    """depthwise_kernel (*kernel_size, in_channels, depth_multiplier), pointwise_kernel
    (1, ..., in_channels * depth_multiplier, filters), bias (filters,)."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = U.check_positive_int(filters, "filters", type(self).__name__)
        self._init_depthwise(kernel_size, strides, padding, data_format, dilation_rate,
                             depth_multiplier)
        self._init_conv_params(
            activation, use_bias,
            depthwise=(depthwise_initializer, depthwise_regularizer, depthwise_constraint),
            pointwise=(pointwise_initializer, pointwise_regularizer, pointwise_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint))

    def _out_channels(self, input_shape):
        return self.filters

    def build(self, input_shape):
        channels, self.depthwise_kernel = self._depthwise_kernel(input_shape, "depthwise_kernel")
        self.pointwise_kernel = self._add_param(
            "pointwise", (1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            "pointwise_kernel")
        self._add_bias(self.filters)

    def call(self, inputs):
        y = ops.separable_conv(
            inputs,
            self.depthwise_kernel,
            self.pointwise_kernel,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        return self._bias_and_activation(y)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


class DepthwiseConv1D(BaseDepthwiseConv):
    """Per-channel 1-D convolution over (batch, steps, channels)."""

    rank = 1


class DepthwiseConv2D(BaseDepthwiseConv):
    """Per-channel 2-D convolution over (batch, height, width, channels)."""

    rank = 2


class SeparableConv1D(BaseSeparableConv):
    """Depthwise then pointwise 1-D convolution."""

    rank = 1


class SeparableConv2D(BaseSeparableConv):
    """Depthwise then pointwise 2-D convolution (as in MobileNet/Xception)."""

    rank = 2
