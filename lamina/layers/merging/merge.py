"""Merge layers: combine a list of tensors (Add, Subtract, Multiply, Average, Maximum,
Minimum, Concatenate, Dot)."""
import functools

from lamina import ops
from lamina.layers.base.layer import Layer


class _Merge(Layer):
    """Elementwise merge of two or more inputs of broadcast-compatible shapes."""

    _min_inputs = 2

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _check(self, shapes):
        if not isinstance(shapes, (list, tuple)) or not shapes or not isinstance(shapes[0], (list, tuple)):
            raise ValueError(f"{type(self).__name__} layer {self.name!r} expects a list of inputs")
        if len(shapes) < self._min_inputs:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} needs at least {self._min_inputs} inputs, "
                f"got {len(shapes)}"
            )

    def build(self, input_shape):
        self._check(input_shape)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = list(input_shape[0])
        for shape in input_shape[1:]:
            if len(shape) != len(out):
                raise ValueError(
                    f"{type(self).__name__} layer {self.name!r}: inputs of shapes "
                    f"{[tuple(s) for s in input_shape]} have different ranks"
                )
            for i, (a, b) in enumerate(zip(out, shape)):
                if a is None or b is None:
                    out[i] = a if b is None else b if a is None or a == 1 else a
                elif a != b and 1 not in (a, b):
                    raise ValueError(
                        f"{type(self).__name__} layer {self.name!r}: inputs of shapes "
                        f"{[tuple(s) for s in input_shape]} cannot be combined elementwise"
                    )
                else:
                    out[i] = max(a, b)
        return tuple(out)

    def compute_mask(self, inputs, mask=None):
        if mask is None or not isinstance(mask, (list, tuple)):
            return None
        masks = [m for m in mask if m is not None]
        return functools.reduce(ops.logical_and, masks) if masks else None

    def call(self, inputs):
        return functools.reduce(self._combine, inputs)


class Add(_Merge):
    _combine = staticmethod(ops.add)


class Subtract(_Merge):
    _combine = staticmethod(ops.subtract)

    def _check(self, shapes):
        super()._check(shapes)
        if len(shapes) != 2:
            raise ValueError(f"Subtract layer {self.name!r} needs exactly 2 inputs, got {len(shapes)}")


class Multiply(_Merge):
    _combine = staticmethod(ops.multiply)


class Maximum(_Merge):
    _combine = staticmethod(ops.maximum)


class Minimum(_Merge):
    _combine = staticmethod(ops.minimum)


class Average(_Merge):
    def call(self, inputs):
        return ops.divide(functools.reduce(ops.add, inputs), float(len(inputs)))


class Concatenate(_Merge):
    """Join inputs along `axis` (default -1); other axes must match."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        rank = len(input_shape[0])
        axis = self.axis % rank
        out = list(input_shape[0])
        for shape in input_shape[1:]:
            if len(shape) != rank or any(
                i != axis and a is not None and b is not None and a != b
                for i, (a, b) in enumerate(zip(out, shape))
            ):
                raise ValueError(
                    f"Concatenate layer {self.name!r}: inputs of shapes "
                    f"{[tuple(s) for s in input_shape]} must match except along axis {self.axis}"
                )
            out[axis] = None if out[axis] is None or shape[axis] is None else out[axis] + shape[axis]
        return tuple(out)

    def call(self, inputs):
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Dot product of two inputs along `axes` (with optional L2 normalization first)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes = axes
        self.normalize = normalize

    def _axes(self, shapes):
        axes = self.axes if isinstance(self.axes, (list, tuple)) else (self.axes, self.axes)
        return [a % len(s) for a, s in zip(axes, shapes)]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        a, b = (list(s) for s in input_shape)
        ax_a, ax_b = self._axes(input_shape)
        if a[ax_a] is not None and b[ax_b] is not None and a[ax_a] != b[ax_b]:
            raise ValueError(
                f"Dot layer {self.name!r}: axis {ax_a} of {tuple(a)} and axis {ax_b} of {tuple(b)} differ"
            )
        out = a[:ax_a] + a[ax_a + 1:] + b[1:ax_b] + b[ax_b + 1:]
        return tuple(out) if len(out) > 1 else (out[0], 1)

    def call(self, inputs):
        x, y = inputs
        ax_x, ax_y = self._axes([ops.shape(x), ops.shape(y)])
        if self.normalize:
            x, y = ops.normalize(x, axis=ax_x), ops.normalize(y, axis=ax_y)
        # batched contraction: keep axis 0 as the batch axis
        nx, ny = len(ops.shape(x)), len(ops.shape(y))
        letters = "abcdefghijklmnopqrstuvwxyz"
        sx = "z" + letters[: nx - 1]
        sy = "z" + letters[nx - 1: nx + ny - 2]
        sy = sy[:ax_y] + sx[ax_x] + sy[ax_y + 1:]
        out_spec = "z" + "".join(c for c in sx[1:] if c != sx[ax_x]) + "".join(c for c in sy[1:] if c != sx[ax_x])
        out = ops.einsum(f"{sx},{sy}->{out_spec}", x, y)
        return ops.expand_dims(out, -1) if len(ops.shape(out)) == 1 else out

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    return Dot(axes=axes, **kwargs)(inputs)
