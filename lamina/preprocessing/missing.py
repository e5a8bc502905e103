"""Missing values: replace NaN by a value, optionally adding "was missing" indicator columns.

The course's advice: with normalised inputs, 0 is a safe fill value (the network learns
that 0 means "missing" if it occurs in training), and an explicit indicator feature per
column that had missing values makes that information available to the model. The
indicator columns must be the same for training and test data: compute them on the
training data (`missing_features(x_train)`) and pass that list as `indicator` for the
test data.
"""

import numbers

import numpy as np

from lamina.engine.tensor import data_of


def missing_features(x):
    """Indices of the columns of the 2-D array `x` that contain at least one NaN."""
    a = np.asarray(data_of(x))
    if a.ndim != 2:
        raise ValueError(
            f"missing_features needs a 2-D array (samples, features), got shape {a.shape}"
        )
    return np.flatnonzero(np.isnan(a).any(axis=0)) if a.dtype.kind in "fc" else np.zeros(0, np.intp)


def fill_missing(x, value=0.0, indicator=False):
    """`x` with every NaN replaced by `value`; float input keeps its dtype, others give float32.

    `indicator=True` appends, for each feature (column of the 2-D `x`) with at least one
    NaN, a column holding 1.0 where it was missing and 0.0 elsewhere, in feature order.
    `indicator` may also be a list of column indices (e.g. `missing_features(x_train)`) so
    that test data gets exactly the training data's indicator columns.
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not np.isfinite(value):
        raise ValueError(f"fill_missing: value must be a finite number, got {value!r}")
    a = np.asarray(data_of(x))
    if a.dtype.kind not in "f":
        a = a.astype(np.float32)
    missing = np.isnan(a)
    out = np.where(missing, np.asarray(value, a.dtype), a)
    if indicator is False or indicator is None:
        return out
    if a.ndim != 2:
        raise ValueError(
            "fill_missing(indicator=...) needs a 2-D array (samples, features), "
            f"got shape {a.shape}"
        )
    if indicator is True:
        columns = np.flatnonzero(missing.any(axis=0))
    else:
        columns = np.asarray(indicator, dtype=np.intp).reshape(-1)
        if columns.size and (columns.min() < 0 or columns.max() >= a.shape[1]):
            raise ValueError(
                f"fill_missing: indicator columns {columns.tolist()} out of range for "
                f"{a.shape[1]} features"
            )
    return np.concatenate([out, missing[:, columns].astype(a.dtype)], axis=1)
