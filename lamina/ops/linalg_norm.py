"""`norm`: vector and matrix norms with NumPy's (and Keras's) `ord`/`axis` rules.

Built from differentiable ops (sum, abs, max, svd, ...), so the gradient comes for free;
where a norm has a kink (|x| at 0, ties in max) the gradient is the ops' one-sided choice.
"""

import numpy as np

from lamina.engine import dtypes
from lamina.ops._base import data_of
from lamina.ops import core, logic, math, reduce
from lamina.ops.linalg_spectral import svd
from lamina.ops.shapes import expand_dims, moveaxis, squeeze

_MATRIX_ORDS = (None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2)


def _vector_norm(x, ord, axis, keepdims):  # noqa: A002
    if ord is None or ord == 2:
        return math.sqrt(reduce.sum(math.square(x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(
            f"norm: ord={ord!r} is a matrix norm; pass a 2-tuple axis, or a numeric ord for vectors"
        )
    if ord == np.inf:
        return reduce.max(math.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return reduce.min(math.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # the number of nonzero entries (not a norm; no gradient)
        nonzero = core.cast(logic.not_equal(x, 0), data_of(x).dtype)
        return reduce.sum(nonzero, axis=axis, keepdims=keepdims)
    if ord == 1:
        return reduce.sum(math.abs(x), axis=axis, keepdims=keepdims)
    p = float(ord)
    return math.power(reduce.sum(math.power(math.abs(x), p), axis=axis, keepdims=keepdims), 1.0 / p)


def _matrix_norm(x, ord, axes, keepdims):  # noqa: A002
    nd = np.ndim(data_of(x))
    row, col = (a % nd for a in axes)
    if row == col:
        raise ValueError(f"norm: the two axes of a matrix norm must differ, got axis={axes}")
    if ord is None or ord == "fro":
        return math.sqrt(reduce.sum(math.square(x), axis=(row, col), keepdims=keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        # 1: largest column sum of |x| (sum over rows); inf: largest row sum (sum over columns)
        summed, other = (row, col) if ord in (1, -1) else (col, row)
        sums = reduce.sum(math.abs(x), axis=summed, keepdims=True)
        pick = reduce.max if ord > 0 else reduce.min
        out = pick(sums, axis=other, keepdims=True)
    else:
        s = svd(moveaxis(x, (row, col), (-2, -1)), compute_uv=False)
        red = {"nuc": reduce.sum, 2: reduce.max, -2: reduce.min}[ord](s, axis=-1)
        out = expand_dims(expand_dims(red, -1), -1)
        out = moveaxis(out, (-2, -1), (row, col))
    return out if keepdims else squeeze(out, axis=(row, col))


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002  (keras.ops name)
    """Matrix or vector norm, as `numpy.linalg.norm` (integer inputs give floatx).

    Vector norms (an int axis, or a 1-D input with axis=None): ord None/2 (Euclidean), 1,
    inf, -inf (min |x|), 0 (count of nonzeros), any other p: sum(|x|^p)^(1/p).
    Matrix norms (a 2-tuple axis, or a 2-D input with axis=None and an ord): None/"fro"
    (Frobenius), "nuc" (sum of singular values), 1/-1 (max/min column sum of |x|),
    inf/-inf (max/min row sum), 2/-2 (largest/smallest singular value).
    With axis=None and ord=None, the 2-norm of all entries, whatever the rank.
    """
    a = data_of(x)
    if np.asarray(a).dtype.kind not in "fc":
        x = core.cast(x, dtypes.floatx())
    nd = np.ndim(a)
    if isinstance(ord, str) and ord not in ("fro", "nuc"):
        raise ValueError(f"norm: string ord must be 'fro' or 'nuc', got ord={ord!r}")
    if axis is None:
        if ord is None:
            return _vector_norm(x, None, None, keepdims)
        if nd == 1:
            return _vector_norm(x, ord, 0, keepdims)
        if nd == 2:
            axis = (0, 1)
        else:
            raise ValueError(
                f"norm: with ord={ord!r} and axis=None the input must be 1-D or 2-D, got shape "
                f"{np.shape(a)}; pass axis= (an int for vector norms, a 2-tuple for matrix norms)"
            )
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for ax in axes:
        if not -nd <= ax < nd:
            raise ValueError(f"norm: axis {ax} is out of bounds for an input of rank {nd}")
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        if ord not in _MATRIX_ORDS:
            raise ValueError(
                f"norm: ord={ord!r} is not a matrix norm; use one of None, 'fro', 'nuc', inf, "
                "-inf, 1, -1, 2, -2 with a 2-tuple axis"
            )
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"norm: axis must be an int or a 2-tuple, got axis={axis!r}")
