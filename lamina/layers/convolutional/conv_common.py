"""`ConvCommon`: what every convolution layer shares (Conv, ConvTranspose, DepthwiseConv,
SeparableConv): the window arguments, their kernels' and bias's initializer / regularizer /
constraint, the input channels, the bias add and the config entries, in Keras's names.

Not to be confused with `BaseConv` (conv.py, Keras's name): the base of Conv1D/2D/3D only,
one of the subclasses of this mixin, beside `BaseConvTranspose` and the depthwise layers."""

from lamina import activations, ops, regularizers
from lamina.layers.convolutional import conv_utils as U
from lamina.layers.base.layer import InputSpec, Layer
from lamina.layers.base.named_params import NamedParams


class ConvCommon(NamedParams, Layer):
    rank = None

    def _init_window(self, kernel_size, strides, padding, data_format, dilation_rate,
                     allow_causal=False):
        kind, rank = type(self).__name__, self.rank
        self.kernel_size = U.standardize_tuple(kernel_size, rank, "kernel_size", kind)
        self.strides = U.standardize_tuple(strides, rank, "strides", kind)
        self.dilation_rate = U.standardize_tuple(dilation_rate, rank, "dilation_rate", kind)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{kind}: strides > 1 cannot be combined with dilation_rate > 1 (got strides="
                f"{self.strides}, dilation_rate={self.dilation_rate})"
            )
        self.padding = U.standardize_padding(padding, kind, allow_causal=allow_causal)
        self.data_format = U.standardize_data_format(data_format, kind)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _init_conv_params(self, activation, use_bias, **params):
        """The activation, use_bias, and each weight's (initializer, regularizer, constraint)."""
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._init_params(**params)

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape):
        """The known number of input channels (else a ValueError naming the layer); the
        input spec then also fixes that axis."""
        U.check_input_rank(self, input_shape, self.rank)
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} needs a known number of input "
                f"channels, got input shape {tuple(input_shape)}"
            )
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): channels})
        return channels

    def _out_channels(self, input_shape):
        raise NotImplementedError(
            f"{type(self).__name__} must define its number of output channels")

    def compute_output_shape(self, input_shape):
        """(N, *out, channels) with Keras's output length per spatial axis."""
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

    def _add_bias(self, size):
        self.bias = self._add_param("bias", (size,)) if self.use_bias else None

    def _bias_and_activation(self, y):
        if self.bias is not None:
            shape = self.bias.shape
            if self.data_format != "channels_last":
                shape = shape + (1,) * self.rank
            y = ops.add(y, ops.reshape(self.bias, shape))
        return self.activation(y)

    def _window_config(self):
        return {"kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate}

    def _conv_config(self):
        return {"activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                **self._params_config(),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}
