"""Neural-network ops: activations, fused cross-entropies, one-hot, moments.

`softmax` and `sigmoid` keep their input on the output (`_keras_logits`), as Keras's
TensorFlow backend does, so the cross-entropies below can use the exact, stable
logits formulas (gradient p - y) instead of clipping probabilities, when the activation is
the one the loss assumes (softmax for the categorical ones, sigmoid for the binary one).
"""
import math as _math
import warnings

import numpy as np

from lamina.engine import dtypes, threads
from lamina.ops import _conv_kernels, math, reduce
from lamina.ops._base import const, data_of, fdata, record
from lamina.engine.tensor import Tensor
from lamina.ops.core import cast
from lamina.ops.shapes import reshape, take_along_axis
from lamina.ops.linalg import norm

_SQRT_2_OVER_PI = _math.sqrt(2.0 / _math.pi)  # Python floats: no float64 upcast


# --- activations ----------------------------------------------------------------------


def relu(x):
    a = fdata(x)
    # g * (a > 0), in one compiled pass for float32 (bitwise the same)
    return record(_relu_array(a), (x,), lambda g, need: (_conv_kernels.relu_mask(g, a),))


def _relu_array(a):
    """np.maximum(a, 0); a big contiguous array in blocks on two threads (`threads.by_rows`)."""
    if type(a) is not np.ndarray or not a.flags.c_contiguous or a.size < threads.PAIR_VALUES:
        return np.maximum(a, 0)
    out = np.empty_like(a)
    af, of = a.reshape(-1), out.reshape(-1)
    threads.by_rows(lambda r: np.maximum(af[r], 0, out=of[r]), af.size)
    return out


def relu6(x):
    a = fdata(x)
    return record(np.clip(a, 0, 6), (x,), lambda g, need: (g * ((a > 0) & (a < 6)),))


def _sigmoid(a):
    # 0.5 tanh(a/2) + 0.5: no overflow for large |a|, one transcendental
    out = np.tanh(a * 0.5)
    out *= 0.5
    out += 0.5
    return out


def sigmoid(x):
    out = _sigmoid(fdata(x))
    y = record(out, (x,), lambda g, need: (g * out * (1 - out),))  # s' = s (1 - s)
    y._keras_logits = x if isinstance(x, Tensor) else Tensor(fdata(x))
    y._keras_logits_from = "sigmoid"
    return y


def tanh(x):
    out = np.tanh(fdata(x))
    return record(out, (x,), lambda g, need: (g * (1 - out * out),))  # tanh' = 1 - tanh^2


def softmax_array(a, axis=-1):
    """`softmax`'s forward on a float NumPy array, with no Tensor or graph node (the same
    arithmetic: `predict`'s replay uses it and gets the same bits)."""
    if axis is None:
        out = np.exp(a - a.max())
        out /= out.sum()
    else:
        out = a - a.max(axis=axis, keepdims=True)  # shift for stability
        np.exp(out, out=out)
        out /= out.sum(axis=axis, keepdims=True)
    return out


def softmax(x, axis=-1):
    a = fdata(x)
    out = softmax_array(a, axis)
    # d softmax: J^T g = p * (g - sum(g p))
    y = record(out, (x,), lambda g, need: (
        out * (g - (g * out).sum(axis=axis, keepdims=axis is not None)),))
    y._keras_logits = x if isinstance(x, Tensor) else Tensor(a)
    # only a softmax over the last axis is the one the cross-entropies' logits path computes
    y._keras_logits_from = "softmax" if axis is not None and axis in (-1, a.ndim - 1) else "softmax(axis)"
    return y


