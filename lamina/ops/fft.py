"""Fourier transforms of `keras.ops`: fft, fft2, ifft2, rfft, irfft, stft, istft.

As in Keras, complex values travel as (real, imag) pairs of real tensors. Every transform is
linear, so its gradient is its adjoint: for a complex map y = A x written on real pairs, the
cotangents (g_re, g_im) pull back to A^H (g_re + i g_im), split into real and imaginary parts.
"""

import numpy as np

from lamina.ops import math
from lamina.ops._base import data_of, fdata, record
from lamina.ops.shape import pad, take


def _pair(op, x):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"{op}: x must be a (real, imag) pair of tensors, got {type(x).__name__}")
    re, im = x
    a, b = fdata(re), fdata(im)
    if a.shape != b.shape:
        raise ValueError(
            f"{op}: the real and imaginary parts must have one shape, got {a.shape} and {b.shape}"
        )
    return re, im, a, b


def _complex_out(y, inputs, adjoint, dtype):
    """(real, imag) tensors of complex `y`; `adjoint(c)` maps a complex cotangent of y to one
    cotangent per input (complex for a (re, im) input pair, real for one real input)."""

    def back(c):
        h = adjoint(c)
        if len(inputs) == 2:
            return np.real(h).astype(dtype), np.imag(h).astype(dtype)
        return (np.real(h).astype(dtype),)

    re = record(np.real(y).astype(dtype), inputs, lambda g, need: back(g))
    im = record(np.imag(y).astype(dtype), inputs, lambda g, need: back(1j * g))
    return re, im


def fft(x):
    """Discrete Fourier transform along the last axis of a (real, imag) pair."""
    re, im, a, b = _pair("fft", x)
    n = a.shape[-1]
    return _complex_out(np.fft.fft(a + 1j * b), (re, im), lambda c: n * np.fft.ifft(c), a.dtype)


def fft2(x):
    """2-D discrete Fourier transform over the last two axes of a (real, imag) pair."""
    re, im, a, b = _pair("fft2", x)
    n = a.shape[-1] * a.shape[-2]
    return _complex_out(np.fft.fft2(a + 1j * b), (re, im), lambda c: n * np.fft.ifft2(c), a.dtype)


def ifft2(x):
    """Inverse 2-D discrete Fourier transform over the last two axes of a (real, imag) pair."""
    re, im, a, b = _pair("ifft2", x)
    n = a.shape[-1] * a.shape[-2]
    return _complex_out(np.fft.ifft2(a + 1j * b), (re, im), lambda c: np.fft.fft2(c) / n, a.dtype)


def _fit(arr, length):
    """Crop or zero-pad the last axis of `arr` to `length`."""
    have = arr.shape[-1]
    if have >= length:
        return arr[..., :length]
    return np.concatenate([arr, np.zeros(arr.shape[:-1] + (length - have,), arr.dtype)], axis=-1)


def rfft(x, fft_length=None):
    """Fourier transform of a real signal along the last axis: (real, imag) of the
    fft_length // 2 + 1 non-negative frequencies (the signal is cropped or zero-padded)."""
    a = fdata(x)
    n = a.shape[-1] if fft_length is None else int(fft_length)
    m = a.shape[-1]
    # adjoint: place the bins in a full spectrum, n * ifft, real part, back to m samples
    return _complex_out(
        np.fft.rfft(a, n=n), (x,), lambda c: _fit(n * np.fft.ifft(_fit(c, n)), m), a.dtype
    )


def irfft(x, fft_length=None):
    """Inverse of rfft: a real signal of fft_length samples (default 2 (bins - 1)) from the
    (real, imag) pair of its non-negative frequencies."""
    re, im, a, b = _pair("irfft", x)
    m = a.shape[-1]
    n = 2 * (m - 1) if fft_length is None else int(fft_length)
    out = np.fft.irfft(a + 1j * b, n=n).astype(a.dtype)
    bins = n // 2 + 1
    weight = np.full(bins, 2.0 / n)  # each inner bin stands for itself and its mirror image
    weight[0] = 1.0 / n
    if n % 2 == 0:
        weight[-1] = 1.0 / n

    def backward(g, need):
        spec = _fit(np.fft.rfft(g, n=n) * weight, m)
        return np.real(spec).astype(a.dtype), np.imag(spec).astype(a.dtype)

    return record(out, (re, im), backward)


