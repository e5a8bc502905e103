"""Matrix products: matmul (incl. a scipy.sparse left operand), dot, tensordot, einsum.

Also the `keras.ops.linalg` namespace: the solves, factorizations and decompositions live in
linalg_decomp.py / linalg_spectral.py and `norm` in linalg_norm.py, re-exported at the end.
"""
import string

import numpy as np

from lamina.engine import threads
from lamina.engine.sparse import is_sparse
from lamina.ops._base import data_of, record
from lamina.ops.math import multiply
from lamina.ops.shapes import diagonal, reshape
from lamina.ops.reduce import sum as reduce_sum


def _sparse_matmul(s, x2):
    b = data_of(x2)
    if b.ndim != 2 or s.shape[1] != b.shape[0]:
        raise ValueError(
            f"matmul: a sparse {s.shape} matrix times a tensor of shape {b.shape}: the inner "
            "dimensions must match"
        )
    if s.dtype != b.dtype:
        s = s.astype(b.dtype)
    out = np.asarray(s @ b)
    # d(S b) = S db: the gradient S^T g is computed sparsely (S is a constant)
    return record(out, (None, x2), lambda g, need: (None, np.asarray(s.T @ g)))


def _matmul_error(a, b):
    return ValueError(
        f"matmul: shapes {a.shape} and {b.shape} are incompatible: the last dimension of the "
        f"first ({a.shape[-1] if a.ndim else '-'}) must equal the "
        f"{'first' if b.ndim == 1 else 'second-to-last'} dimension of the second "
        f"({b.shape[0] if b.ndim == 1 else b.shape[-2] if b.ndim else '-'})"
    )


def matmul(x1, x2):
    """Matrix product with NumPy's broadcasting rules; `x1` may be a scipy.sparse matrix."""
    if is_sparse(x1):
        return _sparse_matmul(x1, x2)
    if is_sparse(x2):
        raise TypeError("matmul: a sparse matrix is accepted only as the left operand")
    a, b = data_of(x1), data_of(x2)
    if type(a) is not np.ndarray or type(b) is not np.ndarray:
        a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: operands must have at least one dimension (use multiply for scalars)")
    if a.ndim == 2 and b.ndim == 2:
        threads.gemm(a.shape[0], a.shape[1], b.shape[1])
    try:
        out = a @ b
    except ValueError:
        raise _matmul_error(a, b) from None
    return record(out, (x1, x2), lambda g, need: _matmul_grads(a, b, g, need))


def _matmul_grads(a, b, g, need):
    # d(AB) = dA B + A dB  =>  gA = g B^T, gB = A^T g (batch axes are summed by the engine)
    if a.ndim == 1 and b.ndim == 1:
        return (g * b if need[0] else None, g * a if need[1] else None)
    if a.ndim == 1:  # (n) @ (..., n, m) -> (..., m)
        ga = np.matmul(g[..., None, :], np.swapaxes(b, -1, -2))[..., 0, :] if need[0] else None
        gb = a[:, None] * g[..., None, :] if need[1] else None
        return ga, gb
    if b.ndim == 1:  # (..., k, n) @ (n) -> (..., k)
        ga = g[..., None] * b if need[0] else None
        gb = np.matmul(np.swapaxes(a, -1, -2), g[..., None])[..., 0] if need[1] else None
        return ga, gb
    if a.ndim == 2 and b.ndim == 2:
        threads.gemm(a.shape[0], a.shape[1], b.shape[1])
        return (g @ b.T if need[0] else None, a.T @ g if need[1] else None)
    ga = np.matmul(g, np.swapaxes(b, -1, -2)) if need[0] else None
    gb = np.matmul(np.swapaxes(a, -1, -2), g) if need[1] else None
    return ga, gb


def dot(x1, x2):
    """NumPy's dot: matmul for rank <= 2, else a sum over a's last and b's second-to-last axis."""
    if is_sparse(x1):
        return _sparse_matmul(x1, x2)
    a, b = data_of(x1), data_of(x2)
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return multiply(x1, x2)
    if a.ndim <= 2 and b.ndim <= 2:
        return matmul(x1, x2)
    return tensordot(x1, x2, axes=([a.ndim - 1], [b.ndim - 2 if b.ndim >= 2 else 0]))


