"""Integer sequences to arrays: `pad_sequences` (Keras's) and `multi_hot` (bag of words).

Both take ragged input: a list or object array of lists/arrays, e.g. what
`datasets.imdb.load_data` returns. `pad_sequences` copies one slice per sequence (measured
faster than flattening all tokens when sequences are long, as texts are); `multi_hot`
flattens all tokens and uses the lengths to give each its row, so no Python loop runs per
token.
"""

import itertools
import numbers

import numpy as np


def _lengths(sequences, name):
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"`{name}` must be a list of sequences, got {type(sequences).__name__}")
    try:
        return np.fromiter(map(len, sequences), np.int64, count=len(sequences))
    except TypeError:
        bad = next(s for s in sequences if not hasattr(s, "__len__"))
        raise ValueError(
            f"`{name}` must be a list of iterables (one sequence per sample); found the "
            f"non-iterable {bad!r}. For a single sequence pass [sequence]."
        ) from None


def _flat(sequences, lengths, dtype):
    """All tokens, concatenated in order, as a 1-D array of `dtype`."""
    if isinstance(sequences, np.ndarray) and sequences.dtype != object and sequences.ndim == 2:
        return sequences.reshape(-1).astype(dtype, copy=False)
    return np.fromiter(itertools.chain.from_iterable(sequences), dtype, count=int(lengths.sum()))


def pad_sequences(
    sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0
):
    """Pad/truncate sequences to one length: array `(len(sequences), maxlen)` of `dtype`.

    `maxlen` defaults to the longest sequence. `padding` ("pre"/"post") puts `value` before
    or after shorter sequences; `truncating` ("pre"/"post") drops the start or the end of
    longer ones. Sequences of vectors give `(n, maxlen, *sample_shape)`. As Keras's.
    """
    for name, arg in (("padding", padding), ("truncating", truncating)):
        if arg not in ("pre", "post"):
            raise ValueError(f'{name} must be "pre" or "post", got {arg!r}')
    lengths = _lengths(sequences, "sequences")
    n = len(lengths)
    sample_shape = ()
    for s in sequences:  # the first non-empty sequence sets the shape of one step
        if len(s):
            sample_shape = np.asarray(s).shape[1:]
            break
    if maxlen is None:
        maxlen = int(lengths.max()) if n else 0
    if isinstance(maxlen, bool) or not isinstance(maxlen, numbers.Integral) or maxlen < 0:
        raise ValueError(f"maxlen must be a non-negative integer or None, got {maxlen!r}")
    maxlen = int(maxlen)
    if isinstance(value, str) and np.dtype(dtype).kind not in "OUS":
        raise ValueError(
            f"dtype {dtype!r} cannot hold the string padding value {value!r}; pass dtype=object "
            "for variable length strings"
        )
    out = np.full((n, maxlen) + sample_shape, value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or not maxlen:
            continue
        trunc = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if trunc.shape[1:] != sample_shape:
            raise ValueError(
                f"sequence {i} has steps of shape {trunc.shape[1:]}, but the first non-empty "
                f"sequence has {sample_shape}; all steps must have the same shape"
            )
        if padding == "post":
            out[i, : len(trunc)] = trunc
        else:
            out[i, maxlen - len(trunc) :] = trunc
    return out


def multi_hot(sequences, num_tokens, sparse=False):
    """1.0 at column t of row i when token t occurs in `sequences[i]` (duplicates count once).

    Returns float32 `(len(sequences), num_tokens)`: a dense array, or with `sparse=True` a
    `scipy.sparse.csr_matrix` (IMDB's 25,000 x 10,000: 26 MB instead of 1 GB dense).
    Token indices must lie in [0, num_tokens): larger ones raise ValueError naming the
    largest (load the data with `num_words=num_tokens` to cap them). This is *Deep Learning
    with Python*'s `vectorize_sequences`, vectorised and in float32.
    """
    if (
        isinstance(num_tokens, bool)
        or not isinstance(num_tokens, numbers.Integral)
        or num_tokens < 1
    ):
        raise ValueError(f"num_tokens must be a positive integer, got {num_tokens!r}")
    if isinstance(sequences, np.ndarray) and sequences.dtype != object and sequences.ndim == 2:
        if sequences.dtype.kind not in "iu":
            raise TypeError(f"multi_hot needs integer token indices, got dtype {sequences.dtype}")
        lengths = np.full(sequences.shape[0], sequences.shape[1], np.int64)
    else:
        lengths = _lengths(sequences, "sequences")
    try:
        flat = _flat(sequences, lengths, np.int64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"multi_hot needs sequences of integer token indices ({e})") from None
    n = len(lengths)
    if flat.size:
        lo, hi = int(flat.min()), int(flat.max())
        if lo < 0:
            raise ValueError(f"token indices must be >= 0, found {lo}")
        if hi >= num_tokens:
            raise ValueError(
                f"token index {hi} is out of range for num_tokens={num_tokens} (indices must be "
                f"< num_tokens); pass num_tokens={hi + 1} or load the data with "
                f"num_words={num_tokens}"
            )
    if sparse:
        from scipy.sparse import csr_matrix  # lazy: keeps `import lamina` fast

        indptr = np.zeros(n + 1, np.int64)
        np.cumsum(lengths, out=indptr[1:])
        itype = np.int32 if max(num_tokens, flat.size) < 2**31 else np.int64
        m = csr_matrix(
            (np.ones(flat.size, np.float32), flat.astype(itype), indptr.astype(itype)),
            shape=(n, num_tokens),
        )
        m.sum_duplicates()  # sorts each row's columns and merges repeats...
        m.data[:] = 1.0  # ...whose summed counts become presence flags
        return m
    out = np.zeros((n, num_tokens), np.float32)
    out[np.repeat(np.arange(n), lengths), flat] = 1.0
    return out
