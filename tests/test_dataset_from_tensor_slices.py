"""`Dataset.from_tensor_slices` reads Python data as tf.data does."""
import numpy as np

from lamina.utils.dataset import Dataset


def test_from_tensor_slices_reads_python_lists_as_tensorflow_does():
    # a list is one tensor (tuples and dicts are structures); Python numbers take TF's dtypes
    first = next(iter(Dataset.from_tensor_slices([1.0, 2.0])))
    assert first.dtype == np.float32 and first == 1.0
    x, y = next(iter(Dataset.from_tensor_slices(([[1.0, 2.0], [3.0, 4.0]], [0, 1]))))
    assert x.dtype == np.float32 and x.tolist() == [1.0, 2.0]
    assert y.dtype == np.int32 and y == 0
    d = next(iter(Dataset.from_tensor_slices({"a": [0.5, 1.5]})))
    assert d["a"].dtype == np.float32 and d["a"] == 0.5
    assert next(iter(Dataset.from_tensor_slices(np.zeros(2)))).dtype == np.float64  # arrays keep theirs
