"""Turn what `fit`/`evaluate`/`predict` receive into batches of (x, y, sample_weight).

Who owns which argument of `fit` (the same split for evaluate and predict):

- The data adapter (`make_data` picks one `DataAdapter` per kind of data): `x`, `y`,
  `sample_weight`, `class_weight` (turned into per-sample weights), `batch_size`, `shuffle`,
  and `steps_per_epoch` / `validation_steps` / `steps` (how many batches make an epoch, and
  whether the next epoch continues where this one stopped). It checks array inputs once
  (`checked_sample`) and knows nothing of models, losses or callbacks.
- The trainer's loops (lamina/trainers/loops.py): `epochs`, `initial_epoch`, `validation_split`
  (cut here, by `split_validation`, before any shuffling), `validation_data`,
  `validation_batch_size`, `validation_freq`, `callbacks` and `verbose` (a progress-bar
  callback); it asks the adapter for epochs of batches and never looks inside them.
- The model: building itself from the first batch (`_build_from_data`; Sequential from the
  shapes alone), and what one batch does (`train_step` / `test_step` / `predict_step`).
- `PyDataset`: `workers`, `use_multiprocessing`, `max_queue_size` (accepted for Keras's
  signature; batches are produced in the calling thread).

The adapters: `ArrayData` slices arrays (NumPy, scipy.sparse rows, or lists/dicts of them)
per batch; shuffling draws one index permutation per epoch and gathers each batch from it
(no reshuffled copy of the whole dataset). `IterableData` takes the batches Python
generators and `PyDataset`/`Sequence` objects yield; `DatasetData` those of a lamina
`Dataset`.
"""
import math
import warnings

import numpy as np

from lamina import random
from lamina.engine import threads, tree
from lamina.engine.sparse import is_sparse
from lamina.engine.tensor import Tensor
from lamina.trainers import input_checks


