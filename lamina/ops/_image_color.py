"""Colour conversions of `keras.ops.image`: grayscale, RGB <-> HSV (not public; see image.py).

Built from differentiable lamina ops, so gradients flow (piecewise, like Keras's TF/JAX
backends). HSV follows Keras's formulas (those of dm_pix): every channel in [0, 1], hue 0
red, 1/3 green, 2/3 blue, for float images with values in [0, 1].
"""
import numpy as np

from lamina.engine.tensor import Tensor, record
from lamina.ops import math as M
from lamina.ops._image_args import check_images
from lamina.ops.shapes import getitem, stack

GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)  # tf.image.rgb_to_grayscale


def _channel_axis(ndim, fmt):
    return ndim - 3 if fmt == "channels_first" else ndim - 1


def _check_rgb(x, op, axis, float_only):
    if x.shape[axis] != 3:
        raise ValueError(f"{op}: images need 3 channels on axis {axis - x.ndim}, got shape "
                         f"{tuple(x.shape)}; check data_format")
    if float_only and x.dtype.kind != "f":
        raise ValueError(f"{op}: `images` must be floats with values in [0, 1], got dtype "
                         f"{x.dtype}; convert first, e.g. ops.cast(images, 'float32') / 255")


def _planes(images, axis):
    """The three channel planes, as Tensors (differentiable slices)."""
    return [getitem(images, (slice(None),) * axis + (i,)) for i in range(3)]


def rgb_to_grayscale(images, data_format=None):
    """0.2989 R + 0.5870 G + 0.1140 B, keeping a channel axis of 1: (..., H, W, 1).

    Integer images are computed in float32 and cast back (truncated), as Keras does."""
    x, fmt = check_images(images, "rgb_to_grayscale", data_format)
    axis = _channel_axis(x.ndim, fmt)
    _check_rgb(x, "rgb_to_grayscale", axis, float_only=False)
    work = x if x.dtype.kind == "f" else x.astype(np.float32)
    weights = np.asarray(GRAY_WEIGHTS, dtype=work.dtype)
    out = np.expand_dims(np.tensordot(work, weights, axes=([axis], [0])), axis)
    if x.dtype.kind != "f":
        return Tensor(out.astype(x.dtype))
    shape = [1] * x.ndim
    shape[axis] = 3
    # d out / d x_c = w_c, the same for every pixel
    return record(out, (images,), lambda g, need: (g * weights.reshape(shape),))


def rgb_to_hsv(images, data_format=None):
    """RGB floats in [0, 1] -> (hue, saturation, value), all in [0, 1]."""
    x, fmt = check_images(images, "rgb_to_hsv", data_format)
    axis = _channel_axis(x.ndim, fmt)
    _check_rgb(x, "rgb_to_hsv", axis, float_only=True)
    tiny = np.abs(x) < np.finfo(x.dtype).eps
    if tiny.any():  # Keras zeroes values below eps before converting
        images = M.where(tiny, np.zeros((), x.dtype), images)
    r, g, b = _planes(images, axis)
    value = M.maximum(M.maximum(r, g), b)
    spread = value - M.minimum(M.minimum(r, g), b)
    v, s = value.data, spread.data
    saturation = M.where(v > 0, spread / M.where(v > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * M.where(s > 0, spread, 1.0))
    hue = M.where(v == g.data, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = M.where(v == r.data, norm * (g - b), hue)
    hue = M.where(s > 0, hue, 0.0) + (hue.data < 0).astype(x.dtype)
    return stack([hue, saturation, value], axis=axis)


def hsv_to_rgb(images, data_format=None):
    """(hue, saturation, value) floats in [0, 1] -> RGB in [0, 1]."""
    x, fmt = check_images(images, "hsv_to_rgb", data_format)
    axis = _channel_axis(x.ndim, fmt)
    _check_rgb(x, "hsv_to_rgb", axis, float_only=True)
    hue, saturation, value = _planes(images, axis)
    dh = M.mod(hue, 1.0) * 6.0
    red = M.clip(M.abs(dh - 3.0) - 1.0, 0.0, 1.0)
    green = M.clip(2.0 - M.abs(dh - 2.0), 0.0, 1.0)
    blue = M.clip(2.0 - M.abs(dh - 4.0), 0.0, 1.0)
    grey = 1.0 - saturation
    return stack([value * (grey + saturation * c) for c in (red, green, blue)], axis=axis)
