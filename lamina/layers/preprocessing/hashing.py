"""`Hashing`: strings or integers -> one of `num_bins` buckets by a stable hash."""
import numpy as np

from lamina.engine.tensor import Tensor
from lamina.layers.preprocessing import encoding
from lamina.layers.preprocessing.data_layer import DataLayer, raw
from lamina.layers.preprocessing.hash_functions import fingerprint64, siphash64
from lamina.symbolic.keras_tensor import KerasTensor


class Hashing(DataLayer):
    """bin = hash(value) % num_bins, with Keras's (TensorFlow's) hashes, bit for bit:
    FarmHash Fingerprint64 by default, SipHash-2-4 keyed by `salt` (an int, or a pair of
    ints) when given. Integers are hashed as their decimal strings and floats are first
    truncated to integers, as Keras does.

    mask_value: inputs equal to it go to bin 0 and the others to 1 + hash % (num_bins - 1).
    output_mode: "int" (int64 bins, the input's shape), "one_hot", "multi_hot" or "count"
    (float32 vectors of num_bins, see `encoding`).
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"Hashing: `num_bins` must be a positive integer, got {num_bins!r}")
        if output_mode == "int" and self.compute_dtype not in ("int32", "int64"):
            raise ValueError("Hashing: with output_mode='int' the dtype must be 'int32' or "
                             f"'int64', got {self.compute_dtype!r}")
        self.output_mode = encoding.check_output_mode(output_mode, encoding.OUTPUT_MODES, "Hashing")
        if sparse:
            raise NotImplementedError("Hashing: sparse=True is not implemented in lamina "
                                      "(outputs are dense)")
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.sparse = sparse
        self.strong_hash = salt is not None
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = [int(s) for s in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                self.salt = [salt, salt]
            else:
                raise ValueError("Hashing: `salt` must be an integer or a tuple of 2 integers, "
                                 f"got {salt!r}")

    def _hash(self, value):
        data = value.encode("utf-8") if isinstance(value, str) else value
        if self.strong_hash:
            return siphash64(self.salt[0], self.salt[1], data)
        return fingerprint64(data)

    def hash_to_bins(self, values):
        """int64 bins of an array of values (strings, bytes, integers or floats)."""
        a = np.asarray(raw(values))
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = a == self.mask_value
        if a.dtype.kind == "f":
            a = a.astype(np.int64)
        if a.dtype.kind in "iub":
            keys = a.astype(np.int64).astype(str)
        elif a.dtype.kind in "USO":
            keys = a
        else:
            raise TypeError(f"Hashing layer {self.name!r}: cannot hash values of dtype {a.dtype}")
        uniques, inverse = np.unique(keys.ravel(), return_inverse=True)
        table = np.array([self._hash(str(u) if not isinstance(u, bytes) else u) % bins
                          for u in uniques.tolist()], dtype=np.int64)
        out = table[inverse].reshape(a.shape) if table.size else np.zeros(a.shape, np.int64)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        return out

    def call(self, inputs):
        idx = self.hash_to_bins(inputs)
        if self.output_mode == "one_hot" and idx.ndim > 0 and idx.shape[-1] == 1:
            idx = idx[..., 0]
        return Tensor(encoding.encode(idx, self.output_mode, self.num_bins, self.compute_dtype))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        return (shape[:-1] if shape else ()) + (self.num_bins,)

    def compute_output_spec(self, inputs, *args, **kwargs):
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": self.sparse}
