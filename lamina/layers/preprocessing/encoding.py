"""Integer indices -> one-hot / multi-hot / count vectors, shared by the categorical layers
(Keras's `encode_categorical_inputs`).

Shapes: "one_hot" encodes every element: (..., 1) -> (..., depth) and (..., n) ->
(..., n, depth) (n != 1). "multi_hot" and "count" treat the last axis as one sample:
(..., n) -> (..., depth); a rank-1 input (n,) is one sample -> (depth,); "count" accepts
rank <= 2 (as Keras). Indices outside [0, depth) are dropped (the lookup layers mark masked
tokens that way); callers that must refuse them check first.
"""
import numpy as np

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def check_output_mode(mode, allowed, layer):
    if mode == "binary":  # Keras's deprecated name
        mode = "multi_hot"
    if mode == "tf-idf":
        mode = "tf_idf"
    if mode not in allowed:
        import difflib

        close = difflib.get_close_matches(str(mode), allowed, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{layer}: invalid `output_mode` {mode!r}; expected one of "
                         f"{allowed}.{hint}")
    return mode


def encoded_shape(input_shape, output_mode, depth):
    """The output shape of `encode` for an input shape (dims may be None)."""
    shape = tuple(input_shape)
    if output_mode == "int":
        return shape
    if not shape:
        return (depth,)
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            return shape[:-1] + (depth,)
        return shape + (depth,)
    return shape[:-1] + (depth,)


def encode(indices, output_mode, depth, dtype="float32", count_weights=None):
    """Encode an int array of indices (see the module docstring) as a `dtype` array."""
    idx = np.asarray(indices)
    if output_mode == "int":
        return idx.astype(dtype)
    if idx.ndim == 0:
        idx = idx.reshape(1)
    if output_mode == "one_hot":
        if idx.ndim > 1 and idx.shape[-1] == 1:
            idx = idx[..., 0]
        out = np.zeros(idx.shape + (depth,), dtype=dtype)
        valid = (idx >= 0) & (idx < depth)
        flat = out.reshape(-1, depth)
        rows = np.flatnonzero(valid.ravel())
        flat[rows, idx.ravel()[rows]] = 1
        return out
    if output_mode == "count" and idx.ndim > 2:
        raise ValueError(
            f"output_mode='count' supports inputs of rank <= 2 (a batch of samples), got an "
            f"input of shape {idx.shape}; flatten the leading axes first")
    lead = idx.shape[:-1]
    rows = idx.reshape(int(np.prod(lead, dtype=np.int64)), idx.shape[-1])
    n_rows = rows.shape[0]
    valid = (rows >= 0) & (rows < depth)
    row_ids = np.broadcast_to(np.arange(n_rows)[:, None], rows.shape)
    flat = row_ids[valid] * depth + rows[valid]
    if output_mode == "count" and count_weights is not None:
        w = np.broadcast_to(np.asarray(count_weights, dtype=np.float64).reshape(rows.shape),
                            rows.shape)[valid]
        counts = np.bincount(flat, weights=w, minlength=n_rows * depth)
    else:
        counts = np.bincount(flat, minlength=n_rows * depth)
        if output_mode == "multi_hot":
            counts = counts > 0
    return counts.reshape(lead + (depth,)).astype(dtype)
