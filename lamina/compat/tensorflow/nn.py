"""`tf.nn`: activations, the cross-entropies with logits, dropout and `l2_loss`, on lamina's ops.

The losses return one value per example (no reduction), as TensorFlow's do; average them
with `tf.reduce_mean`. Gradients flow to `logits` and, for the dense-label losses, to `labels`.
"""
from lamina import ops
from lamina import random as _random
from lamina.compat.tensorflow._common import module_getattr as _module_getattr
from lamina.compat.tensorflow._common import op_seed as _op_seed
from lamina.compat.tensorflow._common import value as _value

relu, relu6, sigmoid, tanh, elu, selu = ops.relu, ops.relu6, ops.sigmoid, ops.tanh, ops.elu, ops.selu
softplus, softsign, silu = ops.softplus, ops.softsign, ops.silu
swish = silu


def softmax(logits, axis=None, name=None):
    return ops.softmax(logits, axis=-1 if axis is None else axis)


def log_softmax(logits, axis=None, name=None):
    return ops.log_softmax(logits, axis=-1 if axis is None else axis)


def gelu(features, approximate=False, name=None):
    """GELU; exact (erf) by default, as in TensorFlow (Keras's default is the tanh form)."""
    return ops.gelu(features, approximate=approximate)


def leaky_relu(features, alpha=0.2, name=None):
    return ops.leaky_relu(features, negative_slope=alpha)


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """-sum(labels * log_softmax(logits), axis): one loss per example (lamina's fused op)."""
    return ops.categorical_crossentropy(labels, logits, from_logits=True, axis=axis)


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """-log_softmax(logits)[label] for integer `labels` of shape logits.shape[:-1]."""
    idx = _value(labels)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"sparse_softmax_cross_entropy_with_logits: labels must be integers, got "
                        f"dtype {idx.dtype}; use softmax_cross_entropy_with_logits for one-hot labels")
    n = ops.shape(logits)[-1]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: labels must be in [0, {n}), "
                         f"got values from {idx.min()} to {idx.max()}")
    if tuple(idx.shape) != tuple(ops.shape(logits)[:-1]):
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: labels of shape {idx.shape} "
                         f"do not match logits of shape {tuple(ops.shape(logits))} (labels need "
                         "the logits' shape without the last axis)")
    return ops.sparse_categorical_crossentropy(idx, logits, from_logits=True)


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """max(x, 0) - x * z + log(1 + exp(-|x|)), elementwise (x = logits, z = labels)."""
    if labels is None or logits is None:
        raise ValueError("sigmoid_cross_entropy_with_logits: pass both labels= and logits=")
    return ops.binary_crossentropy(labels, logits, from_logits=True)


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """Sigmoid cross-entropy with the positive term weighted by `pos_weight`."""
    log_weight = ops.add(1.0, ops.multiply(ops.subtract(pos_weight, 1.0), labels))
    softplus_neg = ops.add(ops.log1p(ops.exp(ops.negative(ops.abs(logits)))), ops.relu(ops.negative(logits)))
    return ops.add(ops.multiply(ops.subtract(1.0, labels), logits), ops.multiply(log_weight, softplus_neg))


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zero each entry with probability `rate`, scale the others by 1 / (1 - rate)."""
    return _random.dropout(x, rate, noise_shape=noise_shape, seed=_op_seed(seed))


def l2_loss(t, name=None):
    """sum(t ** 2) / 2."""
    return ops.multiply(ops.sum(ops.square(t)), 0.5)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None):
    from lamina.compat.tensorflow.math import l2_normalize as normalize  # noqa: PLC0415  (one definition)

    return normalize(x, axis=axis, epsilon=epsilon)


def bias_add(value, bias, data_format=None, name=None):  # noqa: A002
    if data_format not in (None, "NHWC", "NWC", "NDHWC", "N...C"):
        raise NotImplementedError(f"tf.nn.bias_add: data_format={data_format!r} is not implemented "
                                  "(channels-last only)")
    return ops.add(value, bias)


def moments(x, axes, shift=None, keepdims=False, name=None):
    """(mean, variance) over `axes`."""
    return ops.moments(x, axes=list(axes), keepdims=keepdims)


def embedding_lookup(params, ids, max_norm=None, name=None):
    if max_norm is not None:
        raise NotImplementedError("tf.nn.embedding_lookup: max_norm is not implemented")
    return ops.take(params, ids, axis=0)


__getattr__ = _module_getattr("tensorflow.nn")
