"""Linear solves and factorizations: inv, det, solve, solve_triangular, cholesky, lu_factor, lstsq.

`keras.ops.linalg` names and signatures. Matrices are the last two axes; leading axes are a
batch (broadcast between `a` and `b` in the solves). float32 in, float32 out. Gradients are
for real matrices; symmetric inputs (cholesky) get the symmetric gradient, as in TF/JAX.
"""

import numpy as np

from lamina.ops._base import fdata, record


def _t(x):
    """Transpose the last two axes (matrix transpose of a batch)."""
    return np.swapaxes(x, -1, -2)


def check_square(op, a, name="x"):
    """Raise a ValueError naming `op` unless `a` is a (batch of) square matrices."""
    if a.ndim < 2:
        raise ValueError(
            f"{op}: `{name}` must have rank >= 2 (a matrix or a batch of matrices), got shape "
            f"{a.shape}; reshape a vector to (n, 1) or (1, n) first"
        )
    if a.shape[-1] != a.shape[-2]:
        raise ValueError(
            f"{op}: `{name}` must be square in its last two axes, got shape {a.shape}; use "
            "lstsq or svd for rectangular matrices"
        )


def _rhs(op, a, b):
    """`b` as a batch of matrices (..., M, K) and whether it was a batch of vectors (..., M).

    b is a batch of vectors when it is 1-D, or has one axis fewer than `a` and ends in M (as
    in Keras); otherwise a batch of matrices (with a 2-D b broadcast over a's batch).
    """
    if b.ndim < 1:
        raise ValueError(
            f"{op}: `b` must have rank >= 1, got a scalar; pass a vector of length {a.shape[-1]}"
        )
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape[-1] == a.shape[-1])
    bm = b[..., None] if vector else b
    if bm.shape[-2] != a.shape[-1]:
        raise ValueError(
            f"{op}: `a` of shape {a.shape} and `b` of shape {b.shape} are incompatible: b's "
            f"{'last' if vector else 'second-to-last'} dimension must equal {a.shape[-1]} (the "
            "size of a's square matrices)"
        )
    return bm, vector


def _same_float(a, b):
    """Both operands in one float dtype (float64 only if one of them is float64)."""
    dt = np.result_type(a.dtype, b.dtype)
    return a.astype(dt, copy=False), b.astype(dt, copy=False)


def _linalg_error(op, e, hint):
    return ValueError(f"{op}: {e}; {hint}")


# -- inverse and determinant ------------------------------------------------------------


def inv(x):
    """Inverse of the square matrices in `x` (..., M, M) -> (..., M, M)."""
    a = fdata(x)
    check_square("inv", a)
    try:
        y = np.linalg.inv(a)
    except np.linalg.LinAlgError as e:
        raise _linalg_error(
            "inv", e, "the matrix is singular (use lstsq or a pseudo-inverse via svd)"
        ) from None
    # d(A^-1) = -A^-1 dA A^-1  =>  gA = -Y^T g Y^T
    return record(y, (x,), lambda g, need: (-_t(y) @ g @ _t(y),))


