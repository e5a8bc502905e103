"""`Conv1D`, `Conv2D` and `Conv3D`: activation(conv(inputs, kernel) + bias), as Keras 3.

Channels-last inputs (N, *spatial, C) by default. The convolution, bias and ReLU run as one
fused op (im2col + one matmul, `lamina.ops.fused_conv`); other activations follow it.
"""

from lamina import activations, constraints, initializers, ops, regularizers
from lamina.layers import conv_utils as U
from lamina.layers.layer import InputSpec, Layer
from lamina.ops import fused_conv


class BaseConv(Layer):
    """N-D convolution (N = `rank`, 1, 2 or 3): kernel (*kernel_size, in_channels // groups,
    filters), glorot_uniform; bias (filters,), zeros."""

    rank = None

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        kind, rank = type(self).__name__, self.rank
        if lora_rank is not None:
            raise NotImplementedError(f"{kind}(lora_rank=...) is not supported by lamina")
        self.filters = U.check_positive_int(filters, "filters", kind)
        self.groups = U.check_positive_int(groups, "groups", kind)
        if filters % groups:
            raise ValueError(f"{kind}: filters ({filters}) must be divisible by groups ({groups})")
        self.kernel_size = U.standardize_tuple(kernel_size, rank, "kernel_size", kind)
        self.strides = U.standardize_tuple(strides, rank, "strides", kind)
        self.dilation_rate = U.standardize_tuple(dilation_rate, rank, "dilation_rate", kind)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{kind}: strides > 1 cannot be combined with dilation_rate > 1 (got strides="
                f"{self.strides}, dilation_rate={self.dilation_rate})"
            )
        self.padding = U.standardize_padding(padding, kind, allow_causal=rank == 1)
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
        self._fuse_relu = self.activation is activations.relu

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape):
        U.check_input_rank(self, input_shape, self.rank)
        channels = input_shape[self._channel_axis()]
        kind = type(self).__name__
        if channels is None:
            raise ValueError(
                f"{kind} layer {self.name!r} needs a known number of input channels, got "
                f"input shape {tuple(input_shape)}"
            )
        if channels % self.groups:
            raise ValueError(
                f"{kind} layer {self.name!r}: the input's {channels} channels are not "
                f"divisible by groups={self.groups}"
            )
        self.compute_output_shape(input_shape)  # validates the window against the input size
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels // self.groups, self.filters),
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
        self._build_input_shape = tuple(input_shape)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): channels})

    def call(self, inputs):
        x = inputs
        last = self.data_format == "channels_last"
        if not last:
            x = ops.transpose(x, (0, *range(2, self.rank + 2), 1))
        padding = self.padding
        if padding == "causal":  # pad (k - 1) * d steps on the left, then a valid convolution
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            x = ops.pad(x, ((0, 0), (left, 0), (0, 0)))
            padding = "valid"
        fuse = self._fuse_relu
        if self.groups == 1:
            y = fused_conv.conv_bias_act(
                x, self.kernel, self.bias, self.strides, padding, self.dilation_rate, relu=fuse
            )
        else:
            y = self._grouped(x, padding, fuse)
        if not last:
            y = ops.transpose(y, (0, self.rank + 1, *range(1, self.rank + 1)))
        return y if fuse else self.activation(y)

    def _grouped(self, x, padding, relu):
        """Each group of input channels convolved with its own filters, concatenated."""
        cin = self.kernel.shape[-2]
        per = self.filters // self.groups
        outs = []
        for i in range(self.groups):
            xi = x[..., i * cin : (i + 1) * cin]
            ki = self.kernel[..., i * per : (i + 1) * per]
            bi = None if self.bias is None else self.bias[i * per : (i + 1) * per]
            outs.append(
                fused_conv.conv_bias_act(
                    xi, ki, bi, self.strides, padding, self.dilation_rate, relu=relu
                )
            )
        return ops.concatenate(outs, axis=-1)

    def compute_output_shape(self, input_shape):
        U.check_input_rank(self, input_shape, self.rank)
        spatial, _ = U.split_channels(input_shape, self.rank, self.data_format)
        axes = U.spatial_axes_names(self.rank)
        out = tuple(
            U.output_length(
                size,
                k,
                s,
                self.padding,
                d,
                "kernel",
                axis,
                f"{type(self).__name__} layer {self.name!r}",
            )
            for size, k, s, d, axis in zip(
                spatial, self.kernel_size, self.strides, self.dilation_rate, axes
            )
        )
        return U.join_channels(input_shape[0], out, self.filters, self.data_format)

    def _expected_input_shape(self):
        shape = getattr(self, "_build_input_shape", None)
        return None if shape is None else (None,) + shape[1:]

    def _input_hint(self, shape):
        try:
            U.check_input_rank(self, shape, self.rank)
        except ValueError as e:
            msg = str(e)
            return msg[msg.index(": ") + 2 :] if ": " in msg else ""
        return "the number of channels differs from what the layer was built for"

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
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


class Conv1D(BaseConv):
    """1-D convolution over (batch, steps, channels); padding may also be "causal"."""

    rank = 1


class Conv2D(BaseConv):
    """2-D convolution over (batch, height, width, channels) images.

    `Conv2D(32, 3, activation="relu")` on 28x28x1 inputs has 3*3*1*32 + 32 = 320 parameters.
    """

    rank = 2


class Conv3D(BaseConv):
    """3-D convolution over (batch, depth, height, width, channels) volumes (video, scans).

    `Conv3D(8, 3)` on 16x16x16x1 inputs has 3*3*3*1*8 + 8 = 224 parameters. Runs on NumPy
    (im2col over the kd*kh*kw window offsets); the compiled kernels are 2-D only.
    """

    rank = 3
