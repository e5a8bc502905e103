"""`STFT` initializer: a Conv1D kernel (frame_length, channels, bins) whose outputs are the
real or imaginary parts of a windowed short-time Fourier transform, as Keras 3."""

import numpy as np

from lamina.engine.tensor import Tensor
from lamina.initializers.constant_initializers import _dtype, _shape
from lamina.initializers.initializer import Initializer

_WINDOWS = ("hann", "hamming", "blackman", "bartlett", "boxcar")


def _window(name, length, periodic):
    from scipy import signal  # noqa: PLC0415  (scipy is slow to import)

    return signal.get_window(name, length, fftbins=periodic)


class STFT(Initializer):
    """kernel[t, c, k] = cos or -sin(2 pi t k / (2 (bins - 1))) * window[t] / scale, with scale
    sqrt(sum(window^2)) ("density"), sum(|window|) ("spectrum") or 1 (None)."""

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"STFT: side must be 'real' or 'imag', got {side!r}")
        if isinstance(window, str) and window not in _WINDOWS:
            raise ValueError(
                f"STFT: window must be one of {_WINDOWS}, an array or None, got {window!r}"
            )
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(
                f"STFT: scaling must be None, 'density' or 'spectrum', got {scaling!r}"
            )
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        shape = _shape(shape, "STFT")
        if len(shape) != 3:
            raise ValueError(
                f"STFT initializer builds (frame_length, channels, bins) kernels, got shape={shape}"
            )
        frame_length, channels, bins = shape
        dtype = _dtype(dtype, "STFT")
        time = np.arange(frame_length, dtype=np.float64)[:, None, None]
        freq = np.arange(bins, dtype=np.float64)[None, None, :] / ((bins - 1) * 2)
        angles = -2.0 * np.pi * time * freq
        kernel = np.cos(angles) if self.side == "real" else np.sin(angles)
        kernel = np.broadcast_to(kernel, (frame_length, channels, bins)).copy()
        if self.window is not None:
            win = (
                _window(self.window, frame_length, self.periodic)
                if isinstance(self.window, str)
                else np.asarray(self.window, np.float64)
            )
            if win.shape != (frame_length,):
                raise ValueError(
                    f"STFT: the window must have shape ({frame_length},), got {win.shape}"
                )
            scale = {"density": np.sqrt(np.sum(win * win)), "spectrum": np.sum(np.abs(win))}.get(
                self.scaling, 1.0
            )
            kernel *= win[:, None, None] / scale
        return Tensor(kernel.astype(dtype))

    def get_config(self):
        window = (
            self.window
            if self.window is None or isinstance(self.window, str)
            else list(np.asarray(self.window))
        )
        return {
            "side": self.side,
            "window": window,
            "scaling": self.scaling,
            "periodic": self.periodic,
        }