def _adjugate_t(a):
    """Transposed adjugate det(A) A^-T, computed from the SVD so singular matrices work."""
    u, s, vh = np.linalg.svd(a)
    n = s.shape[-1]
    ones = np.ones(s.shape[:-1] + (1,), s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.flip(
        np.cumprod(np.concatenate([ones, np.flip(s[..., 1:], -1)], axis=-1), axis=-1), -1
    )
    others = before * after  # prod_{j != i} s_j without dividing by s_i
    sign = np.linalg.det(u) * np.linalg.det(vh)
    adj_t = (u * others[..., None, :]) @ vh  # U diag(others) V^T = (adj A)^T up to the sign
    return adj_t * sign[..., None, None] if n else adj_t


def det(x):
    """Determinant of the square matrices in `x` (..., M, M) -> (...)."""
    a = fdata(x)
    check_square("det", a)
    d = np.asarray(np.linalg.det(a))
    # d det(A) = tr(adj(A) dA)  =>  gA = g adj(A)^T (= g det(A) A^-T when invertible)
    return record(d, (x,), lambda g, need: (np.asarray(g)[..., None, None] * _adjugate_t(a),))


# -- solves -----------------------------------------------------------------------------


def solve(a, b):
    """Solve `a @ x = b`: a (..., M, M), b (..., M) or (..., M, K); x has b's shape."""
    am, bv = fdata(a), fdata(b)
    check_square("solve", am, "a")
    am, bv = _same_float(am, bv)
    bm, vector = _rhs("solve", am, bv)
    try:
        xm = np.linalg.solve(am, bm)
    except np.linalg.LinAlgError as e:
        raise _linalg_error(
            "solve", e, "`a` is singular; use lstsq for a least-squares solution"
        ) from None

    def backward(g, need):
        # X = A^-1 B  =>  gB = A^-T g, gA = -gB X^T
        gm = g[..., None] if vector else g
        gb = np.linalg.solve(_t(am), np.broadcast_to(gm, xm.shape))
        ga = -gb @ _t(xm) if need[0] else None
        return ga, (gb[..., 0] if vector else gb) if need[1] else None

    return record(xm[..., 0] if vector else xm, (a, b), backward)


def _tri_solve(t, bm, lower, trans=False):
    """Triangular solves over broadcast batch axes (SciPy solves one matrix at a time)."""
    from scipy.linalg import solve_triangular as sp_solve  # noqa: PLC0415  (SciPy on demand)

    batch = np.broadcast_shapes(t.shape[:-2], bm.shape[:-2])
    tb = np.broadcast_to(t, batch + t.shape[-2:]).reshape((-1,) + t.shape[-2:])
    bb = np.broadcast_to(bm, batch + bm.shape[-2:]).reshape((-1,) + bm.shape[-2:])
    out = np.empty(bb.shape, np.result_type(t.dtype, bm.dtype))
    for i in range(tb.shape[0]):
        try:
            out[i] = sp_solve(
                tb[i], bb[i], lower=lower, trans="T" if trans else "N", check_finite=False
            )
        except np.linalg.LinAlgError as e:
            raise _linalg_error("solve_triangular", e, "a diagonal entry of `a` is zero") from None
    return out.reshape(batch + bm.shape[-2:])


def solve_triangular(a, b, lower=False):
    """Solve `a @ x = b` using only the lower (`lower=True`) or upper triangle of `a`.

    a (..., M, M), b (..., M) or (..., M, K); x has b's shape. The other triangle of `a` is
    ignored, and gets a zero gradient.
    """
    am, bv = fdata(a), fdata(b)
    check_square("solve_triangular", am, "a")
    am, bv = _same_float(am, bv)
    bm, vector = _rhs("solve_triangular", am, bv)
    xm = _tri_solve(am, bm, lower)

    def backward(g, need):
        # X = T^-1 B  =>  gB = T^-T g (a solve with the transposed triangle), gA = tri(-gB X^T)
        gm = g[..., None] if vector else g
        gb = _tri_solve(am, np.broadcast_to(gm, xm.shape), lower, trans=True)
        ga = None
        if need[0]:
            full = -gb @ _t(xm)
            ga = np.tril(full) if lower else np.triu(full)
        return ga, (gb[..., 0] if vector else gb) if need[1] else None

    return record(xm[..., 0] if vector else xm, (a, b), backward)


# -- factorizations ---------------------------------------------------------------------


def cholesky(x, upper=False):
    """Cholesky factor of symmetric positive-definite matrices (..., M, M).

    Returns L (lower, L @ L^T = x) or, with `upper=True`, U = L^T (U^T @ U = x). Only the
    lower triangle of `x` is read; the gradient is the symmetric one (x is assumed symmetric).
    """
    a = fdata(x)
    check_square("cholesky", a)
    try:
        lower = np.linalg.cholesky(a)
    except np.linalg.LinAlgError as e:
        raise ValueError(
            f"cholesky: decomposition failed ({e}): the matrix of shape {a.shape} must be "
            "symmetric positive definite (add a small multiple of the identity if it is only "
            "semi-definite)"
        ) from None

    def backward(g, need):
        # A = L L^T  =>  dL = L Phi(L^-1 dA L^-T), Phi = lower triangle with half diagonal,
        # so gA = sym(L^-T Phi(L^T gL) L^-1)
        gl = np.tril(_t(g) if upper else g)
        p = np.tril(_t(lower) @ gl)
        p = p - 0.5 * (np.eye(p.shape[-1], dtype=p.dtype) * p)
        s = _tri_solve(lower, _t(_tri_solve(lower, p, True, trans=True)), True, trans=True)
        return (0.5 * (s + _t(s)),)

    return record(_t(lower).copy() if upper else lower, (x,), backward)


def _not_differentiable(op, why):
    def backward(g, need):
        raise NotImplementedError(f"{op}: the gradient is not implemented ({why})")

    return backward


def lu_factor(x):
    """LU decomposition with partial pivoting, as SciPy's `lu_factor`, over batch axes.

    x (..., M, N) -> (lu (..., M, N): L below the diagonal (unit diagonal implied) and U on
    and above it; pivots (..., min(M, N)) int32: row i was swapped with row piv[i]).
    """
    from scipy.linalg import lu_factor as sp_lu  # noqa: PLC0415  (SciPy on demand)

    a = fdata(x)
    if a.ndim < 2:
        raise ValueError(f"lu_factor: `x` must have rank >= 2, got shape {a.shape}")
    k = min(a.shape[-2:])
    flat = a.reshape((-1,) + a.shape[-2:])
    lu = np.empty(flat.shape, a.dtype)
    piv = np.empty((flat.shape[0], k), np.int32)
    for i in range(flat.shape[0]):
        lu[i], piv[i] = sp_lu(flat[i], check_finite=False)
    lu = lu.reshape(a.shape)
    piv = piv.reshape(a.shape[:-2] + (k,))
    back = _not_differentiable(
        "lu_factor", "the packed LU factors are piecewise defined by the pivoting"
    )
    return record(lu, (x,), back), record(piv, (), None)


def _pinv_parts(a, rcond):
    """(pinv(a), cutoff mask) with singular values below rcond * s_max treated as zero."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    if rcond is None:
        rcond = np.finfo(a.dtype).eps * max(a.shape[-2:])
    keep = s > rcond * (s[..., :1] if s.size else 0)
    s_inv = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(a.dtype)
    return (_t(vh) * s_inv[..., None, :]) @ _t(u), keep


def lstsq(a, b, rcond=None):
    """Least-squares solution of `a @ x = b` (minimum norm if underdetermined).

    a (M, N), b (M,) or (M, K) -> x (N,) or (N, K). Singular values below `rcond` times the
    largest are treated as zero (default: machine epsilon times max(M, N)). Returns only the
    solution (Keras's convention, unlike NumPy's 4-tuple).
    """
    am, bv = fdata(a), fdata(b)
    if am.ndim != 2:
        raise ValueError(f"lstsq: `a` must be a matrix (rank 2), got shape {am.shape}")
    if bv.ndim not in (1, 2) or bv.shape[0] != am.shape[0]:
        raise ValueError(
            f"lstsq: `b` must have shape ({am.shape[0]},) or ({am.shape[0]}, K) to match `a` of "
            f"shape {am.shape}, got {bv.shape}"
        )
    am, bv = _same_float(am, bv)
    if rcond is None:
        rcond = np.finfo(am.dtype).eps * max(am.shape)
    xv = np.linalg.lstsq(am, bv, rcond=rcond)[0]

    def backward(g, need):
        # x = A+ b. For locally constant rank (Golub & Pereyra):
        # dA+ = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+
        pinv, _ = _pinv_parts(am, rcond)
        gm = g[:, None] if bv.ndim == 1 else g
        xm = xv[:, None] if bv.ndim == 1 else xv
        bm = bv[:, None] if bv.ndim == 1 else bv
        gb = pinv.T @ gm
        ga = None
        if need[0]:
            resid = bm - am @ xm  # (I - A A+) b
            proj_g = gm - pinv @ (am @ gm)  # (I - A+ A) g
            ga = -gb @ xm.T + resid @ (pinv @ (pinv.T @ gm)).T + (pinv.T @ xm) @ proj_g.T
        return ga, (gb[:, 0] if bv.ndim == 1 else gb) if need[1] else None

    return record(xv, (a, b), backward)
