"""Two int4 values per byte (Keras 3's `pack_int4` / `unpack_int4`).

Along `axis`, entries 2k and 2k+1 share byte k: the low nibble holds entry 2k, the high
nibble entry 2k+1 (an odd length is padded with a 0). Unpacking sign-extends each nibble
((n ^ 8) - 8: 0..7 -> 0..7, 8..15 -> -8..-1) unless dtype="uint8".
"""
import numpy as np

from lamina.engine.tensor import Tensor, data_of


def _check_dtype(dtype):
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")


def pack_int4(arr, axis=0, dtype="int8"):
    """(packed, packed shape, original length along `axis`) for an int8/uint8 tensor of
    int4 values ([-8, 7], or [0, 15] with dtype="uint8")."""
    _check_dtype(dtype)
    a = np.asarray(data_of(arr))
    if a.dtype != np.dtype(dtype):
        raise TypeError(f"Expected {dtype} tensor for packing, got {a.dtype}.")
    axis = axis % a.ndim
    a = np.moveaxis(a, axis, 0)
    n = a.shape[0]
    if n % 2:
        a = np.concatenate([a, np.zeros((1,) + a.shape[1:], a.dtype)])
    u = a.view(np.uint8) & 0x0F
    packed = (u[0::2] | (u[1::2] << 4)).view(np.dtype(dtype))
    packed = np.ascontiguousarray(np.moveaxis(packed, 0, axis))
    return Tensor(packed), tuple(packed.shape), n


def unpack_int4(packed, orig_len, axis=0, dtype="int8"):
    """The int8 (or uint8) tensor `pack_int4` packed, `orig_len` long along `axis`."""
    _check_dtype(dtype)
    p = np.asarray(data_of(packed))
    if p.dtype not in (np.int8, np.uint8):
        raise TypeError(f"Expected int8 or uint8 tensor for unpacking, got {p.dtype}")
    axis = axis % p.ndim
    u = np.moveaxis(p, axis, 0).view(np.uint8)
    out = np.empty((2 * u.shape[0],) + u.shape[1:], np.uint8)
    out[0::2] = u & 0x0F
    out[1::2] = u >> 4
    if dtype == "int8":
        out = ((out ^ 8).astype(np.int8) - np.int8(8)).astype(np.int8)
    out = np.ascontiguousarray(np.moveaxis(out[:orig_len], 0, axis))
    return Tensor(out)
