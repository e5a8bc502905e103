"""Sampling an array at arbitrary points (order 0 or 1), differentiably (not public).

The engine of `keras.ops.image.map_coordinates` and `affine_transform`. An array of shape
(*S, *C) is sampled along its leading len(S) axes at points of shape O (one coordinate
array per axis), the trailing axes C carried along: the result has shape (*O, *C).

Along each axis a float coordinate t gives the taps floor(t) and floor(t) + 1 with weights
1 - f and f (f = t - floor(t)), or for order 0 the single tap floor(t + 0.5) (round half
up, as scipy's order-0 `map_coordinates`); an integer coordinate is an exact index.
Indices outside [0, n) follow `fill_mode`:
    reflect  (d c b a | a b c d | d c b a)   mirror about the edge, edge pixel repeated
    mirror   (c d c b | a b c d | c b a b)   mirror about the edge pixel's centre
    wrap     (a b c d | a b c d | a b c d)
    nearest  (a a a a | a b c d | d d d d)
    constant (k k k k | a b c d | k k k k)   k = fill_value
which is what Keras's NumPy backend does (pad by the fill mode, then scipy's
`map_coordinates`) and JAX's `map_coordinates`.

For fixed points the output is a linear map of the input (plus a constant for
"constant"), so it is one sparse matrix M (output points x input points, a few taps per
row), built once: forward `M @ x`, gradient `M.T @ g`, one call for a whole batch. The
gradient with respect to the coordinates (order 1) uses the same taps with the weights'
derivatives (d(1 - f)/dt = -1, df/dt = 1).
"""
import itertools

import numpy as np

from lamina.engine.tensor import data_of, record

FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def fold(index, size, fill_mode):
    """(indices folded into [0, size) per fill_mode, in-range mask or None).

    The mask is returned for "constant" only (out-of-range taps take fill_value)."""
    outside = (index < 0) | (index >= size)
    if not outside.any():
        return index, (np.ones(index.shape, dtype=bool) if fill_mode == "constant" else None)
    if fill_mode == "constant":
        return np.clip(index, 0, size - 1), ~outside
    folded = index.copy()
    i = index[outside]  # only the few samples outside the image need folding
    if fill_mode == "reflect":
        i = np.mod(i, 2 * size)
        i = np.where(i >= size, 2 * size - 1 - i, i)
    elif fill_mode == "mirror":
        period = max(2 * size - 2, 1)
        i = np.mod(i, period)
        i = np.where(i >= size, period - i, i)
    elif fill_mode == "wrap":
        i = np.mod(i, size)
    else:
        i = np.clip(i, 0, size - 1)
    folded[outside] = i
    return folded, None


def _axis_taps(coord, order):
    """[(index, weight or None, d weight / d coord)] along one axis."""
    if coord.dtype.kind in "iu":
        return [(coord, None, 0.0)]
    if order == 0:
        return [(np.floor(coord + 0.5), None, 0.0)]
    lo = np.floor(coord)
    frac = coord - lo
    return [(lo, 1 - frac, -1.0), (lo + 1, frac, 1.0)]


def _product(factors):
    """The product of the non-None factors (None when there are none), left to right."""
    out = None
    for f in factors:
        if f is not None:
            out = f if out is None else out * f
    return out


def sample(values, points, order=1, fill_mode="constant", fill_value=0.0, coordinates=None):
    """`values` (*S, *C) (Tensor or array) sampled at `points` (len(S) arrays broadcastable
    to O; float coordinates or exact integer indices): a (*O, *C) Tensor.

    Differentiable with respect to `values`, and with respect to `coordinates` when given:
    the Tensor (len(S), *O) whose data the float `points` are.
    """
    x = data_of(values)
    n = len(points)
    spatial, channels = x.shape[:n], x.shape[n:]
    shape = np.broadcast_shapes(*(np.shape(p) for p in points))
    taps = []  # per axis: [(folded index, valid mask or None, weight, d weight)]
    for p, size in zip(points, spatial):
        axis = []
        for index, weight, dweight in _axis_taps(np.asarray(p), order):
            folded, valid = fold(np.broadcast_to(index, shape).astype(np.int64), size, fill_mode)
            axis.append((folded, valid, weight, dweight))
        taps.append(axis)
    strides = np.cumprod((1,) + spatial[::-1])[:-1][::-1]
    combos = list(itertools.product(*taps))
    k, n_out, n_in = len(combos), int(np.prod(shape, dtype=np.int64)), int(np.prod(spatial))
    cols = np.empty(shape + (k,), dtype=np.int64)
    weights = np.empty(shape + (k,), dtype=x.dtype)
    valid_all = [] if fill_mode == "constant" else None
    outside = np.zeros(shape) if fill_mode == "constant" else None
    for t, combo in enumerate(combos):
        cols[..., t] = sum(tap[0] * int(s) for tap, s in zip(combo, strides))
        w = _product(tap[2] for tap in combo)
        w = np.broadcast_to(1.0 if w is None else w, shape)
        if valid_all is not None:
            valid = np.logical_and.reduce([tap[1] for tap in combo])
            valid_all.append(valid)
            outside += np.where(valid, 0.0, w)
            w = np.where(valid, w, 0.0)
        weights[..., t] = w
    from scipy import sparse  # noqa: PLC0415  (lazy: keeps `import lamina` fast)

    def matrix(data):  # k taps per output row, in order: CSR built directly
        return sparse.csr_matrix((data.ravel(), cols.ravel(), np.arange(0, n_out * k + 1, k)),
                                 shape=(n_out, n_in))

    m = matrix(weights)
    flat = x.reshape(n_in, -1)
    out = np.asarray(m @ flat)
    if outside is not None and fill_value != 0:
        out = out + (outside * fill_value).astype(x.dtype).reshape(n_out, 1)
    out = out.astype(x.dtype, copy=False).reshape(shape + channels)

    def backward(g, need):
        g2 = g.reshape(n_out, -1)
        gx = np.asarray(m.T @ g2).reshape(x.shape).astype(g.dtype, copy=False) if need[0] else None
        if coordinates is None:
            return (gx,)
        if not need[1] or order == 0:
            return gx, None
        grad = _coordinate_gradient(g2, flat, combos, valid_all, fill_value, matrix, shape)
        return gx, grad.astype(data_of(coordinates).dtype, copy=False)

    inputs = (values,) if coordinates is None else (values, coordinates)
    return record(out, inputs, backward)


def _coordinate_gradient(g2, flat, combos, valid_all, fill_value, matrix, shape):
    """d loss / d coordinates (len(points), *O): per axis, the taps' weight derivatives
    applied to the sampled values (fill_value for constant-mode taps outside)."""
    grads = []
    g_sum = g2.sum(axis=1)
    for a in range(len(combos[0])):
        dw = np.zeros(shape + (len(combos),))
        fill = np.zeros(shape)
        for t, combo in enumerate(combos):
            d = _product([combo[a][3]] + [tap[2] for b, tap in enumerate(combo) if b != a])
            d = np.broadcast_to(d, shape)
            if valid_all is not None:
                fill += np.where(valid_all[t], 0.0, d)
                d = np.where(valid_all[t], d, 0.0)
            dw[..., t] = d
        sampled = np.asarray(matrix(dw.astype(flat.dtype)) @ flat)
        grad = (g2 * sampled).sum(axis=1) + (fill.ravel() * fill_value * g_sum if fill_value else 0)
        grads.append(grad.reshape(shape))
    return np.stack(grads)
