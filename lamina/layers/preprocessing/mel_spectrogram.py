"""`MelSpectrogram`: (batch, samples) audio -> (batch, num_mel_bins, frames) mel power
spectrogram, in decibels by default, as Keras 3 (HTK mel scale, centred STFT frames)."""

import numpy as np

from lamina import ops
from lamina.layers.base.layer import Layer

_MEL_BREAK_HZ = 700.0
_MEL_HIGH_Q = 1127.0


def hertz_to_mel(hz):
    return _MEL_HIGH_Q * np.log(1.0 + np.asarray(hz, np.float64) / _MEL_BREAK_HZ)


def linear_to_mel_weight_matrix(
    num_mel_bins, num_spectrogram_bins, sampling_rate, lower_edge_hertz, upper_edge_hertz
):
    """(num_spectrogram_bins, num_mel_bins) triangular filters, equally spaced in mel; the DC bin
    gets no weight."""
    freqs = np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins)[1:]
    bins_mel = hertz_to_mel(freqs)[:, None]
    edges = np.linspace(
        hertz_to_mel(lower_edge_hertz), hertz_to_mel(upper_edge_hertz), num_mel_bins + 2
    )
    lower, center, upper = edges[:-2][None, :], edges[1:-1][None, :], edges[2:][None, :]
    weights = np.maximum(
        0.0,
        np.minimum((bins_mel - lower) / (center - lower), (upper - bins_mel) / (upper - center)),
    )
    return np.pad(weights, [(1, 0), (0, 0)])


class MelSpectrogram(Layer):
    def __init__(
        self,
        fft_length=2048,
        sequence_stride=512,
        sequence_length=None,
        window="hann",
        sampling_rate=16000,
        num_mel_bins=128,
        min_freq=20.0,
        max_freq=None,
        power_to_db=True,
        top_db=80.0,
        mag_exp=2.0,
        min_power=1e-10,
        ref_power=1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.fft_length, self.sequence_stride = fft_length, sequence_stride
        self.sequence_length = sequence_length or fft_length
        if fft_length < self.sequence_length:
            raise ValueError(
                f"MelSpectrogram: fft_length ({fft_length}) must be >= sequence_length "
                f"({self.sequence_length})"
            )
        self.window, self.sampling_rate, self.num_mel_bins = window, sampling_rate, num_mel_bins
        self.min_freq, self.max_freq = min_freq, max_freq or int(sampling_rate / 2)
        self.power_to_db, self.top_db, self.mag_exp = power_to_db, top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power
        self.built = True

    def call(self, inputs):
        real, imag = ops.stft(
            inputs,
            self.sequence_length,
            self.sequence_stride,
            self.fft_length,
            window=self.window,
            center=True,
        )
        spec = ops.power(ops.sqrt(ops.add(ops.square(real), ops.square(imag))), self.mag_exp)
        matrix = linear_to_mel_weight_matrix(
            self.num_mel_bins, spec.shape[-1], self.sampling_rate, self.min_freq, self.max_freq
        ).astype(spec.dtype)
        mel = ops.tensordot(spec, matrix, axes=1)
        if self.power_to_db:
            db = ops.multiply(10.0, ops.log10(ops.maximum(mel, self.min_power)))
            db = ops.subtract(db, 10.0 * np.log10(max(abs(self.ref_power), self.min_power)))
            mel = ops.maximum(db, ops.subtract(ops.max(db), self.top_db))
        return ops.swapaxes(mel, -1, -2)

    def compute_output_shape(self, input_shape):
        steps = input_shape[-1]
        frames = (
            None
            if steps is None
            else 1 + (steps + 2 * (self.fft_length // 2) - self.fft_length) // self.sequence_stride
        )
        return (*input_shape[:-1], self.num_mel_bins, frames)

    def get_config(self):
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }
