"""`Discretization`: bucket continuous values by bin boundaries (given, or quantiles from
`adapt`)."""
import numpy as np

from lamina.engine.tensor import Tensor
from lamina.layers.preprocessing import encoding
from lamina.layers.preprocessing.data_layer import DataLayer, is_array_like, iterate_batches, raw
from lamina.symbolic.keras_tensor import KerasTensor


class Discretization(DataLayer):
    """Bucket index of each value: bin i holds bin_boundaries[i - 1] <= x < bin_boundaries[i]
    (np.digitize), so there are len(bin_boundaries) + 1 bins.

    Pass `bin_boundaries`, or `num_bins` and call `adapt(data)`: the boundaries are then
    approximate quantiles (error about `epsilon`), computed with Keras's streaming summary
    algorithm so the boundaries equal Keras's. output_mode: "int" (int64, the input's
    shape), "one_hot", "multi_hot" or "count" (float32 vectors of the number of bins).
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)
        if sparse:
            raise NotImplementedError("Discretization: sparse=True is not implemented in lamina")
        self.output_mode = encoding.check_output_mode(output_mode, encoding.OUTPUT_MODES,
                                                      "Discretization")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"Discretization: `num_bins` must be >= 0, got {num_bins}")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Discretization: set `num_bins` (and adapt) or `bin_boundaries`, "
                             f"not both; got num_bins={num_bins} and bin_boundaries="
                             f"{bin_boundaries}")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("Discretization: set either `num_bins` (then adapt()) or "
                             "`bin_boundaries`")
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.sparse = sparse
        self.reset_state()

    # --- adapt -----------------------------------------------------------------------

    def adapt(self, data, steps=None):
        """Set the boundaries to approximate `num_bins`-quantiles of `data` (an array, or a
        PyDataset / iterable of batches)."""
        if self.num_bins is None:
            raise ValueError("Discretization: adapt() needs `num_bins`; this layer was built "
                             "with `bin_boundaries`")
        self.reset_state()
        if is_array_like(data):
            self.update_state(data)
        else:
            for batch in iterate_batches(data, steps):
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        values = np.asarray(raw(data), dtype=np.float32)
        self.summary = merge_summaries(summarize(values, self.epsilon), self.summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is not None:
            self.bin_boundaries = get_bin_boundaries(self.summary, self.num_bins).tolist()

    def reset_state(self):
        self.summary = None if self.num_bins is None else np.zeros((2, 0), dtype=np.float32)

    # --- calling ---------------------------------------------------------------------

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(f"Discretization layer {self.name!r}: pass `bin_boundaries` or "
                             "call adapt(data) before using the layer")
        x = np.asarray(raw(inputs))
        idx = np.digitize(x, np.asarray(self.bin_boundaries, dtype=x.dtype if x.dtype.kind == "f"
                                        else np.float64)).astype(np.int64)
        depth = len(self.bin_boundaries) + 1
        dtype = "int64" if self.output_mode == "int" else self.compute_dtype
        return Tensor(encoding.encode(idx, self.output_mode, depth, dtype))

    def compute_output_shape(self, input_shape):
        depth = None if self.bin_boundaries is None else len(self.bin_boundaries) + 1
        return encoding.encoded_shape(input_shape, self.output_mode, depth)

    def compute_output_spec(self, inputs, *args, **kwargs):
        dtype = "int64" if self.output_mode == "int" else self.compute_dtype
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    def get_config(self):
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries,
                "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None)
        if config.get("num_bins") is None:  # built from boundaries
            return cls(bin_boundaries=boundaries, **config)
        layer = cls(**config)  # adapted: both are set, which the constructor refuses
        layer.bin_boundaries = boundaries
        return layer


# Keras's quantile summary: a (2, k) array of (value, weight) columns, sorted by value.

def summarize(values, epsilon):
    """Every `len / (1 / epsilon)`-th sorted value, each weighing the values it stands for."""
    values = np.sort(np.reshape(values, [-1]))
    increment = values.size / (1.0 / epsilon)
    step = max(increment, 1)
    picked = values[int(increment)::int(step)]
    return np.stack([picked, np.ones_like(picked) * step])


def merge_summaries(prev, new, epsilon):
    merged = new if prev is None else np.concatenate((prev, new), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return compress_summary(merged, epsilon)


def compress_summary(summary, epsilon):
    """Resample the summary at cumulative-weight fractions epsilon, 2 epsilon, ..., 1."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    fractions = cum_weights / cum_weights[-1]
    new_values = np.interp(percents, fractions, summary[0])
    new_cum = np.interp(percents, fractions, cum_weights)
    new_weights = new_cum - np.concatenate(([0.0], new_cum[:-1]))
    return np.stack((new_values, new_weights)).astype(np.float32)


def get_bin_boundaries(summary, num_bins):
    return compress_summary(summary, 1.0 / num_bins)[0, :-1]
