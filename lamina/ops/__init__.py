"""`lamina.ops`: differentiable NumPy-backed ops with `keras.ops` names and signatures."""
import difflib as _difflib

from lamina.ops import _operators  # noqa: F401  (binds Python operators on Tensor)
from lamina.ops.core import (  # noqa: F401
    arange, cast, convert_to_numpy, convert_to_tensor, copy, dtype, eye, full, full_like,
    identity, is_tensor, linspace, ones, ones_like, stop_gradient, tri, tril, triu, zeros,
    zeros_like,
)
from lamina.ops.linalg import dot, einsum, matmul, norm, outer, tensordot  # noqa: F401
from lamina.ops.logic import (  # noqa: F401
    argsort, equal, greater, greater_equal, isclose, isfinite, isinf, isnan, less, less_equal,
    logical_and, logical_not, logical_or, logical_xor, not_equal,
)
from lamina.ops.math import (  # noqa: F401
    abs, absolute, add, arctan, ceil, clip, cos, cosh, divide, exp, expm1, floor, floor_divide,
    log, log1p, log2, log10, maximum, minimum, mod, multiply, negative, power, reciprocal, round,
    sign, sin, sinh, sqrt, square, subtract, tan, true_divide, where,
)
from lamina.ops.nn import (  # noqa: F401
    batch_normalization, binary_crossentropy, categorical_crossentropy, elu, gelu, hard_sigmoid,
    hard_silu, hard_swish, in_top_k, leaky_relu, log_cosh, log_sigmoid, log_softmax, mish,
    moments, multi_hot, normalize, one_hot, relu, relu6, selu, sigmoid, silu, softmax, softplus,
    softsign, sparse_categorical_crossentropy, step, swish, tanh, top_k,
)
from lamina.ops.reduce import (  # noqa: F401
    all, amax, amin, any, argmax, argmin, count_nonzero, cumsum, logsumexp, max, mean, min,
    prod, std, sum, var,
)
from lamina.ops.shape import (  # noqa: F401
    broadcast_to, concatenate, expand_dims, flip, getitem, moveaxis, pad, ravel, repeat,
    reshape, roll, scatter, scatter_update, shape, size, slice, split, squeeze, stack,
    swapaxes, take, take_along_axis, tile, transpose, unstack,
)


def __getattr__(name):
    close = _difflib.get_close_matches(name, [n for n in globals() if not n.startswith("_")], n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise AttributeError(f"lamina.ops has no op {name!r}{hint}")