def log_softmax(x, axis=-1):
    a = fdata(x)
    shifted = a - a.max(axis=axis, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    # d log_softmax: g - softmax * sum(g)
    return record(out, (x,), lambda g, need: (
        g - np.exp(out) * g.sum(axis=axis, keepdims=True),))


def softplus(x):
    a = fdata(x)
    return record(np.logaddexp(0, a), (x,), lambda g, need: (g * _sigmoid(a),))


def softsign(x):
    a = fdata(x)
    d = 1 + np.abs(a)
    return record(a / d, (x,), lambda g, need: (g / (d * d),))


def log_sigmoid(x):
    a = fdata(x)
    return record(-np.logaddexp(0, -a), (x,), lambda g, need: (g * _sigmoid(-a),))


def elu(x, alpha=1.0):
    a = fdata(x)
    out = np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0)))
    return record(out, (x,), lambda g, need: (np.where(a > 0, g, g * (out + alpha)),))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    a = fdata(x)
    e = np.exp(np.minimum(a, 0))
    out = _SELU_SCALE * np.where(a > 0, a, _SELU_ALPHA * (e - 1))
    return record(out, (x,), lambda g, need: (
        g * _SELU_SCALE * np.where(a > 0, 1, _SELU_ALPHA * e),))


def gelu(x, approximate=True):
    a = fdata(x)
    if approximate:  # 0.5 a (1 + tanh(c (a + 0.044715 a^3)))
        t = np.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a**3))
        out = 0.5 * a * (1 + t)
        d = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
    else:  # a Phi(a); d = Phi(a) + a phi(a)
        from scipy.special import erf  # noqa: PLC0415  (lazy: scipy is slow to import)

        cdf = (0.5 * (1 + erf(a / np.sqrt(2.0)))).astype(a.dtype)
        out = a * cdf
        d = cdf + a * np.exp(-0.5 * a * a) / _math.sqrt(2 * _math.pi)
    return record(out, (x,), lambda g, need: (g * d,))


def leaky_relu(x, negative_slope=0.2):
    a = fdata(x)
    out = np.where(a > 0, a, negative_slope * a)
    return record(out, (x,), lambda g, need: (np.where(a > 0, g, negative_slope * g),))


def silu(x):
    a = fdata(x)
    s = _sigmoid(a)
    # d(a s(a)) = s + a s (1 - s)
    return record(a * s, (x,), lambda g, need: (g * (s + a * s * (1 - s)),))


swish = silu


def hard_sigmoid(x):
    a = fdata(x)  # relu6(a + 3) / 6, as Keras 3
    out = np.clip(a + 3, 0, 6) / 6
    return record(out, (x,), lambda g, need: (g * (((a > -3) & (a < 3)) / 6),))


def hard_silu(x):
    a = fdata(x)
    hs = np.clip(a + 3, 0, 6) / 6
    return record(a * hs, (x,), lambda g, need: (g * (hs + a * ((a > -3) & (a < 3)) / 6),))


hard_swish = hard_silu


def mish(x):
    a = fdata(x)
    t = np.tanh(np.logaddexp(0, a))
    # d(a tanh(sp(a))) = tanh(sp) + a (1 - tanh^2(sp)) sigmoid(a)
    return record(a * t, (x,), lambda g, need: (g * (t + a * (1 - t * t) * _sigmoid(a)),))


def step(x, threshold=0.0):
    """Heaviside unit step for the perceptron: 1 where x >= threshold, else 0 (no gradient)."""
    a = fdata(x)
    return record((a >= threshold).astype(a.dtype), (x,), lambda g, need: (np.zeros_like(g),))


# --- cross-entropies ----------------------------------------------------------------


def logits_for(output, activation):
    """The logits cached on `output` when `activation` ("softmax"/"sigmoid") produced it, else None.

    A cross-entropy uses them (the exact logits formula) only when the activation is the one
    its formula assumes: a softmax output for the categorical losses, a sigmoid output for the
    binary one. Any other pairing is scored on the declared output, as `predict` returns it.
    """
    if not isinstance(output, Tensor) or output._keras_logits is None:
        return None
    return output._keras_logits if getattr(output, "_keras_logits_from", None) == activation else None


def _logits_of(output, from_logits, fn_name, activation):
    """Use the logits cached by the matching activation, as Keras's TensorFlow backend does."""
    logits = logits_for(output, activation)
    if logits is None:
        return output, from_logits
    if from_logits:
        warnings.warn(
            f"`{fn_name}` received from_logits=True, but the output was produced by a "
            f"{activation} and is not logits. Was this intended?",
            stacklevel=3,
        )
    return logits, True