def _stft_window(window, sequence_length, fft_length, dtype):
    """The analysis window (periodic Hann or Hamming, or an array) zero-padded in the middle of
    fft_length samples, or ones."""
    if window is None:  # Keras's rectangular window spans all fft_length samples
        return np.ones(fft_length, dtype)
    if isinstance(window, str):
        k = np.arange(sequence_length)
        if window == "hann":
            win = 0.5 - 0.5 * np.cos(2 * np.pi * k / sequence_length)
        elif window == "hamming":
            win = 0.54 - 0.46 * np.cos(2 * np.pi * k / sequence_length)
        else:
            raise ValueError(f"window must be 'hann', 'hamming', an array or None, got {window!r}")
    else:
        win = np.asarray(data_of(window), np.float64)
        if win.shape != (sequence_length,):
            raise ValueError(
                f"window must have shape ({sequence_length},) (sequence_length), got {win.shape}"
            )
    left = (fft_length - sequence_length) // 2
    return np.pad(win, (left, fft_length - sequence_length - left)).astype(dtype)


def _check_lengths(op, sequence_length, sequence_stride, fft_length):
    if fft_length < sequence_length:
        raise ValueError(
            f"{op}: fft_length ({fft_length}) must be >= sequence_length ({sequence_length})"
        )
    if sequence_stride <= 0:
        raise ValueError(f"{op}: sequence_stride must be positive, got {sequence_stride}")


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform of real signals (..., samples): (real, imag) of shape
    (..., frames, fft_length // 2 + 1). With `center`, the signal is reflect-padded by
    fft_length // 2 on both sides, so frame t is centred on sample t * sequence_stride."""
    _check_lengths("stft", sequence_length, sequence_stride, fft_length)
    a = fdata(x)
    if a.dtype.kind != "f":
        raise TypeError(f"stft: x must be float32 or float64, got {a.dtype}")
    nd = a.ndim
    if center:
        half = fft_length // 2
        x = pad(x, [(0, 0)] * (nd - 1) + [(half, half)], mode="reflect")
    total = data_of(x).shape[-1]
    if total < fft_length:
        raise ValueError(
            f"stft: the signal ({total} samples after padding) is shorter than fft_length ({fft_length})"
        )
    frames = (total - fft_length) // sequence_stride + 1
    index = np.arange(frames)[:, None] * sequence_stride + np.arange(fft_length)[None, :]
    framed = take(x, index, axis=nd - 1)  # (..., frames, fft_length)
    win = _stft_window(window, sequence_length, fft_length, a.dtype)
    return rfft(math.multiply(framed, win), fft_length)


def _overlap_add(frames, stride):
    """Sum frames (..., f, n) placed every `stride` samples: (..., (f - 1) stride + n)."""
    a = data_of(frames)
    f, n = a.shape[-2:]
    index = (np.arange(f)[:, None] * stride + np.arange(n)[None, :]).ravel()
    length = (f - 1) * stride + n
    flat = a.reshape(-1, f * n)
    out = np.zeros((flat.shape[0], length), a.dtype)
    for row, values in zip(out, flat):
        row += np.bincount(index, weights=values, minlength=length)
    out = out.reshape(a.shape[:-2] + (length,))
    return record(out, (frames,), lambda g, need: (g[..., index].reshape(a.shape),))


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """Inverse of stft: windowed overlap-add of the frames' inverse transforms, divided by the
    overlap-added squared window; `length` crops the signal (after the centre padding)."""
    _check_lengths("istft", sequence_length, sequence_stride, fft_length)
    re, im, a, b = _pair("istft", x)
    frames = a.shape[-2]
    win = _stft_window(window, sequence_length, fft_length, a.dtype)
    signal = _overlap_add(math.multiply(irfft((re, im), fft_length), win), sequence_stride)
    norm = np.bincount(
        (np.arange(frames)[:, None] * sequence_stride + np.arange(fft_length)).ravel(),
        weights=np.tile(win * win, frames),
    )
    if window is None:  # Keras scales the rectangular window's result by fft_length / stride
        norm = norm * (sequence_stride / fft_length)
    signal = math.divide(signal, np.where(norm > 1e-10, norm, 1.0).astype(a.dtype))
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + int(length)
    elif center:
        end = signal.shape[-1] - fft_length // 2
    else:
        end = signal.shape[-1]
    return signal[..., start:end]
