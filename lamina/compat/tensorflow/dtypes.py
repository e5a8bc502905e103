"""`tf.dtypes`: the data types (NumPy dtypes) and `cast`/`as_dtype`."""
from lamina.compat.tensorflow._common import (  # noqa: F401
    bfloat16, bool_ as bool, dtype_of as as_dtype, float16, float32, float64, int8, int16, int32,
    int64, string, uint8, uint16, uint32, uint64,
)
from lamina.compat.tensorflow._common import module_getattr as _module_getattr
from lamina.ops import cast  # noqa: F401

DType = type(float32)
double, half = float64, float16

__getattr__ = _module_getattr("tensorflow.dtypes")