def _like_output(target, output):
    """`target` in the output's float dtype (float64 labels must not upcast a float32 loss)."""
    t, o = np.asarray(data_of(target)), np.asarray(data_of(output))
    if o.dtype.kind == "f" and t.dtype != o.dtype:
        return cast(target, o.dtype)
    return target


def _check_same_shape(fn, y, p):
    if np.shape(y) != np.shape(p):
        raise ValueError(
            f"{fn}: target and output must have the same shape, got target.shape={np.shape(y)} "
            f"and output.shape={np.shape(p)}"
        )


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """-sum(target * log p) over `axis`, per sample; `output` holds probabilities or logits."""
    _check_same_shape("categorical_crossentropy", data_of(target), data_of(output))
    output, from_logits = _logits_of(output, from_logits, "categorical_crossentropy", "softmax")
    target = _like_output(target, output)
    if not from_logits:  # Keras: renormalize, clip to [eps, 1 - eps], then log
        eps = dtypes.epsilon()
        p = math.clip(math.divide(output, reduce.sum(output, axis=axis, keepdims=True)), eps, 1 - eps)
        return math.negative(reduce.sum(math.multiply(target, math.log(p)), axis=axis))
    y, z = fdata(target), fdata(output)
    shifted = z - z.max(axis=axis, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    loss = -(y * logp).sum(axis=axis)

    def backward(g, need):  # d/dz = softmax(z) sum(y) - y ; d/dy = -log p
        g = np.expand_dims(g, axis)
        gy = -g * logp if need[0] else None
        gz = g * (np.exp(logp) * y.sum(axis=axis, keepdims=True) - y) if need[1] else None
        return gy, gz

    return record(loss, (target, output), backward)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """-log p[label] per sample, for integer labels; `output` holds probabilities or logits."""
    p_arr = data_of(output)
    if axis not in (-1, np.ndim(p_arr) - 1):
        raise ValueError(f"sparse_categorical_crossentropy: only axis=-1 is supported, got {axis}")
    labels = np.asarray(data_of(target))
    if labels.ndim == np.ndim(p_arr) and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != np.shape(p_arr)[:-1]:
        raise ValueError(
            "sparse_categorical_crossentropy: target must have the output's shape without its "
            f"last axis, got target.shape={np.shape(data_of(target))} and output.shape="
            f"{np.shape(p_arr)}"
        )
    if labels.dtype.kind == "f":
        if np.any(labels != np.round(labels)):
            raise ValueError(
                "sparse_categorical_crossentropy expects integer class labels, got non-integer "
                "values; for one-hot or probability targets use categorical_crossentropy"
            )
    labels = labels.astype(np.intp)
    n = np.shape(p_arr)[-1]
    if labels.size and (labels.max() >= n or labels.min() < 0):
        bad = labels.max() if labels.max() >= n else labels.min()
        raise ValueError(
            f"sparse_categorical_crossentropy: label {bad} is out of range for an output with "
            f"{n} classes (labels must be in [0, {n - 1}])"
        )
    output, from_logits = _logits_of(output, from_logits, "sparse_categorical_crossentropy", "softmax")
    if not from_logits:  # Keras: clip probabilities, take their log as logits
        eps = dtypes.epsilon()
        output = math.log(math.clip(output, eps, 1 - eps))
    z = fdata(output)
    shifted = z - z.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(shifted, labels[..., None], axis=-1)
    loss = (lse - picked)[..., 0]

    def backward(g, need):  # d/dz = softmax(z) - onehot(label)
        gz = np.exp(shifted - lse)
        np.put_along_axis(gz, labels[..., None], np.take_along_axis(gz, labels[..., None], -1) - 1, -1)
        return None, gz * g[..., None]

    return record(loss, (None, output), backward)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise -(y log p + (1 - y) log(1 - p)); `output` holds probabilities or logits."""
    _check_same_shape("binary_crossentropy", data_of(target), data_of(output))
    output, from_logits = _logits_of(output, from_logits, "binary_crossentropy", "sigmoid")
    target = _like_output(target, output)
    if not from_logits:  # Keras: clip to [eps, 1 - eps]
        eps = dtypes.epsilon()
        p = math.clip(output, eps, 1 - eps)
        pos = math.multiply(target, math.log(p))
        neg = math.multiply(math.subtract(1, target), math.log(math.subtract(1, p)))
        return math.negative(math.add(pos, neg))
    y, z = fdata(target), fdata(output)
    # max(z, 0) - z y + log(1 + e^-|z|): stable for any z
    loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return record(loss, (target, output), lambda g, need: (
        -g * z if need[0] else None, g * (_sigmoid(z) - y) if need[1] else None))


# --- encodings and statistics -------------------------------------------------------


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encode integer `x` (float32); negative or too-large indices give zero rows."""
    if sparse:
        raise NotImplementedError("one_hot(sparse=True) is not supported; use multi_hot for CSR")
    idx = np.asarray(data_of(x))
    out = (idx[..., None] == np.arange(num_classes)).astype(dtypes.standardize(dtype))
    if axis != -1 and axis != idx.ndim:
        out = np.moveaxis(out, -1, axis)
    return const(out)


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """1 at every index present in each row of integer `inputs` (rank 1 or 2)."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    if sparse:
        raise NotImplementedError(
            "ops.multi_hot(sparse=True) is not supported; use lamina.utils.multi_hot(..., "
            "sparse=True) for a scipy CSR matrix"
        )
    idx = np.asarray(data_of(inputs))
    rows = idx[None] if idx.ndim == 1 else idx
    out = np.zeros((rows.shape[0], num_classes), dtype=dtypes.standardize(dtype))
    valid = (rows >= 0) & (rows < num_classes)
    r = np.broadcast_to(np.arange(rows.shape[0])[:, None], rows.shape)
    out[r[valid], rows[valid]] = 1
    return const(out[0] if idx.ndim == 1 else out)


def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) over `axes`."""
    return reduce.mean(x, axis=axes, keepdims=keepdims), reduce.var(x, axis=axes, keepdims=keepdims)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, statistics along `axis`."""
    nd = np.ndim(data_of(x))
    if axis not in (-1, nd - 1):
        shape = [1] * nd
        shape[axis] = -1

        mean, variance = reshape(mean, shape), reshape(variance, shape)
        offset = None if offset is None else reshape(offset, shape)
        scale = None if scale is None else reshape(scale, shape)
    inv = math.divide(1.0, math.sqrt(math.add(variance, epsilon)))
    if scale is not None:
        inv = math.multiply(inv, scale)
    y = math.multiply(math.subtract(x, mean), inv)
    return y if offset is None else math.add(y, offset)


def normalize(x, axis=-1, order=2, epsilon=None):
    """x / max(norm(x), epsilon) along `axis` (L2 by default)."""
    eps = dtypes.epsilon() if epsilon is None else epsilon
    n = norm(x, ord=order, axis=axis, keepdims=True)
    return math.divide(x, math.maximum(n, eps))


def top_k(x, k, sorted=True):  # noqa: A002  (keras.ops name)
    """(values, indices) of the k largest entries along the last axis."""
    a = data_of(x)
    idx = np.argpartition(-a, k - 1, axis=-1)[..., :k]
    if sorted:
        order = np.argsort(-np.take_along_axis(a, idx, -1), axis=-1, kind="stable")
        idx = np.take_along_axis(idx, order, -1)
    return take_along_axis(x, idx, axis=-1), const(idx.astype(np.int32))


def in_top_k(targets, predictions, k):
    """Whether each integer target is among the k largest predictions of its row."""
    p = data_of(predictions)
    t = np.asarray(data_of(targets)).astype(np.intp).reshape(-1)
    target_score = p[np.arange(p.shape[0]), t]
    higher = (p > target_score[:, None]).sum(axis=-1)
    return const(higher < k)


def log_cosh(x):
    """log(cosh(x)), computed stably."""
    a = fdata(x)
    out = a + np.logaddexp(0, -2 * a) - _math.log(2.0)
    return record(out, (x,), lambda g, need: (g * np.tanh(a),))