def unpack_x_y_sample_weight(data):
    """(x,), (x, y) or (x, y, sample_weight) -> (x, y, sample_weight)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"data should be (x,), (x, y) or (x, y, sample_weight), got a tuple of {len(data)}")


def _as_array(x):
    if isinstance(x, Tensor):
        return x.data
    if is_sparse(x):
        return x.tocsr() if x.format != "csr" else x
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "to_numpy"):  # pandas
        return x.to_numpy()
    return np.asarray(x)


def _other_float(a, dtype):
    return isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.dtype != dtype


def is_array_data(x):
    flat = tree.flatten(x)
    return bool(flat) and all(
        isinstance(a, (np.ndarray, Tensor, list, tuple)) or is_sparse(a) or hasattr(a, "to_numpy")
        for a in flat
    )


def num_samples(struct):
    sizes = {a.shape[0] for a in tree.flatten(struct) if a is not None}
    return sizes


def pack_batch(x, y, sw):
    """x, (x, y) or (x, y, sample_weight), as Keras hands batches to train_step: a lone x
    is not wrapped (so `train_step(self, data)` can use `data` as the images, as Keras's VAE
    example does), unless it is itself a tuple or list, which becomes `(x,)`."""
    if sw is not None:
        return x, y, sw
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    return x, y


def take(struct, index):
    """Rows `index` (an int array or a slice) of every array in `struct`."""
    if struct is None:
        return None
    if isinstance(struct, (list, tuple, dict)):
        return tree.map_structure(lambda a: _rows(a, index), struct)
    return _rows(struct, index)


# A shuffled batch of at least this many bytes is gathered in 4 row blocks on two threads
# (`threads.map_pair`, inside fit/evaluate): 512 dense IMDB rows of 10,000 float32 values,
# 1.48 -> 1.01 ms on a 2-vCPU AVX-512 Xeon. A copy: the same values either way.
PAIR_GATHER_BYTES = 4 << 20


def _rows(a, index):
    if (type(a) is not np.ndarray or type(index) is not np.ndarray or a.ndim == 0
            or len(index) < 8 or len(index) * (a.nbytes // max(len(a), 1)) < PAIR_GATHER_BYTES):
        return a[index]
    out = np.empty((len(index),) + a.shape[1:], a.dtype)
    step = -(-len(index) // 4)
    # mode="clip": `index` comes from the adapter's own permutation (always in range), and
    # NumPy buffers `out` with the default mode="raise"
    threads.map_pair(lambda i: np.take(a, index[i:i + step], axis=0, out=out[i:i + step], mode="clip"),
                     range(0, len(index), step))
    return out


def class_weights_to_sample_weights(y, class_weight):
    y = np.asarray(y)
    labels = np.argmax(y, axis=-1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = np.round(labels).astype(np.int64)
    unknown = sorted(set(np.unique(labels)) - set(class_weight))
    if unknown:
        raise ValueError(
            f"class_weight has no entry for class(es) {unknown[:10]}; it has {sorted(class_weight)}"
        )
    table = np.zeros(max(max(class_weight), labels.max()) + 1, dtype=np.float32)
    for k, w in class_weight.items():
        table[k] = w
    return table[labels]


class DataAdapter:
    """One kind of input data seen as epochs of (x,), (x, y) or (x, y, sample_weight) batches.

    The trainer uses only these methods and the `restart_each_epoch` flag; a new kind of
    data is a subclass and one branch in `make_data`.
    """

    restart_each_epoch = False
    """Set by fit on validation data: with a step count, each epoch starts again from the
    first batch instead of continuing where the previous epoch stopped (as Keras evaluates
    the same first `validation_steps` batches); array data and generators ignore it."""

    def steps(self):
        """Batches per epoch, or None when unknown until the data runs out."""
        raise NotImplementedError(f"{type(self).__name__} must define steps()")

    def batches(self):
        """An iterator over the batches of one epoch."""
        raise NotImplementedError(f"{type(self).__name__} must define batches()")

    def first_batch(self):
        """(x, y, sample_weight) of the first batch, leaving the data to be read from its start."""
        raise NotImplementedError(f"{type(self).__name__} must define first_batch()")

    def cast_inputs(self, dtype):
        """Cast float inputs to the model's `dtype` once, before the first batch. Only data
        held in memory can (ArrayData); batches produced on the fly are cast by the model as
        they come, so the other adapters keep this default, which leaves the data as it is."""
        return None

    def checked_sample(self):
        """(x, y) for the trainer's checks and for building the model: here the first batch,
        with x as NumPy arrays (scipy.sparse matrices kept as they are)."""
        x, y, _ = self.first_batch()
        x = tree.map_structure(lambda a: a.data if isinstance(a, Tensor) else np.asarray(a)
                               if not is_sparse(a) else a, x)
        return x, y


class ArrayData(DataAdapter):
    """Batches of arrays; `steps()` batches per epoch; `batches(epoch)` yields them."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False,
                 class_weight=None, steps=None):
        self.x = tree.map_structure(_as_array, x)
        self.y = None if y is None else tree.map_structure(_as_array, y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight, np.float32)
        if class_weight is not None:
            if self.y is None or isinstance(self.y, (list, tuple, dict)):
                raise ValueError("class_weight needs a single array of targets y")
            cw = class_weights_to_sample_weights(self.y, class_weight)
            self.sample_weight = cw if self.sample_weight is None else self.sample_weight * cw
        sizes = num_samples((self.x, self.y, self.sample_weight))
        if len(sizes) > 1:
            raise ValueError(_length_error(self.x, self.y, self.sample_weight))
        self.n = sizes.pop()
        if self.n == 0:
            raise ValueError("the data is empty (0 samples): nothing to train or evaluate on")
        if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.num_batches = math.ceil(self.n / self.batch_size)
        self._steps = steps
        self._stream = None

    def steps(self):
        return self._steps or self.num_batches

    def cast_inputs(self, dtype):
        """Float input arrays to `dtype` once per fit/evaluate/predict, as the model would
        per batch (same values; a float64 array otherwise costs a cast of every batch)."""
        self.x = tree.map_structure(lambda a: a.astype(dtype) if _other_float(a, dtype) else a, self.x)

    def _epoch(self):
        bs, n = self.batch_size, self.n
        starts = range(0, n, bs)
        if self.shuffle == "batch":
            starts = list(starts)
            random.generator(None).shuffle(starts)
        if self.shuffle is True:
            perm = random.generator(None).permutation(n)
            for i in starts:
                idx = perm[i:i + bs]
                yield pack_batch(take(self.x, idx), take(self.y, idx), take(self.sample_weight, idx))
        else:
            for i in starts:
                s = slice(i, i + bs)
                yield pack_batch(take(self.x, s), take(self.y, s), take(self.sample_weight, s))

    def batches(self):
        if self._steps is None:
            return self._epoch()
        return self._limited()

    def _limited(self):
        # with steps_per_epoch, consecutive epochs continue through the data
        for _ in range(self._steps):
            if self._stream is None:
                self._stream = self._epoch()
            batch = next(self._stream, None)
            if batch is None:
                self._stream = self._epoch()
                batch = next(self._stream)
            yield batch

    def first_batch(self):
        return unpack_x_y_sample_weight(next(self._epoch()))

    def checked_sample(self):
        """The whole arrays, every one checked once (numeric, finite where it matters)."""
        for i, a in enumerate(tree.flatten(self.x)):
            input_checks.check_array(a, "x" if i == 0 else f"x[{i}]")
        for a in tree.flatten(self.y) if self.y is not None else []:
            input_checks.check_value_kinds(a, "y")
            input_checks.check_array(a, "y")
        return self.x, self.y


