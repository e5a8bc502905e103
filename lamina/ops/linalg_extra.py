"""`keras.ops.linalg` extras: slogdet, logdet, pinv, matrix_rank, cholesky_inverse."""

import numpy as np

from lamina.ops import linalg
from lamina.ops._base import const, fdata, record
from lamina.ops.linalg_decomp import check_square, inv
from lamina.ops.shape import transpose


def _t(a):
    return np.swapaxes(a, -1, -2)


def slogdet(x):
    """(sign, log|det|) of square matrices (..., n, n); d log|det x| / dx = inv(x)^T."""
    a = fdata(x)
    check_square("slogdet", a)
    sign, logabs = np.linalg.slogdet(a)
    out = record(
        logabs.astype(a.dtype), (x,), lambda g, need: (g[..., None, None] * _t(np.linalg.inv(a)),)
    )
    return const(sign.astype(a.dtype)), out


def logdet(x):
    """log det x (NaN where det < 0, -inf where det = 0); gradient inv(x)^T."""
    sign, logabs = slogdet(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.log(sign.data)  # 0 for a positive determinant, NaN/-inf otherwise
    from lamina.ops.math import add  # noqa: PLC0415  (math imports linalg helpers)

    return add(logabs, shift)


def pinv(x, rcond=None):
    """Moore-Penrose pseudo-inverse; singular values below rcond * the largest are dropped
    (rcond defaults to max(m, n) * eps, as NumPy 2 and Keras)."""
    a = fdata(x)
    if a.ndim < 2:
        raise ValueError(f"pinv: x must be a matrix (rank >= 2), got shape {a.shape}")
    if rcond is None:
        rcond = max(a.shape[-2:]) * np.finfo(a.dtype).eps
    p = np.linalg.pinv(a, rcond=rcond).astype(a.dtype)

    def backward(g, need):  # Golub & Pereyra: the derivative of a constant-rank pseudo-inverse
        pt = _t(p)
        eye_m = np.eye(a.shape[-2], dtype=a.dtype)
        eye_n = np.eye(a.shape[-1], dtype=a.dtype)
        ga = -pt @ g @ pt
        ga = ga + (eye_m - a @ p) @ _t(g) @ p @ pt
        ga = ga + pt @ p @ _t(g) @ (eye_n - p @ a)
        return (ga,)

    return record(p, (x,), backward)


def matrix_rank(x, tol=None):
    """Number of singular values above `tol` (default max(m, n) eps * largest), as int32."""
    a = fdata(x)
    return const(np.asarray(np.linalg.matrix_rank(a, tol=tol), np.int32))


def cholesky_inverse(x, upper=False):
    """Inverse of A = L L^T (or U^T U with `upper`) from its Cholesky factor `x`."""
    check_square("cholesky_inverse", fdata(x))
    factor_t = transpose(x, tuple(range(fdata(x).ndim - 2)) + (-1, -2))
    a = linalg.matmul(factor_t, x) if upper else linalg.matmul(x, factor_t)
    return inv(a)
