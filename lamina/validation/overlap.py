"""`check_overlap`: samples present in both the training and the test (or validation) data.

The course's "redundancy in your data" warning: if some samples occur twice, shuffling and
splitting puts copies on both sides, and the model is then evaluated partly on data it
trained on, which overstates how well it generalizes. Rows are compared exactly (same
values; NumPy rows, scipy.sparse rows, or variable-length sequences such as IMDB's).
"""
import warnings

import numpy as np

from lamina.engine.sparse import is_sparse
from lamina.validation.splits import as_arrays


class Overlap:
    """Result of `check_overlap`: truthy when some test rows also occur in the training data.

    `test_indices`: rows of `test` found in `train`; `train_indices`: rows of `train` found
    in `test`; `count` = len(test_indices); `fraction` = count / len(test).
    """

    def __init__(self, train_indices, test_indices, n_train, n_test):
        self.train_indices = np.asarray(train_indices, np.int64)
        self.test_indices = np.asarray(test_indices, np.int64)
        self.n_train, self.n_test = n_train, n_test
        self.count = len(self.test_indices)
        self.fraction = self.count / n_test if n_test else 0.0

    def __bool__(self):
        return self.count > 0

    @property
    def message(self):
        if not self.count:
            return f"no overlap: none of the {self.n_test} test rows occurs in the training data"
        return (
            f"{self.count} of {self.n_test} test rows ({100 * self.fraction:.1f}%) also occur in "
            f"the training data ({len(self.train_indices)} training rows): the model would be "
            "evaluated partly on samples it trained on. Remove duplicates before splitting "
            "(redundancy in your data)."
        )

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"Overlap(count={self.count}, n_test={self.n_test}, fraction={self.fraction:.4f})"


def _keys(a, dtype):
    """One hashable key per row: equal rows give equal keys."""
    if is_sparse(a):  # CSR: the sorted column indices and values of each row
        a = a.copy()
        a.sum_duplicates()
        a.eliminate_zeros()
        ind = a.indices.astype(np.int64)
        val = a.data.astype(np.float64) + 0.0  # + 0.0 makes -0.0 equal to 0.0
        p = a.indptr
        return [(ind[p[i]:p[i + 1]].tobytes(), val[p[i]:p[i + 1]].tobytes())
                for i in range(a.shape[0])]
    if a.dtype == object:  # ragged sequences
        return [tuple(np.asarray(s).ravel().tolist()) for s in a]
    rows = np.ascontiguousarray(a.reshape(a.shape[0], -1), dtype=dtype)
    if rows.dtype.kind in "fc":
        rows = rows + 0.0
    return [r.tobytes() for r in rows]


def check_overlap(train, test, warn=False):
    """Which rows of `test` also occur in `train` (exact duplicates); returns an `Overlap`.

    `train`, `test`: arrays of samples (first axis) with the same row shape, scipy.sparse
    matrices, or sequences of token lists. `print(result)` explains the finding;
    `warn=True` also emits a UserWarning when there is an overlap.
    """
    a, n_train = as_arrays(train, "train")
    b, n_test = as_arrays(test, "test")
    if isinstance(a, (list, tuple, dict)) or isinstance(b, (list, tuple, dict)):
        raise TypeError("check_overlap compares one array of samples with another; for several "
                        "inputs, call it once per input array")
    if is_sparse(a) != is_sparse(b):
        raise TypeError("check_overlap: compare sparse with sparse (or dense with dense); "
                        "convert one with .toarray() or scipy.sparse.csr_matrix(...)")
    if a.dtype != object and b.dtype != object and a.shape[1:] != b.shape[1:]:
        raise ValueError(f"check_overlap: train rows have shape {a.shape[1:]} but test rows have "
                         f"{b.shape[1:]}; both must describe the same features")
    dtype = None if a.dtype == object else np.result_type(a.dtype, b.dtype)
    where = {}
    for i, key in enumerate(_keys(a, dtype)):
        where.setdefault(key, []).append(i)
    test_idx, train_idx = [], set()
    for j, key in enumerate(_keys(b, dtype)):
        hits = where.get(key)
        if hits:
            test_idx.append(j)
            train_idx.update(hits)
    result = Overlap(sorted(train_idx), test_idx, n_train, n_test)
    if warn and result:
        warnings.warn(result.message, UserWarning, stacklevel=2)
    return result
