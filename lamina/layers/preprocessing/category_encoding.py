"""`CategoryEncoding`: integer categories in [0, num_tokens) -> one-hot / multi-hot / counts."""
import numpy as np

from lamina.engine.tensor import Tensor
from lamina.layers.preprocessing import encoding
from lamina.layers.preprocessing.data_layer import DataLayer, as_int_array
from lamina.symbolic.keras_tensor import KerasTensor


class CategoryEncoding(DataLayer):
    """Encode integer inputs when the number of categories is known.

    output_mode: "multi_hot" (default; the last axis is one sample: (batch, n) ->
    (batch, num_tokens) with 1 for each value present), "one_hot" (every element:
    (batch,) or (batch, 1) -> (batch, num_tokens)) or "count" (like multi_hot with counts;
    `count_weights` of the input's shape sums weights instead). Output dtype: the layer's
    dtype (float32). Values outside [0, num_tokens) raise a ValueError.
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        output_mode = encoding.check_output_mode(output_mode, ("count", "one_hot", "multi_hot"),
                                                 "CategoryEncoding")
        if num_tokens is None:
            raise ValueError("CategoryEncoding: `num_tokens` must be set; when the number of "
                             "categories is not known in advance use IntegerLookup instead")
        if num_tokens < 1:
            raise ValueError(f"CategoryEncoding: `num_tokens` must be >= 1, got {num_tokens}")
        if sparse:
            raise NotImplementedError("CategoryEncoding: sparse=True is not implemented in "
                                      "lamina (outputs are dense)")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError("CategoryEncoding: `count_weights` is only used with "
                             f"output_mode='count', got output_mode={self.output_mode!r}")
        idx = as_int_array(inputs, f"CategoryEncoding layer {self.name!r}")
        bad = (idx < 0) | (idx >= self.num_tokens)
        if bad.any():
            raise ValueError(
                f"CategoryEncoding layer {self.name!r}: inputs must be integers in [0, "
                f"num_tokens={self.num_tokens}), got {np.unique(idx[bad])[:10].tolist()}; raise "
                "num_tokens or map the values with IntegerLookup first")
        weights = None if count_weights is None else np.asarray(
            count_weights.data if isinstance(count_weights, Tensor) else count_weights)
        return Tensor(encoding.encode(idx, self.output_mode, self.num_tokens, self.compute_dtype, weights))

    def compute_output_shape(self, input_shape):
        return encoding.encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def compute_output_spec(self, inputs, *args, **kwargs):
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode, "sparse": self.sparse}
