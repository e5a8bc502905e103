"""`DepthwiseConv1D/2D` and `SeparableConv1D/2D`, as Keras 3.

Depthwise: each input channel is convolved with its own `depth_multiplier` filters, output
(N, *out, Cin * depth_multiplier). Separable: a depthwise convolution followed by a 1x1
(pointwise) convolution to `filters` channels, far fewer weights than a full convolution.
"""

from lamina import activations, constraints, initializers, ops, regularizers
from lamina.layers import conv_utils as U
from lamina.layers.layer import InputSpec, Layer


class _DepthwiseBase(Layer):
    """Shared argument handling, shape arithmetic and channels-first transposes."""

    rank = None

    def _init_common(
        self,
        kernel_size,
        strides,
        padding,
        data_format,
        dilation_rate,
        depth_multiplier,
        activation,
        use_bias,
        bias_initializer,
        bias_regularizer,
        bias_constraint,
    ):
        kind, rank = type(self).__name__, self.rank
        self.depth_multiplier = U.check_positive_int(depth_multiplier, "depth_multiplier", kind)
        self.kernel_size = U.standardize_tuple(kernel_size, rank, "kernel_size", kind)
        self.strides = U.standardize_tuple(strides, rank, "strides", kind)
        self.dilation_rate = U.standardize_tuple(dilation_rate, rank, "dilation_rate", kind)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{kind}: strides > 1 cannot be combined with dilation_rate > 1")
        self.padding = U.standardize_padding(padding, kind)
        self.data_format = U.standardize_data_format(data_format, kind)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape):
        U.check_input_rank(self, input_shape, self.rank)
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} needs a known number of input "
                f"channels, got input shape {tuple(input_shape)}"
            )
        self.compute_output_shape(input_shape)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): channels})
        return channels

    def _out_channels(self, input_shape):
        raise NotImplementedError(
            f"{type(self).__name__} must define its number of output channels"
        )

    def compute_output_shape(self, input_shape):
        U.check_input_rank(self, input_shape, self.rank)
        spatial, _ = U.split_channels(input_shape, self.rank, self.data_format)
        layer = f"{type(self).__name__} layer {self.name!r}"
        out = tuple(
            U.output_length(size, k, s, self.padding, d, "kernel", axis, layer)
            for size, k, s, d, axis in zip(
                spatial,
                self.kernel_size,
                self.strides,
                self.dilation_rate,
                U.spatial_axes_names(self.rank),
            )
        )
        return U.join_channels(
            input_shape[0], out, self._out_channels(input_shape), self.data_format
        )

    def _finish(self, y):
        if self.bias is not None:
            shape = (
                self.bias.shape
                if self.data_format == "channels_last"
                else self.bias.shape + (1,) * self.rank
            )
            y = ops.add(y, ops.reshape(self.bias, shape))
        return self.activation(y)

    def _common_config(self):
        return {
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }

    def _bias_config(self):
        return {
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


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
        self._init_common(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            depth_multiplier,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            bias_constraint,
        )
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def _out_channels(self, input_shape):
        c = input_shape[self._channel_axis()]
        return None if c is None else c * self.depth_multiplier

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(channels * self.depth_multiplier,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    def call(self, inputs):
        y = ops.depthwise_conv(
            inputs,
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        return self._finish(y)

    def get_config(self):
        return {
            **super().get_config(),
            **self._common_config(),
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            **self._bias_config(),
        }


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
        self._init_common(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            depth_multiplier,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            bias_constraint,
        )
        self.filters = U.check_positive_int(filters, "filters", type(self).__name__)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def _out_channels(self, input_shape):
        return self.filters

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            name="depthwise_kernel",
        )
        self.pointwise_kernel = self.add_weight(
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
            name="pointwise_kernel",
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
        return self._finish(y)

    def get_config(self):
        return {
            **super().get_config(),
            **self._common_config(),
            "filters": self.filters,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
            **self._bias_config(),
        }


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
