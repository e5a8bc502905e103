"""`import tensorflow as tf` under `lamina run`: the TensorFlow subset that courses use, on lamina.

Tensors are lamina Tensors, `tf.Variable` a lamina Variable, `tf.GradientTape` lamina's tape,
`tf.keras` lamina itself, `tf.data.Dataset` lamina's input pipeline. Names, argument orders
and default dtypes follow TensorFlow. Anything else raises NotImplementedError naming the
symbol; docs/compat.md lists what is covered.
"""
import lamina as keras  # noqa: F401  (tf.keras)
from lamina.compat.tensorflow import config, data, dtypes, math, nn, random  # noqa: F401
from lamina.compat.tensorflow._common import (  # noqa: F401
    bfloat16, bool_ as bool, float16, float32, float64, int8, int16, int32, int64, string, uint8,
    uint16, uint32, uint64,
)
from lamina.compat.tensorflow._common import module_getattr as _module_getattr
from lamina.compat.tensorflow._core import (  # noqa: F401
    cast, clip_by_global_norm, clip_by_norm, clip_by_value, concat, constant, convert_to_tensor,
    device, executing_eagerly, expand_dims, eye, fill, function, gather, identity, is_tensor,
    linspace, matmul, name_scope, one_hot, ones, ones_like, print, range, rank, reshape, shape,
    size, split, squeeze, stack, stop_gradient, tile, transpose, unstack, where, zeros, zeros_like,
)
from lamina.compat.tensorflow._variable import Variable  # noqa: F401
from lamina.compat.tensorflow.math import (  # noqa: F401
    abs, add, add_n, argmax, argmin, cos, cumsum, divide, equal, exp, greater, greater_equal, less,
    less_equal, logical_and, logical_not, logical_or, maximum, minimum, multiply, negative,
    not_equal, pow, reduce_all, reduce_any, reduce_logsumexp, reduce_max, reduce_mean, reduce_min,
    reduce_prod, reduce_std, reduce_sum, reduce_variance, round, sigmoid, sign, sin, sqrt, square,
    subtract, tanh, truediv,
)
from lamina.compat.tensorflow.math import log  # noqa: F401  (TF 1's top-level name, asked for by courses)
from lamina.engine.tape import GradientTape  # noqa: F401
from lamina.engine.tensor import Tensor  # noqa: F401

__version__ = "2.16.0+lamina"
newaxis = None
DType = type(float32)

__getattr__ = _module_getattr("tensorflow")
