"""`STFTSpectrogram`: spectrograms of (batch, time, channels) signals computed as strided
Conv1D with STFT kernels (trainable by default, like Keras 3)."""

import math

from lamina import initializers, ops
from lamina.engine import dtypes
from lamina.layers.base.layer import InputSpec, Layer
from lamina.layers.convolutional import conv_utils as U

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


class STFTSpectrogram(Layer):
    """mode: "log" (log magnitude), "magnitude", "psd" (power, doubled for the inner bins),
    "real", "imag", "angle" or "stft" (real and imaginary bins concatenated). Output
    (batch, frames, channels * bins), or (batch, frames, bins, channels) with expand_dims
    (channels_first: the channel axis first)."""

    def __init__(
        self,
        mode="log",
        frame_length=256,
        frame_step=None,
        fft_length=None,
        window="hann",
        periodic=False,
        scaling="density",
        padding="valid",
        expand_dims=False,
        data_format=None,
        **kwargs,
    ):
        if frame_step is not None and not 1 <= frame_step <= frame_length:
            raise ValueError(
                f"STFTSpectrogram: frame_step must be in [1, frame_length={frame_length}], got {frame_step}"
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                f"STFTSpectrogram: fft_length ({fft_length}) must be >= frame_length ({frame_length})"
            )
        if mode not in _MODES:
            raise ValueError(f"STFTSpectrogram: mode must be one of {_MODES}, got {mode!r}")
        if padding not in ("valid", "same"):
            raise ValueError(f"STFTSpectrogram: padding must be 'valid' or 'same', got {padding!r}")
        initializers.STFT("real", window, scaling, periodic)  # validates window and scaling
        super().__init__(**kwargs)
        self.mode, self.frame_length, self.frame_step, self.fft_length = (
            mode,
            frame_length,
            frame_step,
            fft_length,
        )
        self._frame_step = frame_step or frame_length // 2
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window, self.periodic, self.scaling, self.padding = window, periodic, scaling, padding
        self.expand_dims = expand_dims
        self.data_format = U.standardize_data_format(data_format, "STFTSpectrogram")
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel",
                shape=shape,
                initializer=initializers.STFT("real", self.window, self.scaling, self.periodic),
            )
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel",
                shape=shape,
                initializer=initializers.STFT("imag", self.window, self.scaling, self.periodic),
            )

    def _conv(self, inputs, kernel):
        """(batch, channels, bins, frames) for each channel's signal."""
        if self.data_format == "channels_last":
            _, steps, channels = inputs.shape
            signals = ops.reshape(ops.transpose(inputs, (0, 2, 1)), (-1, steps, 1))
        else:
            _, channels, steps = inputs.shape
            signals = ops.reshape(inputs, (-1, steps, 1))
        out = ops.conv(
            signals, kernel, strides=self._frame_step, padding=self.padding
        )  # (B*C, frames, bins)
        return ops.reshape(
            ops.transpose(out, (0, 2, 1)), (-1, channels, kernel.shape[-1], out.shape[1])
        )

    def _arrange(self, x):
        _, channels, bins, frames = x.shape
        if self.expand_dims:
            return ops.transpose(
                x, (0, 3, 2, 1) if self.data_format == "channels_last" else (0, 1, 3, 2)
            )
        x = ops.reshape(x, (-1, channels * bins, frames))
        return ops.transpose(x, (0, 2, 1)) if self.data_format == "channels_last" else x

    def call(self, inputs):
        real = self._conv(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._conv(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._arrange(real)
        if self.mode == "imag":
            return self._arrange(imag)
        if self.mode == "angle":
            return self._arrange(ops.arctan2(imag, real))
        if self.mode == "stft":
            return self._arrange(ops.concatenate([real, imag], axis=2))
        power = ops.add(ops.square(real), ops.square(imag))
        if self.mode == "psd":  # one-sided: the inner bins also hold the negative frequencies
            inner = ops.pad(power[:, :, 1:-1, :], [[0, 0], [0, 0], [1, 1], [0, 0]])
            return self._arrange(ops.add(power, inner))
        eps = dtypes.epsilon()
        magnitude = self._arrange(ops.sqrt(ops.maximum(power, eps)))
        return magnitude if self.mode == "magnitude" else ops.log(ops.maximum(magnitude, eps))

    def compute_output_shape(self, input_shape):
        last = self.data_format == "channels_last"
        steps, channels = (
            (input_shape[1], input_shape[2]) if last else (input_shape[2], input_shape[1])
        )
        bins = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        if steps is None:
            frames = None
        elif self.padding == "same":
            frames = -(-steps // self._frame_step)
        else:
            frames = (steps - self.frame_length) // self._frame_step + 1
        if self.expand_dims:
            return (
                (input_shape[0], frames, bins, channels)
                if last
                else (input_shape[0], channels, frames, bins)
            )
        width = None if channels is None else bins * channels
        return (input_shape[0], frames, width) if last else (input_shape[0], width, frames)

    def get_config(self):
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        }
