"""`keras.activations`: elementwise activation functions by name, built on `lamina.ops`.

Every function takes a tensor (or array-like) `x` of any shape and returns a Tensor of the
same shape and float dtype, differentiable by the GradientTape (except `step`).
`softmax` and `sigmoid` return the op's output itself, so its `_keras_logits` reaches the
losses. `get`/`serialize`/`deserialize` map Keras's names ("relu", "swish", ...) to these.
"""
import difflib
import types

import numpy as np

from lamina import ops, registry
from lamina.engine.tensor import Tensor

# --- the ReLU family -----------------------------------------------------------------


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0); optionally leaky below `threshold`, zero up to it, and capped at `max_value`.

    As Keras: x if threshold < x (clipped to [0, max_value] when a cap is given), else
    negative_slope * (x - threshold).
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)  # the fast path: one op
    x = x if isinstance(x, Tensor) else ops.convert_to_tensor(x)
    # Python floats stay "weak": a NumPy float64 parameter would upcast float32 inputs.
    negative_slope, threshold = float(negative_slope), float(threshold)
    max_value = None if max_value is None else float(max_value)
    if max_value is None and threshold == 0.0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    clip_max = max_value is not None
    if threshold != 0.0:
        y = ops.multiply(x, ops.greater(x, threshold))
    elif max_value == 6.0:
        y, clip_max = ops.relu6(x), False
    else:
        y = ops.relu(x)
    if clip_max:
        y = ops.clip(y, 0.0, max_value)
    if negative_slope != 0.0:
        y = ops.subtract(y, ops.multiply(negative_slope, ops.relu(ops.subtract(threshold, x))))
    return y


def leaky_relu(x, negative_slope=0.2):
    """x for x > 0, negative_slope * x otherwise."""
    return ops.leaky_relu(x, negative_slope=negative_slope)


def relu6(x):
    """min(max(x, 0), 6)."""
    return ops.relu6(x)


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return ops.elu(x, alpha=alpha)


def selu(x):
    """scale * elu(x, alpha) with the self-normalizing constants (use with lecun_normal)."""
    return ops.selu(x)


def celu(x, alpha=1.0):
    """max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)."""
    x = x if isinstance(x, Tensor) else ops.convert_to_tensor(x)
    alpha = float(alpha)
    neg = ops.multiply(alpha, ops.expm1(ops.divide(ops.minimum(x, 0.0), alpha)))
    return ops.add(ops.relu(x), neg)


# --- sigmoid / softmax family -------------------------------------------------------