class IterableData(DataAdapter):
    """Batches from a generator, an iterable, or a PyDataset (`len` + `__getitem__`)."""

    def __init__(self, data, steps=None, shuffle=False):
        self.data = data
        self._steps = steps
        self.shuffle = shuffle
        self._is_dataset = hasattr(data, "__getitem__") and hasattr(data, "__len__") and not isinstance(data, (list, tuple))
        self._iterator = None
        self._peeked = None
        self._exhausted = False
        if steps is None and self._is_dataset:
            self._steps = len(data)

    def steps(self):
        return self._steps

    def _source(self):
        if self._is_dataset:
            order = np.arange(len(self.data))
            if self.shuffle:
                random.generator(None).shuffle(order)
            return (self.data[int(i)] for i in order)
        if self._iterator is None or (self._steps is None and not hasattr(self.data, "__next__")):
            self._iterator = iter(self.data)
        return self._iterator

    def first_batch(self):
        if self._peeked is None:
            if self._is_dataset:
                self._peeked = self.data[0]
            else:
                self._iterator = iter(self.data)
                self._peeked = next(self._iterator, None)
                if self._peeked is None:
                    raise ValueError("the data generator is empty: it yielded no batch")
        return unpack_x_y_sample_weight(self._peeked)

    def batches(self):
        source = self._source()
        if self._peeked is not None and not self._is_dataset:
            pending, self._peeked = self._peeked, None
            source = _chain_one(pending, source)
        else:
            self._peeked = None
        count = 0
        for item in source:
            yield pack_batch(*unpack_x_y_sample_weight(item))
            count += 1
            if self._steps is not None and count >= self._steps:
                break
        if self._steps is not None and count < self._steps:
            warnings.warn(
                f"the input ran out of data after {count} of {self._steps} steps; make the generator "
                "repeat (e.g. an infinite loop) or lower steps_per_epoch",
                stacklevel=3,
            )
            self._exhausted = True
        if self._is_dataset and hasattr(self.data, "on_epoch_end"):
            self.data.on_epoch_end()


def _chain_one(first, rest):
    yield first
    for item in rest:  # not `yield from`: closing this must not close the user's generator
        yield item


