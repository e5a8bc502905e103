"""`BatchNormalization`: normalize each channel with batch statistics (training) or moving
averages of them (inference), then scale by gamma and shift by beta, as Keras 3.

Training (`training=True` and the layer trainable): y = gamma (x - mean_B) / sqrt(var_B + eps)
+ beta with the batch's mean and (biased) variance over every axis but `axis`, and
moving = moving * momentum + batch_stat * (1 - momentum). Inference: the moving statistics
replace the batch's. Weights: gamma, beta (trainable), moving_mean, moving_variance.
"""
import numpy as np

from lamina import initializers, ops
from lamina.engine import dtypes
from lamina.engine.tensor import data_of, record
from lamina.kernels.batch_norm import batch_norm_channels_last
from lamina.layers.base.layer import InputSpec, Layer
from lamina.layers.base.named_params import NamedParams


def _fused_batch_norm(x, gamma, beta, reduce_axes, bshape, epsilon, mean=None, variance=None):
    """One graph node for BN. With mean/variance None, the batch statistics are used (and
    differentiated through); returns (output Tensor, batch mean, batch variance)."""
    a = data_of(x)
    training = mean is None
    if training and reduce_axes == tuple(range(a.ndim - 1)) and a.ndim > 1:
        return batch_norm_channels_last(x, gamma, beta, epsilon)
    if training:
        mu = a.mean(axis=reduce_axes, keepdims=True)
        centered = a - mu
        var = np.mean(np.square(centered), axis=reduce_axes, keepdims=True)
    else:
        mu = np.asarray(mean, a.dtype).reshape(bshape)
        var = np.asarray(variance, a.dtype).reshape(bshape)
        centered = a - mu
    inv = 1.0 / np.sqrt(var + np.asarray(epsilon, a.dtype))
    xhat = centered * inv
    g_ = None if gamma is None else data_of(gamma).reshape(bshape)
    out = xhat * g_ if g_ is not None else xhat.copy()
    if beta is not None:
        out += data_of(beta).reshape(bshape)
    m = a.size // inv.size

    def backward(grad, need):
        gsum = grad.sum(axis=reduce_axes, keepdims=True)
        gxhat_sum = (grad * xhat).sum(axis=reduce_axes, keepdims=True)
        scale = inv if g_ is None else inv * g_
        gx = None
        if need[0]:
            if training:  # through the batch mean and variance too
                gx = scale * (grad - gsum / m - xhat * (gxhat_sum / m))
            else:
                gx = grad * scale
        ggamma = gxhat_sum.reshape(-1) if need[1] else None
        gbeta = gsum.reshape(-1) if need[2] else None
        return gx, ggamma, gbeta

    return record(out, (x, gamma, beta), backward), mu.reshape(-1), var.reshape(-1)


class BatchNormalization(NamedParams, Layer):
    """Normalize over the batch (and spatial axes) per feature of `axis` (default -1).

    momentum 0.99, epsilon 1e-3; `trainable = False` also switches the layer to inference
    mode (moving statistics), as in Keras, which is what fine-tuning needs.
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            raise TypeError(
                f"BatchNormalization: axis must be an int (as in Keras 3), got {axis!r}"
            )
        self.axis = int(axis)
        if synchronized:
            raise NotImplementedError(
                "BatchNormalization(synchronized=True) needs several devices; "
                "lamina runs on one CPU"
            )
        self.synchronized = False
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        if not 0 <= self.momentum <= 1:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1], got {momentum!r}")
        if self.epsilon <= 0:
            raise ValueError(f"BatchNormalization: epsilon must be positive, got {epsilon!r}")
        self.center, self.scale = bool(center), bool(scale)
        self._init_params(beta=(beta_initializer, beta_regularizer, beta_constraint),
                          gamma=(gamma_initializer, gamma_regularizer, gamma_constraint))
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.supports_masking = True

    def build(self, input_shape):
        nd = len(input_shape)
        if not -nd <= self.axis < nd:
            raise ValueError(
                f"BatchNormalization layer {self.name!r}: axis {self.axis} is out of range for "
                f"inputs of shape {tuple(input_shape)}"
            )
        ax = self.axis % nd
        size = input_shape[ax]
        if size is None:
            raise ValueError(
                f"BatchNormalization layer {self.name!r}: axis {self.axis} of the input shape "
                f"{tuple(input_shape)} must be known"
            )
        shape = (size,)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self._add_param("gamma", shape)
        if self.center:
            self.beta = self._add_param("beta", shape)
        self.moving_mean = self.add_weight(
            shape=shape,
            initializer=self.moving_mean_initializer,
            trainable=False,
            name="moving_mean",
        )
        self.moving_variance = self.add_weight(
            shape=shape,
            initializer=self.moving_variance_initializer,
            trainable=False,
            name="moving_variance",
        )
        self.input_spec = InputSpec(ndim=nd, axes={ax: size})
        self._reduce_axes = tuple(d for d in range(nd) if d != ax)
        self._bshape = tuple(size if d == ax else 1 for d in range(nd))

    def call(self, inputs, training=None, mask=None):
        use_batch = bool(training) and self.trainable
        if mask is not None:
            if len(mask.shape) != len(inputs.shape) - 1:
                raise ValueError(
                    f"BatchNormalization layer {self.name!r}: the mask must have one axis fewer "
                    f"than the inputs, got mask {tuple(mask.shape)} for inputs "
                    f"{tuple(inputs.shape)}"
                )
            if use_batch:
                return self._masked_call(inputs, mask)
        if use_batch:
            out, mean, var = _fused_batch_norm(
                inputs, self.gamma, self.beta, self._reduce_axes, self._bshape, self.epsilon
            )
            self._update_moving(mean, var)
            return out
        out, _, _ = _fused_batch_norm(
            inputs,
            self.gamma,
            self.beta,
            self._reduce_axes,
            self._bshape,
            self.epsilon,
            self.moving_mean.data,
            self.moving_variance.data,
        )
        return out

    def _update_moving(self, mean, var):
        m = self.momentum
        for v, stat in ((self.moving_mean, mean), (self.moving_variance, var)):
            v.assign(v.data * m + stat.astype(v.data.dtype) * (1.0 - m))

    def _masked_call(self, inputs, mask):
        """Batch statistics over the unmasked positions only (as Keras), composed from ops."""
        w = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)  # (..., 1): broadcasts over features
        count = ops.sum(w, axis=self._reduce_axes, keepdims=True)  # unmasked positions
        eps = dtypes.epsilon()
        mean = ops.sum(ops.multiply(w, inputs), axis=self._reduce_axes, keepdims=True) / (
            count + eps
        )
        diff = ops.subtract(ops.multiply(w, inputs), mean)
        var = ops.sum(ops.multiply(w, ops.square(diff)), axis=self._reduce_axes, keepdims=True) / (
            count + eps
        )
        self._update_moving(np.asarray(mean.data).reshape(-1), np.asarray(var.data).reshape(-1))
        y = ops.multiply(ops.subtract(inputs, mean), ops.rsqrt(ops.add(var, self.epsilon)))
        if self.gamma is not None:
            y = ops.multiply(y, ops.reshape(self.gamma, self._bshape))
        if self.beta is not None:
            y = ops.add(y, ops.reshape(self.beta, self._bshape))
        return y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **self._params_config(),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "synchronized": self.synchronized,
        }
