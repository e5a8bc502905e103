"""`timeseries_dataset_from_array`: sliding windows over a series, as Keras builds them.

Window k starts at p_k = start_index + k * sequence_stride and holds the timesteps
p_k, p_k + r, ..., p_k + (sequence_length - 1) * r (r = sampling_rate); its target is
`targets[p_k]`. Windows must end before `end_index` (default len(data)), so there are
ceil(m / sequence_stride) of them with m = end_index - start_index - (sequence_length - 1) * r,
m capped at len(targets) when targets are given (Keras's rule).
"""
import numpy as np

from lamina import random
from lamina.utils.dataset import Dataset, to_numpy


def _check_int(value, name, low):
    if isinstance(value, bool) or int(value) != value or value < low:
        raise ValueError(f"timeseries_dataset_from_array: {name} must be an integer >= {low}, got {value!r}")
    return int(value)


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """A `Dataset` of (windows, targets) batches: windows (batch, sequence_length, *data.shape[1:])
    in data's dtype, targets (batch, *targets.shape[1:]); windows only when `targets` is None.

    `shuffle=True` shuffles the window order once with `numpy.random.RandomState(seed)` (as
    Keras) and again on every pass (tf.data's buffer shuffle, `batch_size * 8` slots).
    """
    data = np.asarray(to_numpy(data))
    if data.ndim == 0:
        raise ValueError("timeseries_dataset_from_array: data must be an array with time on axis 0")
    n = len(data)
    sequence_length = _check_int(sequence_length, "sequence_length", 1)
    if start_index:
        if start_index < 0:
            raise ValueError(f"start_index must be 0 or greater, got {start_index}")
        if start_index >= n:
            raise ValueError(f"start_index must be lower than the length of the data ({n}), got {start_index}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"end_index ({end_index}) must be higher than start_index ({start_index})")
        if end_index >= n:
            raise ValueError(
                f"end_index must be lower than the length of the data ({n}), got {end_index}; "
                "leave it None to use the data to its end"
            )
        if end_index <= 0:
            raise ValueError(f"end_index must be higher than 0, got {end_index}")
    if sampling_rate <= 0 or sampling_rate >= n:
        raise ValueError(f"sampling_rate must be in [1, {n - 1}] (below the data length {n}), got {sampling_rate}")
    if sequence_stride <= 0 or sequence_stride >= n:
        raise ValueError(
            f"sequence_stride must be in [1, {n - 1}] (below the data length {n}), got {sequence_stride}"
        )
    rate = _check_int(sampling_rate, "sampling_rate", 1)
    stride = _check_int(sequence_stride, "sequence_stride", 1)
    if batch_size is not None:
        batch_size = _check_int(batch_size, "batch_size", 1)
    start = int(start_index or 0)
    end = n if end_index is None else int(end_index)
    if targets is not None:
        targets = np.asarray(to_numpy(targets))
        if targets.ndim == 0:
            raise ValueError("timeseries_dataset_from_array: targets must be an array (one target per timestep)")

    count = end - start - (sequence_length - 1) * rate
    if targets is not None:
        count = min(count, len(targets))
    positions = np.arange(0, max(count, 0), stride, dtype=np.int64)
    if shuffle:
        if seed is None:
            seed = int(random.generator(None).integers(1_000_000))
        np.random.RandomState(seed).shuffle(positions)
    offsets = np.arange(sequence_length, dtype=np.int64) * rate
    window_data = data[start:end]
    target_data = None if targets is None else targets[start:end]

    def gather(pos):
        pos = np.asarray(pos, dtype=np.int64)
        windows = window_data[pos[..., None] + offsets]
        return windows if target_data is None else (windows, target_data[pos])

    ds = Dataset.from_tensor_slices(positions)
    if shuffle:
        ds = ds.shuffle(batch_size * 8 if batch_size is not None else 1024, seed=seed)
    if batch_size is not None:
        ds = ds.batch(batch_size)
    return ds.map(gather)  # one vectorised gather per batch
