"""`HashedCrossing`: crosses of categorical features by the hashing trick, bit for bit as
Keras (which calls TensorFlow's `tf.sparse.cross_hashed`).

For one sample with feature values v1, ..., vn (strings or integers):
h = 0xDECAFCAFFE; h = cat64(h, key(vi)) for each i; bin = h % num_bins, where key(v) is
FarmHash Fingerprint64 of a string's UTF-8 bytes and the integer itself (as an unsigned
64-bit value) for an integer, and cat64 is TensorFlow's FingerprintCat64 mix.
"""
import numpy as np

from lamina.engine.tensor import Tensor
from lamina.layers.preprocessing import encoding
from lamina.layers.preprocessing.data_layer import DataLayer, raw
from lamina.layers.preprocessing.hash_functions import fingerprint64
from lamina.symbolic.keras_tensor import KerasTensor

MASK = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995
_HASH_KEY = 0xDECAFCAFFE


def _shift_mix(v):
    return v ^ (v >> 47)


def fingerprint_cat64(fp1, fp2):
    """TensorFlow's FingerprintCat64: combines two unsigned 64-bit fingerprints."""
    result = fp1 ^ _MUL
    result ^= (_shift_mix((fp2 * _MUL) & MASK) * _MUL) & MASK
    result = (result * _MUL) & MASK
    result = (_shift_mix(result) * _MUL) & MASK
    return _shift_mix(result)


def _keys(column, who):
    """The per-value 64-bit keys of one feature column (a 1-D array)."""
    if column.dtype.kind in "iub":
        return [int(v) & MASK for v in column.tolist()]
    if column.dtype.kind in "USO":
        return [fingerprint64(v if isinstance(v, bytes) else str(v).encode("utf-8"))
                for v in column.tolist()]
    raise TypeError(f"{who}: every input must hold integers or strings, got dtype {column.dtype}")


class HashedCrossing(DataLayer):
    """`HashedCrossing(num_bins, output_mode="int")` called on a list of >= 2 features of
    equal shape `()`, `(batch,)` or `(batch, 1)`: the int64 bin of each sample's cross
    (the input's shape), or its one-hot vector of `num_bins` with output_mode="one_hot"."""

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)) or num_bins <= 0:
            raise ValueError(f"HashedCrossing: num_bins must be a positive integer, got {num_bins!r}")
        self.output_mode = encoding.check_output_mode(output_mode, ("int", "one_hot"),
                                                      "HashedCrossing")
        if sparse:
            raise ValueError("HashedCrossing: sparse=True needs the TensorFlow backend in Keras; "
                             "lamina's outputs are dense, use sparse=False")
        self.num_bins = int(num_bins)
        self.sparse = sparse

    def _check(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError("HashedCrossing must be called on a list or tuple of at least two "
                             f"inputs, got {inputs!r}")
        arrays = [np.asarray(raw(x)) for x in inputs]
        first = arrays[0].shape
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError("HashedCrossing: every input must have shape (), (batch,) or "
                             f"(batch, 1), got {first}")
        if any(a.shape != first for a in arrays[1:]):
            raise ValueError("HashedCrossing: every input must have the same shape, got "
                             f"{[a.shape for a in arrays]}")
        return arrays

    def call(self, inputs):
        arrays = self._check(inputs)
        shape = arrays[0].shape
        columns = [_keys(a.reshape(-1), "HashedCrossing") for a in arrays]
        bins = []
        for keys in zip(*columns):
            h = _HASH_KEY
            for k in keys:
                h = fingerprint_cat64(h, k)
            bins.append(h % self.num_bins)
        idx = np.array(bins, dtype=np.int64).reshape(shape)
        if self.output_mode == "int":
            return Tensor(idx.astype(self.dtype))
        if idx.ndim == 2:
            idx = idx[:, 0]
        return Tensor(encoding.encode(idx, "one_hot", self.num_bins, self.dtype))

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 2 or \
                not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError("HashedCrossing expects the shapes of a list of at least two "
                             f"inputs, got {input_shape!r}")
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if first and first[-1] == 1:
            first = first[:-1]
        return first + (self.num_bins,)

    def compute_output_spec(self, inputs, *args, **kwargs):
        shape = self.compute_output_shape([tuple(x.shape) for x in inputs])
        return KerasTensor(shape, dtype=self.dtype)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins,
                "output_mode": self.output_mode, "sparse": self.sparse}
