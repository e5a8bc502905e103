"""Spatial resizing layers, as Keras 3: `ZeroPadding1D/2D/3D`, `Cropping1D/2D/3D`,
`UpSampling1D/2D/3D`.

Padding/cropping amounts: an int (all sides), one int per axis (both sides), or a
(before, after) pair per axis (an int and a pair may be mixed). UpSampling repeats
rows/columns ("nearest"; the only choice in 3-D) or interpolates them (`ops.image.resize`
"bilinear", half-pixel centres, as Keras does).
"""

import numpy as np

from lamina import ops
from lamina.engine.tensor import data_of, record
from lamina.layers.convolutional import conv_utils as U
from lamina.layers.base.layer import InputSpec, Layer


def _pairs(value, rank, name, layer):
    """int | (a, b, ...) per axis | ((before, after), ...) -> ((before, after),) * rank."""
    if isinstance(value, int) and not isinstance(value, bool):
        pairs = ((value, value),) * rank
    elif rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
        pairs = (tuple(value),)
    elif len(value) == rank and all(
        isinstance(v, int) or (isinstance(v, (tuple, list)) and len(v) == 2) for v in value
    ):
        pairs = tuple((v, v) if isinstance(v, int) else (int(v[0]), int(v[1])) for v in value)
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


class _Borders(_Spatial):
    """Base of ZeroPadding/Cropping: the (before, after) pairs per spatial axis live in the
    attribute named `amount` ("padding" or "cropping"), as Keras's argument of that name."""

    amount = None
    has_data_format = True  # Keras's Cropping1D takes no data_format

    def __init__(self, amounts, data_format=None, **kwargs):
        super().__init__(**kwargs)
        setattr(self, self.amount, _pairs(amounts, self.rank, self.amount, type(self).__name__))
        self._setup(data_format)

    def get_config(self):
        pairs = getattr(self, self.amount)
        config = {**super().get_config(), self.amount: pairs[0] if self.rank == 1 else pairs}
        if self.has_data_format:
            config["data_format"] = self.data_format
        return config


class _ZeroPadding(_Borders):
    amount = "padding"

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
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pad images with zero rows/columns: 1, (rows, cols) or ((top, bottom), (left, right))."""

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pad volumes with zeros on depth, height and width: 1, (d, h, w) or 3 (before, after)
    pairs; `ZeroPadding3D(2)` makes (1, 1, 2, 2, 3) inputs (1, 5, 6, 6, 3)."""

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(_Borders):
    amount = "cropping"

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
    has_data_format = False

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    """Remove rows/columns at the image borders: cropping=((top, bottom), (left, right))."""

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Remove slices at the borders of volumes: 1, (d, h, w) or 3 (before, after) pairs."""

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


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
        valid = {1: ("nearest", "bilinear"), 3: ("nearest",)}.get(
            self.rank, ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"))
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


class UpSampling3D(_UpSampling):
    """Repeat each voxel `size` = (d, h, w) times along depth, height and width."""

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_upsampling(size, "nearest", data_format)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