def tensordot(x1, x2, axes=2):
    a, b = data_of(x1), data_of(x2)
    if isinstance(axes, (int, np.integer)):
        ax_a, ax_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(ax_a, ax_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(
                f"tensordot: axis {i} of the first operand (shape {a.shape}) and axis {j} of the "
                f"second (shape {b.shape}) must have the same size"
            )
        sb[j] = sa[i]
    summed = {sa[i] for i in ax_a}
    out = "".join(c for c in sa if c not in summed) + "".join(c for c in sb if c not in summed)
    return einsum(f"{''.join(sa)},{''.join(sb)}->{out}", x1, x2)


def outer(x1, x2):
    return matmul(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


def _parse_einsum(subscripts, shapes):
    """Explicit subscripts with `...` replaced by letters: (input specs, output spec)."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, rhs = subscripts.split("->")
    else:
        lhs, rhs = subscripts, None
    specs = lhs.split(",")
    if len(specs) != len(shapes):
        raise ValueError(f"einsum: {subscripts!r} names {len(specs)} operands, got {len(shapes)}")
    free = [c for c in string.ascii_letters if c not in subscripts]
    n_ell = max((len(s) - (len(spec) - 3) for spec, s in zip(specs, shapes) if "..." in spec), default=0)
    ell = "".join(free[:n_ell])
    out_specs = []
    for spec, s in zip(specs, shapes):
        if "..." in spec:
            k = len(s) - (len(spec) - 3)
            spec = spec.replace("...", ell[n_ell - k:] if k else "")
        if len(spec) != len(s):
            raise ValueError(f"einsum: subscript {spec!r} does not match an operand of shape {s}")
        out_specs.append(spec)
    if rhs is None:
        counts = {}
        for c in "".join(out_specs):
            counts[c] = counts.get(c, 0) + 1
        rhs = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        rhs = rhs.replace("...", ell)
    return out_specs, rhs


def _matmul_form(specs, rhs, shapes):
    """(m, k, n) when the einsum is x[P+C] w[C+Q] -> out[P+Q] (a dense layer's contraction: x's
    trailing axes with w's leading ones, same sizes, nothing broadcast or summed alone): one
    (m, k) @ (k, n) product. None otherwise."""
    if len(specs) != 2:
        return None
    a, b = specs
    contracted = "".join(c for c in a if c not in rhs)
    nc = len(contracted)
    if not nc or a[len(a) - nc:] != contracted or b[:nc] != contracted or rhs != a[:len(a) - nc] + b[nc:]:
        return None
    if shapes[0][len(a) - nc:] != shapes[1][:nc]:
        return None
    m = int(np.prod(shapes[0][:len(a) - nc], dtype=np.int64))
    k = int(np.prod(shapes[1][:nc], dtype=np.int64))
    return m, k, int(np.prod(shapes[1][nc:], dtype=np.int64)), nc


def _einsum_as_matmul(operands, arrays, m, k, n, nc):
    """A dense-layer einsum as one 2-D product (and two for its gradients) through
    `threads.matmul`, which row-splits mid-size products over both cores (np.einsum's BLAS
    call would run on the one thread of the training loop)."""
    x, w = arrays
    x2, w2 = x.reshape(m, k), w.reshape(k, n)
    out_shape = x.shape[:x.ndim - nc] + w.shape[nc:]
    out = threads.matmul(x2, w2).reshape(out_shape)

    def backward(g, need):
        g2 = np.asarray(g).reshape(m, n)
        gx = threads.matmul(g2, w2.T).reshape(x.shape) if need[0] else None
        gw = threads.matmul(x2.T, g2).reshape(w.shape) if need[1] else None
        return gx, gw

    return record(out, tuple(operands), backward)


def einsum(subscripts, *operands):
    """Einstein summation; the gradient of each operand is another einsum."""
    arrays = [data_of(x) for x in operands]
    specs, rhs = _parse_einsum(subscripts, [a.shape for a in arrays])
    for spec in specs:
        if len(set(spec)) != len(spec):
            raise NotImplementedError(
                f"einsum: a repeated index within one operand ({spec!r}: a diagonal or trace) is "
                "not supported; use ops.diagonal/ops.trace"
            )
    form = _matmul_form(specs, rhs, [a.shape for a in arrays])
    if form is not None:
        return _einsum_as_matmul(operands, arrays, *form)
    explicit = ",".join(specs) + "->" + rhs
    big = sum(a.size for a in arrays) > 4096
    try:
        out = np.einsum(explicit, *arrays, optimize=big)
    except ValueError as e:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(
            f"einsum: operands of shapes {shapes} do not fit {subscripts!r} (an index must have the "
            f"same size, or 1, wherever it appears): {e}"
        ) from None

    def backward(g, need):
        grads = []
        for i, (spec, a) in enumerate(zip(specs, arrays)):
            if not need[i]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(specs) if j != i]
            present = set(rhs).union(*others) if others else set(rhs)
            kept = "".join(c for c in spec if c in present)  # indices the others can supply
            expr = ",".join([rhs, *others]) + "->" + kept
            gi = np.einsum(expr, g, *[x for j, x in enumerate(arrays) if j != i], optimize=big)
            if kept != spec:  # an index summed away in this operand alone: broadcast back
                gi = np.expand_dims(gi, [k for k, c in enumerate(spec) if c not in present])
                gi = np.broadcast_to(gi, a.shape)
            grads.append(gi)
        return tuple(grads)

    return record(out, tuple(operands), backward)


def trace(x, offset=0, axis1=0, axis2=1):
    """Sum of the diagonal of the (axis1, axis2) matrices of `x`."""
    return reduce_sum(diagonal(x, offset, axis1, axis2), axis=-1)


def vdot(x1, x2):
    """The dot product of the flattened inputs."""
    return matmul(reshape(x1, (-1,)), reshape(x2, (-1,)))


def inner(x1, x2):
    """Sum over the last axes of both inputs (scalars multiply)."""
    a, b = data_of(x1), data_of(x2)
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, axes=([np.ndim(a) - 1], [np.ndim(b) - 1]))


# keras.ops.linalg.* names (defined in their own modules, which do not import this one)
from lamina.ops.linalg_decomp import cholesky, det, inv, lstsq, lu_factor, solve, solve_triangular  # noqa: E402,F401
from lamina.ops.linalg_norm import norm  # noqa: E402,F401
from lamina.ops.linalg_spectral import eig, eigh, qr, svd  # noqa: E402,F401
