"""`Input` and `InputLayer`: the entry points of functional and Sequential models."""
from lamina.engine import dtypes
from lamina.layers.base.layer import Layer
from lamina.symbolic.keras_tensor import CallNode, KerasTensor


class InputLayer(Layer):
    """Holds the symbolic input of a model: shape without the batch axis, dtype, sparsity."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        if "input_shape" in kwargs:  # Keras 2 spelling
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        # an input is in the dtype asked for, else floatx (float32 under a mixed global policy:
        # the first layer casts it, as in Keras)
        super().__init__(name=name, dtype=dtype if dtype is not None else dtypes.floatx(), **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input/InputLayer needs `shape=` (without the batch axis), e.g. shape=(784,)")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.sparse = bool(sparse)
        self.optional = optional
        self.built = True
        self._input_dtype = self.compute_dtype
        self.output_tensor = KerasTensor(self.batch_shape, dtype=self._input_dtype,
                                         sparse=self.sparse, name=self.name)
        CallNode(self, (), {}, self.output_tensor)
        self._call_nodes.append(self.output_tensor._keras_history[0])

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return self.batch_shape

    def count_params(self):
        return 0

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self._input_dtype,
                "sparse": self.sparse, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False):  # noqa: N802  (Keras name)
    """A symbolic input tensor: `Input(shape=(784,))` has shape (None, 784)."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name, optional=optional)
    return layer.output_tensor