def sigmoid(x):
    """1 / (1 + exp(-x)); the output carries `_keras_logits` for the cross-entropies."""
    return ops.sigmoid(x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`; the output carries `_keras_logits`."""
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along `axis`, computed stably."""
    return ops.log_softmax(x, axis=axis)


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), computed stably."""
    return ops.log_sigmoid(x)


def hard_sigmoid(x):
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, linear in between."""
    return ops.hard_sigmoid(x)


def sparse_sigmoid(x):
    """0 for x <= -1, 1 for x >= 1, (x + 1) / 2 in between."""
    return ops.multiply(0.5, ops.clip(ops.add(x, 1.0), 0.0, 2.0))


def sparsemax(x, axis=-1):
    """The Euclidean projection of x onto the probability simplex (sparse probabilities)."""
    return ops.sparsemax(x, axis=axis)


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def hard_tanh(x):
    """x clipped to [-1, 1]."""
    return ops.clip(x, -1.0, 1.0)


def softplus(x):
    """log(1 + exp(x)), computed without overflow."""
    return ops.softplus(x)


def softsign(x):
    """x / (1 + |x|)."""
    return ops.softsign(x)


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2, a smooth ReLU (b > 0 sets the smoothness).

    For x < 0 it is evaluated as b / (2 (|x| + sqrt(x^2 + b))), which is the same value
    without the cancellation that would round it to 0 for large negative x.
    """
    if b < 0:
        raise ValueError(f"squareplus: `b` must be non-negative, got b={b}")
    b = float(b)
    if b == 0.0:
        return ops.relu(x)
    x = x if isinstance(x, Tensor) else ops.convert_to_tensor(x)
    s = ops.add(ops.abs(x), ops.sqrt(ops.add(ops.square(x), b)))  # >= sqrt(b) > 0
    return ops.where(ops.greater_equal(x, 0.0), ops.multiply(0.5, s), ops.divide(0.5 * b, s))


def sparse_plus(x):
    """0 for x <= -1, x for x >= 1, (x + 1)^2 / 4 in between."""
    x = x if isinstance(x, Tensor) else ops.convert_to_tensor(x)
    mid = ops.multiply(0.25, ops.square(ops.add(x, 1.0)))
    return ops.where(ops.less_equal(x, -1.0), 0.0, ops.where(ops.greater_equal(x, 1.0), x, mid))


# --- smooth gated units ---------------------------------------------------------------


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    return ops.silu(x)


swish = silu


def hard_silu(x):
    """x * hard_sigmoid(x) (also called hard_swish)."""
    return ops.hard_silu(x)


hard_swish = hard_silu


def gelu(x, approximate=False):
    """x * Phi(x) (exact, Keras's activation default) or its tanh approximation."""
    y = ops.gelu(x, approximate=approximate)
    want = np.dtype(getattr(x, "dtype", None) or ops.convert_to_tensor(x).dtype)
    if want.kind == "f" and np.dtype(y.dtype) != want:
        y = ops.cast(y, want)  # keep float32 float32 whatever the op computed in
    return y


def mish(x):
    """x * tanh(softplus(x))."""
    return ops.mish(x)


def glu(x, axis=-1):
    """a * sigmoid(b), where a and b are the two halves of `x` along `axis` (size halves)."""
    x = x if isinstance(x, Tensor) else ops.convert_to_tensor(x)
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu: the size of axis {axis} must be even to split it in two halves, got input "
            f"shape {x.shape}"
        )
    a, b = ops.split(x, 2, axis=axis)
    return ops.multiply(a, ops.sigmoid(b))


# --- shrinkage and thresholds -----------------------------------------------------------


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    x = x if isinstance(x, Tensor) else ops.convert_to_tensor(x)
    return ops.where(ops.greater(ops.abs(x), float(threshold)), x, 0.0)


def soft_shrink(x, threshold=0.5):
    """x - threshold above threshold, x + threshold below -threshold, else 0."""
    x = x if isinstance(x, Tensor) else ops.convert_to_tensor(x)
    t = float(threshold)
    return ops.subtract(x, ops.clip(x, -t, t))


def tanh_shrink(x):
    """x - tanh(x)."""
    return ops.subtract(x, ops.tanh(x))


def threshold(x, threshold, default_value):
    """x where x > threshold, else `default_value`."""
    x = x if isinstance(x, Tensor) else ops.convert_to_tensor(x)
    return ops.where(ops.greater(x, float(threshold)), x, float(default_value))


def step(x, threshold=0.0):
    """Heaviside unit step of the perceptron: 1 where x >= threshold, else 0 (no gradient)."""
    return ops.step(x, threshold=threshold)


# --- others -------------------------------------------------------------------------------


def exponential(x):
    """exp(x) (overflows to inf past ~88 in float32, as in Keras)."""
    return ops.exp(x)


def linear(x):
    """The identity: returns `x` itself, unmodified."""
    return x


# --- lookup by name -------------------------------------------------------------------------

_BUILTINS = (
    celu, elu, exponential, gelu, glu, hard_shrink, hard_sigmoid, hard_silu, hard_tanh,
    leaky_relu, linear, log_sigmoid, log_softmax, mish, relu, relu6, selu, sigmoid, silu,
    soft_shrink, softmax, softplus, softsign, sparse_plus, sparse_sigmoid, sparsemax, squareplus,
    step, tanh, tanh_shrink, threshold,
)  # fmt: skip
ALL_OBJECTS_DICT = {fn.__name__: fn for fn in _BUILTINS}
ALL_OBJECTS_DICT.update(swish=silu, hard_swish=hard_silu)
_NAME_OF = {fn: fn.__name__ for fn in _BUILTINS}
registry.register_builtins("activation", ALL_OBJECTS_DICT)


def _unknown(name):
    valid = sorted(ALL_OBJECTS_DICT)
    close = difflib.get_close_matches(str(name).lower(), valid, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ValueError(
        f"Unknown activation {name!r}{hint} Valid names: {', '.join(valid)} (or pass a callable)"
    )


def serialize(activation):
    """The name of a built-in activation; a Keras-style dict for other callables."""
    name = _NAME_OF.get(activation)
    if name is not None:
        return name
    if hasattr(activation, "get_config"):  # an activation object (e.g. a layer)
        return registry.serialize(activation, "activation")
    if isinstance(activation, types.FunctionType):
        return registry.serialize_function(activation)
    raise ValueError(
        f"Cannot serialize activation {activation!r}: expected a built-in activation, a "
        "function, or an object with get_config()"
    )


def deserialize(config, custom_objects=None):
    """The activation named by `config` (a name, or a dict decoded by `lamina.registry`)."""
    if isinstance(config, dict):
        if "class_name" not in config:
            raise ValueError(f"activation config {config!r} has no 'class_name' key")
        if isinstance(config.get("config"), str) and config["class_name"] != "function":
            return deserialize(config["config"], custom_objects)
        return registry.deserialize(config, "activation", custom_objects)
    if isinstance(config, str):
        fn = registry.custom_object(config, custom_objects) or ALL_OBJECTS_DICT.get(config)
        if fn is None:
            raise _unknown(config)
        return fn
    raise TypeError(f"activations.deserialize expects a name or a dict, got {type(config).__name__}")


def get(identifier):
    """An activation function from a name, a config dict or a callable (None -> linear)."""
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret activation identifier {identifier!r}: pass a name such as "
        "'relu', a config dict, or a callable"
    )
