"""`tf.Variable`: a lamina Variable whose dtype follows its initial value, as in TensorFlow,
and whose slices can be assigned (`v[0, 0].assign(3.)`)."""
import numpy as np

from lamina import ops
from lamina.compat.tensorflow._common import value
from lamina.engine.tensor import Tensor
from lamina.engine.tensor import Variable as _LaminaVariable


class Variable(_LaminaVariable):
    """TensorFlow's `tf.Variable(initial_value, trainable=True, name=None, dtype=None, shape=None)`.

    Unlike `keras.Variable` (floatx by default) the dtype is the initial value's: Python floats
    give float32, Python ints int32, a float64 array float64.
    """

    __slots__ = ()

    def __init__(self, initial_value=None, trainable=None, validate_shape=True, caching_device=None,
                 name=None, variable_def=None, dtype=None, import_scope=None, constraint=None,
                 synchronization=None, aggregation=None, shape=None, experimental_enable_variable_lifting=None):
        if initial_value is None:
            raise ValueError("tf.Variable: initial_value is required")
        if callable(initial_value) and not isinstance(initial_value, Tensor):
            initial_value = initial_value()
        initial = value(initial_value, dtype)
        super().__init__(initial, dtype=initial.dtype, trainable=True if trainable is None else trainable,
                         name=name or "Variable", constraint=constraint)

    def read_value(self):
        return self.value

    def __getitem__(self, key):
        out = ops.getitem(self, key)
        return _VariableSlice(out, self, key)


class _VariableSlice(Tensor):
    """`variable[key]`: the value of the slice, with `assign*` writing into the variable."""

    __slots__ = ("_variable", "_key")

    def __init__(self, out, variable, key):
        super().__init__(out.data, out._node)
        self._variable = variable
        self._key = key

    def _write(self, new):
        self._variable.data[self._key] = np.asarray(value(new), dtype=self._variable.dtype)
        return self._variable

    def assign(self, new_value, read_value=True):
        return self._write(new_value)

    def assign_add(self, delta, read_value=True):
        return self._write(self._variable.data[self._key] + value(delta))

    def assign_sub(self, delta, read_value=True):
        return self._write(self._variable.data[self._key] - value(delta))

