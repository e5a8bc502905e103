"""`split_dataset`: cut a dataset (or arrays) into a left and a right `Dataset`, as Keras does.

The samples are collected in memory (a batched lamina Dataset is unbatched first), optionally
shuffled with Python's `random.Random(seed)` (Keras's generator, so a seed splits the same
samples), then the first `left_size` go left and the last `right_size` go right. A batched
input gives batched outputs with the same batch size.
"""
import random as _pyrandom

import numpy as np

from lamina import random
from lamina.utils.dataset import Dataset, is_dataset, stack_elements, to_numpy


def _samples(dataset):
    if is_dataset(dataset):
        if dataset.cardinality() == -1:
            raise ValueError("split_dataset: the dataset is infinite (repeat() without a count)")
        source = dataset.unbatch() if dataset._batch_size is not None else dataset
        return list(source), dataset._batch_size
    if isinstance(dataset, np.ndarray):
        return list(dataset), None
    if isinstance(dataset, (list, tuple)):
        arrays = [np.asarray(to_numpy(a)) for a in dataset]
        if not arrays:
            raise ValueError("split_dataset: got an empty list/tuple; pass arrays of equal length")
        lengths = {len(a) for a in arrays}
        if len(lengths) != 1:
            raise ValueError(
                f"split_dataset: the arrays have different lengths {[len(a) for a in arrays]}; "
                "each must have one row per sample"
            )
        return [tuple(a[i] for a in arrays) for i in range(lengths.pop())], None
    raise TypeError(
        "split_dataset takes a lamina Dataset, a NumPy array or a list/tuple of arrays, "
        f"got {type(dataset).__name__}"
    )


def _sizes(left_size, right_size, total):
    for name, value in (("left_size", left_size), ("right_size", right_size)):
        if value is not None and type(value) not in (int, float):
            raise TypeError(f"split_dataset: {name} must be an int, a float or None, got {type(value).__name__}")
        if type(value) is int and not 0 < value < total:
            raise ValueError(f"split_dataset: {name} must be an int in (0, {total}) or a float in (0, 1), got {value}")
        if type(value) is float and not 0 < value < 1:
            raise ValueError(f"split_dataset: {name} must be an int in (0, {total}) or a float in (0, 1), got {value}")
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError(f"split_dataset: left_size + right_size = {left_size + right_size} is more than 1")
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    if left is None:
        left = total - right
    if right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"split_dataset: left_size + right_size = {left + right} is more than the {total} samples")
    if left == 0 or right == 0:
        side = "left" if left == 0 else "right"
        raise ValueError(
            f"split_dataset: with {total} samples, left_size={left_size} and right_size={right_size} "
            f"leave the {side} split empty"
        )
    return int(left), int(right)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """(left, right) Datasets; sizes are counts (int) or fractions (float, rounded)."""
    if left_size is None and right_size is None:
        raise ValueError("split_dataset needs left_size or right_size (or both)")
    samples, batch_size = _samples(dataset)
    if not samples:
        raise ValueError("split_dataset: the dataset is empty")
    if shuffle:
        if seed is None:
            seed = int(random.generator(None).integers(1_000_000))
        _pyrandom.Random(seed).shuffle(samples)
    left, right = _sizes(left_size, right_size, len(samples))
    out = []
    for part in (samples[:left], samples[-right:]):
        ds = Dataset.from_tensor_slices(stack_elements(part))
        if batch_size is not None:
            ds = ds.batch(batch_size)
        if hasattr(dataset, "class_names"):
            ds.class_names = dataset.class_names
        out.append(ds)
    return tuple(out)
