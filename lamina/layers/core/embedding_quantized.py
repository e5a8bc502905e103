"""Embedding with a quantized table (Keras 3's int8 and int4 modes, same variables).

int8: `embeddings` (input_dim, output_dim) int8 = round(e * s), one scale per row
(`embeddings_scale`, (input_dim,), s = 127 / max|row|); a lookup returns q[i] / s[i].
int4 per channel (block_size None or -1): the same with 7 / max|row| and values in [-8, 7].
int4 sub-channel (block_size b): each row is cut into groups of b columns, each with a scale
and a zero point ((input_dim, n_groups)); a lookup returns (q - zero[g]) * scale[g] with
g = column // b (`g_idx`). int4 values are stored two per byte along the rows:
`embeddings` is (input_dim, ceil(output_dim / 2)). The table is constant once quantized:
lookups have no gradient.
"""
import math

import numpy as np

from lamina import quantizers
from lamina.layers.base.quantizable import add_group_weights, values


def build(layer, mode):
    """Create the zero-filled quantized variables of `mode` (Keras's names and shapes)."""
    n, dim = layer.input_dim, layer.output_dim
    layer.embeddings_zero = layer.g_idx = None
    packed = dim if mode == "int8" else (dim + 1) // 2
    layer.embeddings = layer.add_weight(name="embeddings", shape=(n, packed), initializer="zeros",
                                        dtype="int8", trainable=False)
    block = layer._block_size() if mode == "int4" else None
    shape = (n,) if block is None else (n, math.ceil(dim / block))
    layer.embeddings_scale = layer.add_weight(name="embeddings_scale", shape=shape, initializer="ones",
                                              trainable=False)
    if block is not None:
        layer.embeddings_zero = add_group_weights(layer, "embeddings", shape, dim, block)


def fill(layer, mode, table):
    """Quantize the float table (input_dim, output_dim) into the variables `build` made."""
    config = layer.quantization_config
    block = layer._block_size() if mode == "int4" else None
    if block is None:
        value_range = (-127, 127) if mode == "int8" else (-8, 7)
        quantizer = quantizers.QuantizationConfig.weight_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer(axis=-1, value_range=value_range, output_dtype="int8"))
        q, scale = quantizer(table)
        layer.embeddings_scale.assign(values(scale).reshape(-1))
    else:
        q, scale, zero = quantizers.abs_max_quantize_grouped_with_zero_point(table.T, block_size=block)
        q = values(q).T
        layer.embeddings_scale.assign(values(scale).T)
        layer.embeddings_zero.assign(values(zero).T)
    q = values(q)
    layer.embeddings.assign(q if mode == "int8" else values(quantizers.pack_int4(q, axis=-1)[0]))


def lookup(layer, idx):
    """The dequantized rows for integer indices `idx` (any shape) -> (*idx.shape, output_dim)."""
    scale = layer.embeddings_scale.data
    rows = layer.embeddings.data[idx]
    if layer.quantization_mode == "int4":
        rows = values(quantizers.unpack_int4(rows, layer.output_dim, axis=-1))
    rows = rows.astype(scale.dtype)
    if layer.embeddings_zero is None:
        return rows / scale[idx][..., None]
    g = np.arange(layer.output_dim) // layer._block_size()
    return (rows - layer.embeddings_zero.data[idx][..., g].astype(scale.dtype)) * scale[idx][..., g]
