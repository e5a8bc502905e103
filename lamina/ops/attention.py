"""`keras.ops.dot_product_attention`: softmax(q k^T * scale + bias, masked) v, differentiable."""
import math as _math

import numpy as np

from lamina.ops import linalg, math, nn
from lamina.ops._base import data_of
from lamina.ops.shapes import expand_dims, repeat, squeeze


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention.

    query (B, T, N, H), key and value (B, S, K, H) with N a multiple of K (grouped heads),
    or the same without the batch axis. `bias` (added) and boolean `mask` (True = attend)
    broadcast to the logits (B, N, T, S); `is_causal` masks future keys. Returns (B, T, N, H).
    """
    if flash_attention:
        raise ValueError("dot_product_attention: flash attention is not supported by lamina (NumPy)")
    qs, ks, vs = np.shape(data_of(query)), np.shape(data_of(key)), np.shape(data_of(value))
    if len(qs) not in (3, 4) or len(ks) != len(qs) or len(vs) != len(qs):
        raise ValueError(
            "dot_product_attention: query, key and value must all be 4-D (B, T, N, H) or 3-D "
            f"(T, N, H), got shapes {qs}, {ks} and {vs}"
        )
    batched = len(qs) == 4
    if not batched:
        query, key, value = (expand_dims(t, 0) for t in (query, key, value))
        qs, ks, vs = (1, *qs), (1, *ks), (1, *vs)
    n_heads, kv_heads = qs[2], ks[2]
    if qs[0] != ks[0] or qs[3] != ks[3] or ks[:3] != vs[:3]:
        raise ValueError(
            f"dot_product_attention: incompatible shapes query {qs}, key {ks}, value {vs}: batch and "
            "head size of query and key, and (batch, length, heads) of key and value must match"
        )
    if n_heads % kv_heads:
        raise ValueError(
            f"dot_product_attention: the query's {n_heads} heads must be a multiple of the key's {kv_heads}"
        )
    if n_heads != kv_heads:
        key = repeat(key, n_heads // kv_heads, axis=2)
        value = repeat(value, n_heads // kv_heads, axis=2)
    scale = 1.0 / _math.sqrt(qs[-1]) if scale is None else float(scale)
    logits = math.multiply(linalg.einsum("btnh,bsnh->bnts", query, key), scale)
    if attn_logits_soft_cap is not None:
        cap = float(attn_logits_soft_cap)
        logits = math.multiply(nn.tanh(math.divide(logits, cap)), cap)
    if bias is not None:
        logits = math.add(logits, bias)
    keep = None
    if mask is not None:
        keep = np.asarray(data_of(mask), dtype=bool)
    if is_causal:
        t, s = qs[1], ks[1]
        causal = np.tril(np.ones((t, s), dtype=bool))
        keep = causal if keep is None else keep & causal
    if keep is not None:
        low = np.finfo(np.asarray(data_of(logits)).dtype).min / 2  # finite: fully masked rows stay finite
        logits = math.where(keep, logits, low)
    probs = nn.softmax(logits, axis=-1)
    out = linalg.einsum("bnts,bsnh->btnh", probs, value)
    return out if batched else squeeze(out, 0)
