"""Eigen-, QR and singular value decompositions: eig, eigh, qr, svd (`keras.ops.linalg` names).

Batched over leading axes, float32 in, float32 out. Each output is its own recorded value
whose backward gives that output's share of the input gradient (the shares add up in the
engine). The eigenvector/singular-vector gradients assume distinct eigen/singular values
(they divide by their differences), as in TF/JAX/PyTorch.
"""

import numpy as np

from lamina.ops._base import fdata, record
from lamina.ops.linalg_decomp import _not_differentiable, _t, _tri_solve, check_square


def _off_diag_inverse(d):
    """F[..., i, j] = 1 / (d_j - d_i) off the diagonal, 0 on it (d: (..., n))."""
    diff = d[..., None, :] - d[..., :, None]
    eye = np.eye(d.shape[-1], dtype=bool)
    with np.errstate(divide="ignore"):
        f = np.where(eye, 0, 1 / np.where(eye, 1, diff))
    return f.astype(d.dtype, copy=False)


def eig(x):
    """Eigenvalues (..., M) and right eigenvectors (..., M, M) of general square matrices.

    Complex (complex64 for float32 input) when some eigenvalue is complex, real otherwise,
    as NumPy returns them. Not differentiable in lamina.
    """
    a = fdata(x)
    check_square("eig", a)
    w, v = np.linalg.eig(a)
    back = _not_differentiable(
        "eig", "use eigh for symmetric matrices, whose gradient is implemented"
    )
    return record(w, (x,), back), record(v, (x,), back)


def eigh(x):
    """Eigenvalues (ascending, (..., M)) and orthonormal eigenvectors (columns, (..., M, M))
    of symmetric matrices. Only the lower triangle is read; the gradient is symmetric."""
    a = fdata(x)
    check_square("eigh", a)
    w, v = np.linalg.eigh(a)

    def back_w(g, need):  # dw_i = v_i^T dA v_i
        ga = (v * g[..., None, :]) @ _t(v)
        return (0.5 * (ga + _t(ga)),)

    def back_v(g, need):  # dV = V (F o (V^T dA V)), F_ij = 1 / (w_j - w_i)
        ga = v @ (_off_diag_inverse(w) * (_t(v) @ g)) @ _t(v)
        return (0.5 * (ga + _t(ga)),)

    return record(w, (x,), back_w), record(v, (x,), back_v)


# -- QR ---------------------------------------------------------------------------------


def _qr_square_tall_back(q, r, gq, gr):
    """gA for A = QR with M >= N (reduced): Q (.., M, N), R (.., N, N) upper triangular.

    With X = Q^T dA R^-1 and C = Q^T dQ (skew), C's strict lower triangle is X's, dR = (X - C) R
    and dQ = (I - Q Q^T) dA R^-1 + Q C; collecting the terms that multiply dA gives
    gA = [gQ + Q (N - Q^T gQ)] R^-T, N = gR R^T - low(gR R^T - R gR^T) + low(Q^T gQ - gQ^T Q),
    where low() is the strict lower triangle.
    """
    n = r.shape[-1]
    b = np.zeros(q.shape[:-2] + (n, n), q.dtype)
    if gr is not None:
        grt = np.triu(gr) @ _t(r)
        b = b + grt - np.tril(grt - _t(grt), -1)
    lhs = 0
    if gq is not None:
        qg = _t(q) @ gq
        b = b + np.tril(qg - _t(qg), -1) - qg
        lhs = gq
    # (lhs + Q b) R^-T, computed as the transpose of a triangular solve R^-1 (...)^T
    return _t(_tri_solve(r, _t(lhs + q @ b), lower=False))