class DatasetData(DataAdapter):
    """Batches from a lamina `Dataset` (what `keras.utils.image_dataset_from_directory` & co.
    return): one fresh pass per epoch; with `steps`, one pass continued across epochs (as
    Keras does with tf.data), warning when it runs out, unless `restart_each_epoch` (set
    for validation data: Keras evaluates the same first `validation_steps` batches each
    epoch). fit's `shuffle` does not apply (the dataset shuffles itself); `class_weight`
    becomes per-batch sample weights."""

    def __init__(self, dataset, steps=None, class_weight=None):
        if steps is None and dataset.cardinality() == -1:
            raise ValueError(
                "the dataset is infinite (repeat() without a count): pass steps_per_epoch to fit "
                "(validation_steps for validation data, steps to evaluate/predict)"
            )
        self.dataset = dataset
        self.class_weight = class_weight
        self._given_steps = steps
        self._steps = steps if steps is not None else (
            dataset.cardinality() if dataset.cardinality() >= 0 else None)
        self._iterator = None
        self._exhausted = False

    def steps(self):
        return self._steps

    def _pack(self, item):
        x, y, sw = unpack_x_y_sample_weight(item)
        if self.class_weight is not None and y is not None:
            cw = class_weights_to_sample_weights(y, self.class_weight)
            sw = cw if sw is None else np.asarray(sw, np.float32) * cw
        return pack_batch(x, y, sw)

    def first_batch(self):
        for item in self.dataset.take(1):
            return unpack_x_y_sample_weight(item)
        raise ValueError("the dataset is empty: it produced no batch")

    def batches(self):
        if self._given_steps is None:
            for item in self.dataset:
                yield self._pack(item)
            return
        if self._iterator is None or self.restart_each_epoch:
            self._iterator = iter(self.dataset)
            self._exhausted = False
        for count in range(self._given_steps):
            item = next(self._iterator, None) if not self._exhausted else None
            if item is None:
                if not self._exhausted:
                    warnings.warn(
                        f"the dataset ran out of data after {count} of {self._given_steps} steps "
                        "this epoch; build it with .repeat() or ask for fewer steps",
                        stacklevel=3,
                    )
                self._exhausted = True
                return
            yield self._pack(item)


def make_data(x, y=None, sample_weight=None, batch_size=None, shuffle=False, class_weight=None,
              steps=None):
    """An ArrayData for arrays, a DatasetData for lamina Datasets, else an IterableData
    (generators, PyDataset)."""
    if x is None:
        raise ValueError("no data: pass x (and y) to fit/evaluate/predict")
    if getattr(x, "_is_lamina_dataset", False) is True:
        if y is not None or sample_weight is not None:
            raise ValueError(
                "when x is a Dataset it yields (x, y) batches itself; do not pass y or sample_weight"
            )
        return DatasetData(x, steps=steps, class_weight=class_weight)
    if is_array_data(x):
        return ArrayData(x, y, sample_weight, batch_size or 32, shuffle, class_weight, steps)
    if y is not None:
        raise ValueError(
            "when x is a generator or a PyDataset, it must yield (x, y) batches itself; do not pass y"
        )
    return IterableData(x, steps=steps, shuffle=shuffle)


def split_validation(x, y, sample_weight, validation_split):
    """The last `validation_split` fraction as validation data, taken before any shuffling."""
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
    if not is_array_data(x):
        raise ValueError("validation_split needs array data; pass validation_data for generators")
    x = tree.map_structure(_as_array, x)
    y = None if y is None else tree.map_structure(_as_array, y)
    sizes = num_samples((x, y))
    if len(sizes) > 1:
        raise ValueError(_length_error(x, y, sample_weight))
    n = sizes.pop()
    split = int(math.floor(n * (1.0 - validation_split)))
    if split == 0 or split == n:
        raise ValueError(
            f"validation_split={validation_split} of {n} samples leaves an empty training or "
            "validation set"
        )
    first, last = slice(0, split), slice(split, n)
    sw = None if sample_weight is None else np.asarray(sample_weight)
    return (take(x, first), take(y, first), take(sw, first)), (take(x, last), take(y, last), take(sw, last))


def _length_error(x, y, sw):
    xs = [a.shape[0] for a in tree.flatten(x)]
    ys = [a.shape[0] for a in tree.flatten(y)] if y is not None else []
    msg = f"x and y must have the same number of samples, got x: {xs if len(xs) > 1 else xs[0]}"
    msg += f", y: {ys if len(ys) > 1 else ys[0]}" if ys else ""
    if sw is not None:
        msg += f", sample_weight: {len(sw)}"
    return msg
