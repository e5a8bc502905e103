"""Spatial resizing layers, as Keras 3: `ZeroPadding1D/2D`, `Cropping1D/2D`, `UpSampling1D/2D`.

Padding/cropping amounts: an int (all sides), one int per axis (both sides), or a
(before, after) pair per axis. UpSampling repeats rows/columns ("nearest") or interpolates
them (`ops.image.resize` "bilinear", half-pixel centres, as Keras does).
"""

import numpy as np

from lamina import ops
from lamina.engine.tensor import data_of, record
from lamina.layers import conv_utils as U
from lamina.layers.layer import InputSpec, Layer


def _pairs(value, rank, name, layer):
    """int | (a, b, ...) per axis | ((before, after), ...) -> ((before, after),) * rank."""
    if isinstance(value, int) and not isinstance(value, bool):
        pairs = ((value, value),) * rank
    elif rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
        pairs = (tuple(value),)
    elif len(value) == rank and all(isinstance(v, int) for v in value):
        pairs = tuple((v, v) for v in value)
    elif len(value) == rank and all(isinstance(v, (tuple, list)) and len(v) == 2 for v in value):
        pairs = tuple((int(a), int(b)) for a, b in value)
    else:
        raise ValueError(
            f"{layer}: {name} must be an int, {rank} ints or {rank} (before, after) pairs, "
            f"got {value!r}"
        )
    if any(v < 0 for p in pairs for v in p):
        raise ValueError(f"{layer}: {name} must be non-negative, got {value!r}")
    return pairs


class _Spatial(Layer):
    rank = None

    def _setup(self, data_format):
        self.data_format = U.standardize_data_format(data_format, type(self).__name__)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def _spatial_axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def _map_spatial(self, input_shape, fn):
        U.check_input_rank(self, input_shape, self.rank)
        out = list(input_shape)
        for i, ax in enumerate(self._spatial_axes()):
            out[ax] = None if out[ax] is None else fn(i, out[ax])
        return tuple(out)


class _ZeroPadding(_Spatial):
    def call(self, inputs):
        width = [(0, 0)] * (self.rank + 2)
        for pair, ax in zip(self.padding, self._spatial_axes()):
            width[ax] = pair
        return ops.pad(inputs, width)

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda i, n: n + sum(self.padding[i]))


class ZeroPadding1D(_ZeroPadding):
    """Pad (batch, steps, features) with zero steps: padding=1 or (left, right)."""

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, 1, "padding", "ZeroPadding1D")
        self._setup(data_format)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding[0], "data_format": self.data_format}


class ZeroPadding2D(_ZeroPadding):
    """Pad images with zero rows/columns: 1, (rows, cols) or ((top, bottom), (left, right))."""

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, 2, "padding", "ZeroPadding2D")
        self._setup(data_format)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class _Cropping(_Spatial):
    def _check(self, shape):
        for (a, b), ax in zip(self.cropping, self._spatial_axes()):
            if shape[ax] is not None and a + b >= shape[ax]:
                raise ValueError(
                    f"{type(self).__name__} layer {self.name!r}: cropping {(a, b)} removes all "
                    f"{shape[ax]} positions of axis {ax} of inputs of shape {tuple(shape)}"
                )

    def call(self, inputs):
        self._check(inputs.shape)
        key = [slice(None)] * (self.rank + 2)
        for (a, b), ax in zip(self.cropping, self._spatial_axes()):
            key[ax] = slice(a, inputs.shape[ax] - b)
        return inputs[tuple(key)]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return self._map_spatial(input_shape, lambda i, n: n - sum(self.cropping[i]))


class Cropping1D(_Cropping):
    """Remove steps at the start and end of (batch, steps, features): cropping=(1, 1)."""

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, 1, "cropping", "Cropping1D")
        self._setup(None)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping[0]}


class Cropping2D(_Cropping):
    """Remove rows/columns at the image borders: cropping=((top, bottom), (left, right))."""

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, 2, "cropping", "Cropping2D")
        self._setup(data_format)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


def _repeat_nearest(x, axes, sizes):
    """Repeat each element `sizes[i]` times along `axes[i]` (one op; backward sums the copies)."""
    a = data_of(x)
    view, bcast = [], []
    for d, n in enumerate(a.shape):
        view.append(n)
        bcast.append(n)
        if d in axes:
            view.append(1)
            bcast.append(sizes[axes.index(d)])
    out = np.broadcast_to(a.reshape(view), bcast).reshape(
        tuple(n * sizes[axes.index(d)] if d in axes else n for d, n in enumerate(a.shape))
    )
    summed = tuple(i + 1 + k for k, i in enumerate(sorted(axes)))  # the inserted copy axes

    def backward(g, need):
        return (g.reshape(bcast).sum(axis=summed),)

    return record(out, (x,), backward)


class _UpSampling(_Spatial):
    def _init_upsampling(self, size, interpolation, data_format):
        kind = type(self).__name__
        self.size = U.standardize_tuple(size, self.rank, "size", kind)
        valid = ("nearest", "bilinear") if self.rank == 1 else (
            "nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")
        if interpolation not in valid:
            raise ValueError(f"{kind}: interpolation must be one of {valid}, got {interpolation!r}")
        self.interpolation = interpolation
        self._setup(data_format)

    def call(self, inputs):
        axes = self._spatial_axes()
        if self.interpolation == "nearest":
            return _repeat_nearest(inputs, list(axes), list(self.size))
        size = [inputs.shape[ax] * s for ax, s in zip(axes, self.size)]
        return ops.image.resize(inputs, size, self.interpolation, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda i, n: n * self.size[i])


class UpSampling1D(_UpSampling):
    """Repeat each step `size` times: (batch, steps, features) -> (batch, steps * size, ...)."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self._init_upsampling(size, "nearest", None)

    def get_config(self):
        return {**super().get_config(), "size": self.size[0]}


class UpSampling2D(_UpSampling):
    """Enlarge images by (rows, cols) factors `size`, interpolation 'nearest' or 'bilinear'."""

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self._init_upsampling(size, interpolation, data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }
