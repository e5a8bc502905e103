"""`Conv1D`, `Conv2D` and `Conv3D`: activation(conv(inputs, kernel) + bias), as Keras 3.

Channels-last inputs (N, *spatial, C) by default. The convolution, bias and ReLU run as one
fused op (im2col + one matmul, `lamina.kernels.conv`); other activations follow it.
"""

from lamina import activations, ops
from lamina.layers.convolutional import conv_utils as U
from lamina.layers.convolutional.conv_common import ConvCommon
from lamina.kernels import conv as fused_conv


class BaseConv(ConvCommon):
    """N-D convolution (N = `rank`, 1, 2 or 3): kernel (*kernel_size, in_channels // groups,
    filters), glorot_uniform; bias (filters,), zeros."""

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
        kind = type(self).__name__
        if lora_rank is not None:
            raise NotImplementedError(f"{kind}(lora_rank=...) is not supported by lamina")
        self.filters = U.check_positive_int(filters, "filters", kind)
        self.groups = U.check_positive_int(groups, "groups", kind)
        if filters % groups:
            raise ValueError(f"{kind}: filters ({filters}) must be divisible by groups ({groups})")
        self._init_window(kernel_size, strides, padding, data_format, dilation_rate,
                          allow_causal=self.rank == 1)
        self._init_conv_params(activation, use_bias,
                          kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
                          bias=(bias_initializer, bias_regularizer, bias_constraint))
        self._fuse_relu = self.activation is activations.relu

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: the input's {channels} channels "
                f"are not divisible by groups={self.groups}"
            )
        self.compute_output_shape(input_shape)  # validates the window against the input size
        self.kernel = self._add_param(
            "kernel", self.kernel_size + (channels // self.groups, self.filters), "kernel")
        self._add_bias(self.filters)
        self._build_input_shape = tuple(input_shape)

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

    def _out_channels(self, input_shape):
        return self.filters

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
        return {**super().get_config(), "filters": self.filters, **self._window_config(),
                "groups": self.groups, **self._conv_config()}


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
