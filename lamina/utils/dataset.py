"""`Dataset`: a re-iterable pipeline of NumPy elements with the tf.data methods Keras code calls.

Keras's dataset utilities (`image_dataset_from_directory`, `timeseries_dataset_from_array`, ...)
return `tf.data.Dataset`s; lamina returns this class instead. An element is a NumPy array, a
Python scalar/str, or a tuple/dict of them; for the Keras utilities it is a batch `(x, y)`.

Each `for` loop (each epoch of `fit`) starts a fresh pass over the pipeline, so a dataset is
re-iterable; `shuffle` draws a new order on every pass (seeded: the same sequence of orders
on every run). Transformations are lazy and return new datasets:

- `map(fn)`: `fn(*element)` for tuple elements, else `fn(element)`; lamina Tensors it
  returns are turned into NumPy arrays (so `ds.map(lambda x, y: (augment(x), y))` works).
- `batch(n, drop_remainder=False)` / `unbatch()`: stack along a new axis 0 / split it;
  `padded_batch(n, padding_values=0)` first pads each array to the batch's largest shape.
- `take(n)`, `skip(n)`, `filter(pred)`, `concatenate(other)`, `shuffle(buffer_size, seed)`
  (tf.data's buffer shuffle), `cache()` (in memory, filled by the first complete pass),
  `repeat(count)`. `repeat()` with no count is infinite: `len()` raises, and `fit`/`evaluate`/
  `predict` then need `steps_per_epoch`/`steps`, as in Keras.
- `prefetch(n)` returns an equivalent dataset: lamina reads batches in the training thread.
"""
import itertools

import numpy as np

from lamina import random
from lamina.engine import tree
from lamina.engine.tensor import Tensor

INFINITE = -1
UNKNOWN = -2


def to_numpy(struct):
    """`struct` with lamina Tensors replaced by their NumPy arrays (other leaves unchanged)."""
    if isinstance(struct, Tensor):
        return struct.data
    if isinstance(struct, (list, tuple, dict)):
        return tree.map_structure(lambda a: a.data if isinstance(a, Tensor) else a, struct)
    return struct


def _python_lists_as_arrays(struct):
    """As tf.data reads its argument: a Python list is one tensor (tuples and dicts are
    structures), and Python numbers take TensorFlow's default dtypes (float32, int32)."""
    if isinstance(struct, list):
        a = np.asarray(struct)
        if a.dtype == np.float64:
            return a.astype(np.float32)
        return a.astype(np.int32) if a.dtype == np.int64 else a
    if isinstance(struct, tuple):
        return tuple(_python_lists_as_arrays(v) for v in struct)
    if isinstance(struct, dict):
        return {k: _python_lists_as_arrays(v) for k, v in struct.items()}
    return struct


def _stack(items):
    first = items[0]
    if isinstance(first, (str, bytes)):
        return np.array(items, dtype=object)
    if isinstance(first, np.ndarray) and first.dtype == object:
        out = np.empty((len(items),) + first.shape, dtype=object)
        for i, item in enumerate(items):
            out[i] = item
        return out
    try:
        return np.stack([np.asarray(a) for a in items])
    except ValueError as e:
        shapes = sorted({np.shape(a) for a in items})
        raise ValueError(
            f"Dataset.batch: elements have different shapes {shapes[:5]} and cannot be stacked; "
            "resize or pad them to one shape first (e.g. with map)"
        ) from e


def stack_elements(elements):
    """One batch from a list of same-structure elements (each leaf stacked along axis 0)."""
    flat = [tree.flatten(e) for e in elements]
    return tree.pack_as(elements[0], [_stack(list(col)) for col in zip(*flat)])


def _pad_to(a, shape, value):
    a = np.asarray(a)
    if a.shape == tuple(shape):
        return a
    return np.pad(a, [(0, t - n) for n, t in zip(a.shape, shape)], constant_values=value)


def pad_elements(elements, value=0):
    """One batch from elements whose arrays differ in shape: each leaf padded at the end of
    every axis with `value` to the largest shape in the batch, then stacked."""
    flat = [tree.flatten(e) for e in elements]
    columns = []
    for col in zip(*flat):
        if any(np.ndim(a) != np.ndim(col[0]) for a in col):
            raise ValueError("Dataset.padded_batch: elements of one batch must have the same rank, "
                             f"got shapes {sorted({np.shape(a) for a in col})[:5]}")
        target = np.max([np.shape(a) for a in col], axis=0) if np.ndim(col[0]) else ()
        columns.append(_stack([_pad_to(a, target, value) for a in col]))
    return tree.pack_as(elements[0], columns)


def _rows(element):
    leaves = tree.flatten(element)
    sizes = {len(a) for a in leaves}
    if len(sizes) != 1:
        raise ValueError(f"Dataset.unbatch: the parts of an element have different lengths {sorted(sizes)}")
    n = sizes.pop()
    for i in range(n):
        yield tree.pack_as(element, [a[i] for a in leaves])


