"""`lamina.ops`: differentiable NumPy-backed ops with `keras.ops` names and signatures."""
import difflib as _difflib

from lamina.ops import _operators  # noqa: F401  (binds Python operators on Tensor)
from lamina.ops.activations import (  # noqa: F401
    celu, glu, hard_shrink, hard_tanh, soft_shrink, sparse_plus, squareplus, tanh_shrink, threshold,
)
from lamina.ops.attention import dot_product_attention  # noqa: F401
from lamina.ops.control import cond, fori_loop, map, scan, switch, vectorized_map, while_loop  # noqa: F401
from lamina.ops.conv import conv, conv_transpose, depthwise_conv, separable_conv  # noqa: F401
from lamina.ops.core import (  # noqa: F401
    arange, array, cast, convert_to_numpy, convert_to_tensor, copy, dtype, empty, eye, full,
    full_like, identity, is_tensor, linspace, ndim, ones, ones_like, stop_gradient, tri, tril,
    triu, zeros, zeros_like,
)
from lamina.ops.linalg import (  # noqa: F401
    dot, einsum, inner, matmul, norm, outer, tensordot, trace, vdot,
)
from lamina.ops.logic import (  # noqa: F401
    argpartition, argsort, digitize, equal, greater, greater_equal, isclose, isfinite, isin, isinf,
    isnan, less, less_equal, logical_and, logical_not, logical_or, logical_xor, not_equal,
    searchsorted,
)
from lamina.ops.math import (  # noqa: F401
    abs, absolute, add, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, cbrt, ceil,
    clip, cos, cosh, divide, divide_no_nan, erf, erfinv, exp, exp2, expm1, floor, floor_divide,
    log, log1p, log2, log10, logaddexp, maximum, minimum, mod, multiply, nan_to_num, negative,
    power, reciprocal, round, rsqrt, select, sign, sin, sinh, sqrt, square, subtract, tan,
    true_divide, trunc, where,
)
from lamina.ops.nn import (  # noqa: F401
    batch_normalization, binary_crossentropy, categorical_crossentropy, elu, gelu, hard_sigmoid,
    hard_silu, hard_swish, in_top_k, leaky_relu, log_cosh, log_sigmoid, log_softmax, mish, moments,
    multi_hot, normalize, one_hot, relu, relu6, selu, sigmoid, silu, softmax, softplus, softsign,
    sparse_categorical_crossentropy, step, swish, tanh, top_k,
)
from lamina.ops.normalization import layer_normalization, rms_normalization  # noqa: F401
from lamina.ops.pooling import average_pool, max_pool  # noqa: F401
from lamina.ops.reduce import (  # noqa: F401
    all, amax, amin, any, argmax, argmin, average, bincount, count_nonzero, cumprod, cumsum,
    logsumexp, max, mean, median, min, prod, quantile, segment_max, segment_sum, std, sum, var,
)
from lamina.ops.shape import (  # noqa: F401
    append, broadcast_to, concatenate, diag, diagonal, expand_dims, flip, get_item, getitem,
    hstack, meshgrid, moveaxis, nonzero, pad, ravel, repeat, reshape, roll, rot90, scatter,
    scatter_update, shape, size, slice, slice_update, sort, split, squeeze, stack, swapaxes, take,
    take_along_axis, tile, transpose, unstack, vstack,
)


def __getattr__(name):
    close = _difflib.get_close_matches(name, [n for n in globals() if not n.startswith("_")], n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise AttributeError(f"lamina.ops has no op {name!r}{hint}")
