"""scipy.sparse values among array data, recognised without importing SciPy (slow to import).

Sparse matrices are accepted as model inputs and targets (rows of a CSR matrix per batch, the
left operand of `matmul`); everywhere else they are converted or refused. These two helpers are
the one place that says what counts as sparse and what its shape is.
"""
import numpy as np


def is_sparse(x):
    """True for scipy.sparse matrices and arrays (duck-typed: `nnz` and `tocsr`)."""
    return hasattr(x, "nnz") and hasattr(x, "tocsr")


def shape_of(x):
    """The shape of `x`: a lamina Tensor, a NumPy array, a scipy.sparse matrix (whose shape
    `np.shape` does not see), or a nested list."""
    shape = getattr(x, "shape", None)
    if isinstance(shape, tuple):
        return shape
    return np.shape(x)