def _buffer_shuffle(source, buffer_size, rng):
    """tf.data's shuffle: fill a buffer, emit a random buffer entry, refill its slot."""
    buffer = []
    for item in source:
        if len(buffer) < buffer_size:
            buffer.append(item)
            continue
        j = int(rng.integers(buffer_size))
        yield buffer[j]
        buffer[j] = item
    while buffer:
        j = int(rng.integers(len(buffer)))
        buffer[j], buffer[-1] = buffer[-1], buffer[j]
        yield buffer.pop()


class Dataset:
    """A lazy, re-iterable sequence of elements; see the module docstring for the methods.

    `class_names` (image/text datasets) is kept by every transformation; `file_paths` by
    those that keep the same elements in the same order (map, prefetch, cache).
    """

    _is_lamina_dataset = True  # what lamina's data adapter looks for

    def __init__(self, make_iterator, cardinality=UNKNOWN, batch_size=None):
        self._make_iterator = make_iterator
        self._cardinality = int(cardinality)
        self._batch_size = batch_size

    # --- building -----------------------------------------------------------------------

    @classmethod
    def from_tensor_slices(cls, tensors):
        """One element per row of `tensors` (an array, or a tuple/dict of equal-length arrays)."""
        tensors = _python_lists_as_arrays(to_numpy(tensors))
        leaves = [np.asarray(a) if not isinstance(a, np.ndarray) else a for a in tree.flatten(tensors)]
        if not leaves or any(a.ndim == 0 for a in leaves):
            raise ValueError("Dataset.from_tensor_slices needs arrays with a first (row) axis")
        sizes = {len(a) for a in leaves}
        if len(sizes) != 1:
            raise ValueError(
                f"Dataset.from_tensor_slices: the arrays have different lengths {sorted(sizes)}; "
                "every array needs one row per element"
            )
        n = sizes.pop()

        def rows():
            for i in range(n):
                yield tree.pack_as(tensors, [a[i] for a in leaves])

        return cls(rows, n)

    @classmethod
    def from_generator_function(cls, make_iterator, cardinality=UNKNOWN, batch_size=None):
        """A dataset whose passes are `make_iterator()` (a function returning a new iterator)."""
        return cls(make_iterator, cardinality, batch_size)

    def _derive(self, make_iterator, cardinality, batch_size=None, same_elements=False):
        out = Dataset(make_iterator, cardinality, batch_size)
        if hasattr(self, "class_names"):
            out.class_names = self.class_names
        if same_elements and hasattr(self, "file_paths"):
            out.file_paths = self.file_paths
        return out

    # --- reading ------------------------------------------------------------------------

    def __iter__(self):
        return iter(self._make_iterator())

    def as_numpy_iterator(self):
        """An iterator over the elements (they are NumPy already)."""
        return iter(self)

    def cardinality(self):
        """The number of elements: an int, `INFINITE` (-1) or `UNKNOWN` (-2), as tf.data."""
        return self._cardinality

    def __len__(self):
        if self._cardinality == INFINITE:
            raise TypeError("the dataset is infinite (repeat() without a count): it has no length")
        if self._cardinality < 0:
            raise TypeError("the dataset's length is unknown (after filter or unbatch); iterate it to count")
        return self._cardinality

    def __bool__(self):  # `if ds:` must not call __len__ (which may raise)
        return True

    def __repr__(self):
        card = {INFINITE: "infinite", UNKNOWN: "unknown"}.get(self._cardinality, self._cardinality)
        return f"<lamina Dataset: {card} elements>"

    # --- transformations ----------------------------------------------------------------

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Apply `map_func` to every element (to every batch, on a batched dataset)."""
        if not callable(map_func):
            raise TypeError(f"Dataset.map needs a function, got {type(map_func).__name__}")

        def apply(element):
            out = map_func(*element) if isinstance(element, tuple) else map_func(element)
            return to_numpy(out)

        return self._derive(lambda: map(apply, self), self._cardinality, self._batch_size, True)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None,
              name=None):
        """Stack each `batch_size` consecutive elements into one (the last may be smaller)."""
        batch_size = _positive_int(batch_size, "Dataset.batch", "batch_size")

        def batches():
            chunk = []
            for element in self:
                chunk.append(element)
                if len(chunk) == batch_size:
                    yield stack_elements(chunk)
                    chunk = []
            if chunk and not drop_remainder:
                yield stack_elements(chunk)

        n = self._cardinality
        if n >= 0:
            n = n // batch_size if drop_remainder else -(-n // batch_size)
        return self._derive(batches, n, batch_size)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        """As `batch`, padding each array with `padding_values` (0) to the largest shape in
        its batch (tf.data's padded_batch; `padded_shapes` is not supported)."""
        if padded_shapes is not None:
            raise NotImplementedError("Dataset.padded_batch: padded_shapes is not supported in "
                                      "lamina; arrays are padded to the largest in each batch")
        batch_size = _positive_int(batch_size, "Dataset.padded_batch", "batch_size")
        value = 0 if padding_values is None else padding_values

        def batches():
            chunk = []
            for element in self:
                chunk.append(element)
                if len(chunk) == batch_size:
                    yield pad_elements(chunk, value)
                    chunk = []
            if chunk and not drop_remainder:
                yield pad_elements(chunk, value)

        n = self._cardinality
        if n >= 0:
            n = n // batch_size if drop_remainder else -(-n // batch_size)
        return self._derive(batches, n, batch_size)

    def unbatch(self, name=None):
        """Split every element along axis 0 into its rows."""
        card = INFINITE if self._cardinality == INFINITE else UNKNOWN
        return self._derive(lambda: itertools.chain.from_iterable(map(_rows, self)), card)

    def take(self, count, name=None):
        """The first `count` elements (all of them when `count` is -1)."""
        count = int(count)
        if count < 0:
            return self._derive(self._make_iterator, self._cardinality, self._batch_size)
        n = self._cardinality
        n = count if n == INFINITE else (min(n, count) if n >= 0 else UNKNOWN)
        return self._derive(lambda: itertools.islice(self, count), n, self._batch_size)

    def skip(self, count, name=None):
        """All but the first `count` elements (none when `count` is -1)."""
        count = int(count)
        if count < 0:
            return self._derive(lambda: iter(()), 0, self._batch_size)
        n = self._cardinality
        n = max(n - count, 0) if n >= 0 else n
        return self._derive(lambda: itertools.islice(self, count, None), n, self._batch_size)

    def filter(self, predicate, name=None):
        """The elements for which `predicate(*element)` (or `predicate(element)`) is true."""

        def keep(element):
            out = predicate(*element) if isinstance(element, tuple) else predicate(element)
            return bool(np.asarray(to_numpy(out)))

        card = INFINITE if self._cardinality == INFINITE else UNKNOWN
        return self._derive(lambda: filter(keep, self), card, self._batch_size)

    def concatenate(self, dataset, name=None):
        """This dataset's elements, then `dataset`'s."""
        a, b = self._cardinality, dataset.cardinality()
        n = INFINITE if INFINITE in (a, b) else (a + b if a >= 0 and b >= 0 else UNKNOWN)
        return self._derive(lambda: itertools.chain(self, dataset), n)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """tf.data's buffer shuffle; `buffer_size` >= the number of elements shuffles fully.

        With a `seed`, pass k of the dataset uses the order seeded by (seed, k): every run
        sees the same sequence of orders. Without one, each pass draws from lamina's global
        generator (repeatable after `lamina.utils.set_random_seed`).
        """
        buffer_size = _positive_int(buffer_size, "Dataset.shuffle", "buffer_size")
        passes = itertools.count()
        fixed = None if reshuffle_each_iteration else int(random.generator(None).integers(2**63))

        def shuffled():
            k = next(passes) if reshuffle_each_iteration else 0
            if seed is not None:
                rng = np.random.default_rng([int(seed) % 2**63, k])
            else:
                rng = np.random.default_rng(fixed if fixed is not None else
                                            int(random.generator(None).integers(2**63)))
            return _buffer_shuffle(iter(self), buffer_size, rng)

        return self._derive(shuffled, self._cardinality, self._batch_size)

    def repeat(self, count=None, name=None):
        """The elements `count` times over; `count=None` or -1 repeats forever."""
        if count is not None and int(count) >= 0:
            count = int(count)
            n = self._cardinality * count if self._cardinality >= 0 else self._cardinality
            if count == 0:
                n = 0
            return self._derive(
                lambda: itertools.chain.from_iterable(iter(self) for _ in range(count)), n,
                self._batch_size)

        def forever():
            while True:
                produced = False
                for element in self:
                    produced = True
                    yield element
                if not produced:  # an empty dataset repeated is empty, not a hang
                    return

        n = 0 if self._cardinality == 0 else INFINITE
        return self._derive(forever, n, self._batch_size)

    def prefetch(self, buffer_size=None, name=None):
        """The same dataset (lamina reads batches in the training thread, in order)."""
        return self._derive(self._make_iterator, self._cardinality, self._batch_size, True)

    def cache(self, filename="", name=None):
        """Keep the elements in memory after the first complete pass; later passes replay them."""
        if filename:
            raise NotImplementedError(
                f"Dataset.cache(filename={filename!r}): caching to a file is not supported; "
                "cache() (no filename) keeps the elements in memory"
            )
        store = []

        def cached():
            if store:
                return iter(store[0])
            return _filling(iter(self), store)

        return self._derive(cached, self._cardinality, self._batch_size, True)

    def apply(self, transformation_func):
        """`transformation_func(self)`, for chaining."""
        return transformation_func(self)


def _filling(source, store):
    items = []
    for item in source:
        items.append(item)
        yield item
    if not store:  # only a complete pass fills the cache
        store.append(items)


def _positive_int(value, where, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}")
    return int(value)


def is_dataset(x):
    """Whether `x` is a lamina Dataset (without importing this module elsewhere)."""
    return getattr(x, "_is_lamina_dataset", False) is True