def _qr_back(a, q, r, mode, which):
    m, n = a.shape[-2:]

    def backward(g, need):
        if mode == "complete" and m > n:
            raise NotImplementedError(
                "qr: the gradient of mode='complete' with more rows than columns is not "
                "implemented (the extra columns of Q are not unique); use mode='reduced'"
            )
        gq, gr = (g, None) if which == "q" else (None, g)
        if m >= n:
            return (_qr_square_tall_back(q, r, gq, gr),)
        # wide: A = [X | Y], X = Q Rx (square), R = [Rx | Q^T Y]
        y = a[..., m:]
        if which == "q":
            return (
                np.concatenate(
                    [_qr_square_tall_back(q, r[..., :m], gq, None), np.zeros_like(y)], -1
                ),
            )
        gry = gr[..., m:]
        gx = _qr_square_tall_back(q, r[..., :m], y @ _t(gry), gr[..., :m])
        return (np.concatenate([gx, q @ gry], -1),)

    return backward


def qr(x, mode="reduced"):
    """QR decomposition of (..., M, N) matrices: q (..., M, K) orthonormal columns and
    r (..., K, N) upper triangular with K = min(M, N) (`mode="reduced"`), or q (..., M, M)
    and r (..., M, N) (`mode="complete"`)."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', got {mode!r}")
    a = fdata(x)
    if a.ndim < 2:
        raise ValueError(f"qr: `x` must have rank >= 2, got shape {a.shape}")
    q, r = np.linalg.qr(a, mode=mode)
    return record(q, (x,), _qr_back(a, q, r, mode, "q")), record(
        r, (x,), _qr_back(a, q, r, mode, "r")
    )


# -- SVD --------------------------------------------------------------------------------


def _svd_vector_back(a, u, s, vh, which):
    """Backward for U (`which="u"`) or Vh (`"vh"`) of A = U diag(s) Vh (reduced shapes).

    Townsend, "Differentiating the singular value decomposition" (2016), with
    F_ij = 1 / (s_j^2 - s_i^2):
      from gU: U [(F o (U^T gU - gU^T U)) S] V^T + (I - U U^T) gU S^-1 V^T
      from gV: U [S (F o (V^T gV - gV^T V))] V^T + U S^-1 gV^T (I - V V^T)
    """
    m, n = a.shape[-2:]
    k = s.shape[-1]
    f = _off_diag_inverse(s * s)

    def backward(g, need):
        if which == "u":
            extra = g[..., k:]
            gu = g[..., :k]
        else:
            extra = g[..., k:, :]
            gu = _t(g[..., :k, :])  # gV for V = Vh^T
        if extra.size and np.any(extra):
            raise NotImplementedError(
                "svd: with full_matrices=True the singular vectors beyond min(M, N) are not unique, "
                "so a loss that depends on them has no gradient; use full_matrices=False"
            )
        uk, vk = u[..., :, :k], _t(vh[..., :k, :])
        if which == "u":
            j = _t(uk) @ gu
            core = (f * (j - _t(j))) * s[..., None, :]
            ga = uk @ core @ _t(vk)
            if m > k:
                ga = ga + ((gu - uk @ j) / s[..., None, :]) @ _t(vk)
        else:
            j = _t(vk) @ gu
            core = s[..., :, None] * (f * (j - _t(j)))
            ga = uk @ core @ _t(vk)
            if n > k:
                ga = ga + (uk / s[..., None, :]) @ _t(gu - vk @ j)
        return (ga,)

    return backward


def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition of (..., M, N) matrices: x = u @ diag(s) @ vh.

    Returns (u, s, vh): u (..., M, M), s (..., K) descending, vh (..., N, N) with
    `full_matrices=True`, or u (..., M, K), vh (..., K, N) without, K = min(M, N); only s
    with `compute_uv=False`. The singular values' gradient is U diag(gs) Vh; the vectors'
    gradient needs distinct nonzero singular values.
    """
    a = fdata(x)
    if a.ndim < 2:
        raise ValueError(f"svd: `x` must have rank >= 2, got shape {a.shape}")
    if not compute_uv:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return record(s, (x,), lambda g, need: ((u * g[..., None, :]) @ vh,))
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]

    def back_s(g, need):  # ds_i = u_i^T dA v_i
        return ((u[..., :, :k] * g[..., None, :]) @ vh[..., :k, :],)

    return (
        record(u, (x,), _svd_vector_back(a, u, s, vh, "u")),
        record(s, (x,), back_s),
        record(vh, (x,), _svd_vector_back(a, u, s, vh, "vh")),
    )
