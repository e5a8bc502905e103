"""Multi-head attention's core as one graph node: softmax(q k^T * scale, masked) v.

`attention(q, k, v, scale, hidden)` takes the projected (B, T, H, K) queries, (B, S, H, K)
keys and (B, S, H, V) values and returns (B, T, H, V). The forward performs exactly the
operations of the op-by-op chain (q * scale, one batched matmul per head, softmax with its
max shift, matmul with v), in place where the chain allocated, so its values are the
chain's bit for bit. The backward runs the chain's gradient formulas without the
intermediate graph nodes: dP = g v^T, dS = P (dP - sum(dP P)) (in place), dQ = dS k * scale,
dK = dS^T (q * scale), dV = P^T g. `hidden` (B, T, S) booleans, True where a key is masked
out, subtract 1e9 from those logits, as Keras.
"""
import numpy as np

from lamina.engine.tensor import data_of, record

NEG = 1.0e9  # subtracted from masked logits, as Keras


def attention(q, k, v, scale, hidden=None):
    """softmax(q k^T * scale - 1e9 * hidden) v per head; q (B, T, H, K), k (B, S, H, K),
    v (B, S, H, V) -> (B, T, H, V)."""
    qa, ka, va = data_of(q), data_of(k), data_of(v)
    if qa.ndim != 4 or ka.ndim != 4 or va.ndim != 4 or qa.shape[-1] != ka.shape[-1] \
            or ka.shape[:3] != va.shape[:3] or qa.shape[0] != ka.shape[0]:
        raise ValueError(
            "attention: expected query (B, T, H, K), key (B, S, H, K) and value (B, S, H, V), "
            f"got shapes {qa.shape}, {ka.shape} and {va.shape}"
        )
    dtype = qa.dtype
    qs = qa * dtype.type(scale)
    p = np.matmul(qs.transpose(0, 2, 1, 3), ka.transpose(0, 2, 3, 1))  # (B, H, T, S) logits
    if hidden is not None:
        p -= np.multiply(NEG, np.expand_dims(hidden, 1).astype(dtype))
    p -= p.max(axis=-1, keepdims=True)  # shift for stability
    np.exp(p, out=p)
    p /= p.sum(axis=-1, keepdims=True)
    vt = va.transpose(0, 2, 1, 3)  # (B, H, S, V)
    out = np.matmul(p, vt).transpose(0, 2, 1, 3)

    def backward(g, need):
        gh = g.transpose(0, 2, 1, 3)  # (B, H, T, V)
        gq = gk = gv = None
        if need[0] or need[1]:
            ds = np.matmul(gh, va.transpose(0, 2, 3, 1))  # dP (B, H, T, S)
            ds -= (ds * p).sum(axis=-1, keepdims=True)
            ds *= p  # d softmax: P (dP - sum(dP P))
            if need[0]:
                gq = np.matmul(ds, ka.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3)
                gq *= dtype.type(scale)
            if need[1]:
                gk = np.matmul(qs.transpose(0, 2, 3, 1), ds).transpose(0, 3, 1, 2)
        if need[2]:
            gv = np.matmul(p.transpose(0, 1, 3, 2), gh).transpose(0, 2, 1, 3)
        return gq, gk, gv

    return record(out, (q, k, v), backward), p
