"""Hold-out and K-fold splits of samples (rows of NumPy arrays, scipy.sparse matrices, or
lists/dicts of them, as `fit` accepts).

With `shuffle=False` the data's order is kept: the hold-out set is the *last* samples and
K-fold's validation folds are consecutive blocks, which is what time series need (never
shuffle the future into the training data). Seeds make every split repeatable.
"""
import numbers

import numpy as np

from lamina import random
from lamina.engine import tree
from lamina.engine.sparse import is_sparse
from lamina.engine.tensor import Tensor
from lamina.trainers.data_adapter import take


def _leaf(a):
    if isinstance(a, Tensor):
        return a.data
    if is_sparse(a):
        return a if a.format == "csr" else a.tocsr()  # row indexing needs CSR
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "to_numpy"):  # pandas
        return a.to_numpy()
    return np.asarray(a)


def _is_structure(x):
    """A dict, or a list/tuple of arrays (several inputs), rather than a list of numbers."""
    if isinstance(x, dict):
        return True
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(
        isinstance(v, (np.ndarray, Tensor, dict)) or is_sparse(v) or hasattr(v, "to_numpy")
        for v in x
    )


def as_arrays(x, name):
    """`x` with every leaf an array (CSR for sparse ones), and its number of samples."""
    if x is None:
        raise ValueError(f"`{name}` is None; pass an array of samples")
    data = tree.map_structure(_leaf, x) if _is_structure(x) else _leaf(x)
    sizes = set()
    for a in tree.flatten(data):
        if a.ndim == 0:
            raise ValueError(f"`{name}` must hold samples along its first axis, got a scalar")
        sizes.add(a.shape[0])
    if len(sizes) != 1:
        raise ValueError(
            f"the arrays in `{name}` have different numbers of samples: {sorted(sizes)}")
    return data, sizes.pop()


def num_samples_of(x, y, names=("x", "y")):
    """Both structures as arrays, checking they hold the same number of samples."""
    x, n = as_arrays(x, names[0])
    if y is None:
        return x, None, n
    y, ny = as_arrays(y, names[1])
    if ny != n:
        raise ValueError(
            f"`{names[0]}` has {n} samples but `{names[1]}` has {ny}: they must match (one target "
            "per sample)"
        )
    return x, y, n


def check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _permutation(n, seed):
    return np.random.default_rng(seed).permutation(n)


def holdout_split(x, y=None, validation_fraction=0.2, shuffle=True, seed=None):
    """Split samples into `(x_train, y_train), (x_val, y_val)` (simple hold-out validation).

    `validation_fraction`: a float in (0, 1), the fraction of samples held out, or an int
    >= 1, their number (e.g. 10000 for IMDB as in the course). With `shuffle=False` the
    validation set is the last samples (time order kept); with `shuffle=True` the samples
    are permuted first by a generator seeded with `seed` (drawn from lamina's generator
    when None, so `lamina.utils.set_random_seed` makes it repeatable). `y` may be None.
    """
    x, y, n = num_samples_of(x, y)
    frac = validation_fraction
    if isinstance(frac, bool) or not isinstance(frac, numbers.Real):
        raise TypeError(f"`validation_fraction` must be a number, got {frac!r}")
    if isinstance(frac, numbers.Integral):
        n_val = int(frac)
        if not 1 <= n_val < n:
            raise ValueError(
                f"`validation_fraction`={n_val} samples leaves no training data from {n} samples; "
                f"pass a count in [1, {n - 1}] or a fraction in (0, 1)"
            )
    else:
        if not 0 < frac < 1:
            raise ValueError(f"`validation_fraction` must be in (0, 1), got {frac!r}")
        n_val = round(n * frac)
        if not 1 <= n_val < n:
            raise ValueError(
                f"`validation_fraction`={frac} of {n} samples gives {n_val} validation samples; "
                "both sets need at least one sample"
            )
    if shuffle:
        seed = random.generator(None).integers(2**31) if seed is None else seed
        order = _permutation(n, seed)
    else:
        order = np.arange(n)
    train, val = order[: n - n_val], order[n - n_val :]
    return (take(x, train), take(y, train)), (take(x, val), take(y, val))


def fold_indices(order, k):
    """(train, val) index pairs: val folds are consecutive blocks of `order`, the first
    `n % k` folds one sample larger, so every sample is validated exactly once."""
    n = len(order)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    stops = np.cumsum(sizes)
    out = []
    for stop, size in zip(stops, sizes):
        start = stop - size
        out.append((np.concatenate([order[:start], order[stop:]]), order[start:stop]))
    return out


class KFold:
    """K-fold splits: each of `k` folds is the validation set once, the rest trains.

    `split(x)` yields `(train_indices, val_indices)` int arrays. With `shuffle=True` the
    samples are permuted by a generator seeded with `seed` (drawn once from lamina's
    generator when None), so repeated `split` calls give the same folds; with
    `shuffle=False` folds are consecutive blocks in data order (training indices stay in
    order: time series). Fold sizes differ by at most one.
    """

    def __init__(self, k=4, shuffle=True, seed=None):
        self.k = check_int("k", k, 2)
        self.shuffle = bool(shuffle)
        if shuffle and seed is None:
            seed = int(random.generator(None).integers(2**31))
        self.seed = seed

    def __repr__(self):
        return f"KFold(k={self.k}, shuffle={self.shuffle}, seed={self.seed})"

    def get_n_splits(self, x=None):
        return self.k

    def split(self, x):
        """Yield `(train_indices, val_indices)` for each fold; `x` is data or a sample count."""
        if isinstance(x, numbers.Integral) and not isinstance(x, bool):
            n = int(x)
        else:
            _, n = as_arrays(x, "x")
        if self.k > n:
            raise ValueError(f"KFold: k={self.k} folds need at least {self.k} samples, got {n}")
        order = _permutation(n, self.seed) if self.shuffle else np.arange(n)
        yield from fold_indices(order, self.k)
