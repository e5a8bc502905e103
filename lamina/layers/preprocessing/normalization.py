"""`Normalization`: standardize features with a mean and variance learned by `adapt`."""
import numpy as np

from lamina import ops
from lamina.engine import dtypes
from lamina.engine.tensor import Tensor
from lamina.layers.base.layer import Layer


class Normalization(Layer):
    """(x - mean) / max(sqrt(variance), epsilon), per position along `axis` (default -1).

    Call `adapt(training_data)` to compute the statistics from the training data only, or
    pass `mean` and `variance`. `invert=True` maps standardized values back.
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = () if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: pass both `mean` and `variance`, or neither (and call adapt)")
        self.input_mean, self.input_variance = mean, variance
        self.invert = invert
        self.supports_masking = True
        self.mean = self.variance = None

    def build(self, input_shape):
        nd = len(input_shape)
        if any(not -nd <= a < nd for a in self.axis):
            raise ValueError(f"Normalization: axis {self.axis} out of range for inputs of rank {nd}")
        self._keep = tuple(sorted(a % nd for a in self.axis))
        self._reduce = tuple(d for d in range(nd) if d not in self._keep)
        for d in self._keep:
            if input_shape[d] is None:
                raise ValueError(f"Normalization: axis {d} of inputs {tuple(input_shape)} must be known")
        self._broadcast = tuple(input_shape[d] if d in self._keep else 1 for d in range(nd))
        shape = tuple(input_shape[d] for d in self._keep)
        self._build_input_shape = tuple(input_shape)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=shape, initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=shape, initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64", initializer="zeros", trainable=False)
        self.built = True
        self._finalize()

    def _finalize(self):
        if self.input_mean is None:
            self.mean = self.adapt_mean.data.reshape(self._broadcast)
            self.variance = self.adapt_variance.data.reshape(self._broadcast)
        else:
            self.mean = np.broadcast_to(np.asarray(self.input_mean, self.compute_dtype), self._broadcast)
            self.variance = np.broadcast_to(np.asarray(self.input_variance, self.compute_dtype), self._broadcast)

    def adapt(self, data, batch_size=None, steps=None):
        """Compute mean and variance from `data` (an array or an iterable of batches)."""
        if isinstance(data, Tensor):
            data = data.data
        if isinstance(data, np.ndarray):
            batches = [data]
        elif hasattr(data, "__iter__"):
            batches = (b[0] if isinstance(b, tuple) else b for b in data)
        else:
            raise TypeError(f"Normalization.adapt expects an array or an iterable of batches, got {type(data).__name__}")
        mean = var = None
        total = 0
        for batch in batches:
            batch = np.asarray(batch, dtype=np.float64)
            if not self.built:
                self.build(batch.shape)
            for d in self._keep:
                if batch.shape[d] != self._build_input_shape[d]:
                    raise ValueError(
                        f"Normalization.adapt: data of shape {batch.shape} does not match the layer's "
                        f"input shape {self._build_input_shape} along axis {d}"
                    )
            n = int(np.prod([batch.shape[d] for d in self._reduce])) if self._reduce else 1
            b_mean, b_var = batch.mean(axis=self._reduce), batch.var(axis=self._reduce)
            if mean is None:
                mean, var, total = b_mean, b_var, n
                continue
            # merge running statistics (parallel-variance formula)
            new_total = total + n
            w = n / new_total
            new_mean = mean * (1 - w) + b_mean * w
            var = (var + (mean - new_mean) ** 2) * (1 - w) + (b_var + (b_mean - new_mean) ** 2) * w
            mean, total = new_mean, new_total
        if mean is None:
            raise ValueError("Normalization.adapt received no data")
        if self.input_mean is not None:
            raise ValueError("Normalization: adapt() cannot be used when mean and variance were given")
        self.adapt_mean.assign(mean)
        self.adapt_variance.assign(var)
        self.count.assign(total)
        self._finalize()

    def call(self, inputs):
        inputs = ops.cast(inputs, self.compute_dtype)
        # mean/variance are views of the weights, so set_weights/loading is seen here
        std = np.maximum(np.sqrt(self.variance), dtypes.epsilon()).astype(self.compute_dtype)
        if self.invert:
            return ops.add(ops.multiply(inputs, std), self.mean)
        return ops.divide(ops.subtract(inputs, self.mean), std)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        mean = None if self.input_mean is None else np.asarray(self.input_mean).tolist()
        var = None if self.input_variance is None else np.asarray(self.input_variance).tolist()
        return {**super().get_config(), "axis": list(self.axis) if len(self.axis) != 1 else self.axis[0],
                "mean": mean, "variance": var, "invert": self.invert}
