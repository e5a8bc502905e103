"""The `Loss` base class and Keras 3's reduction rules (sample weights, masks, rank fixes).

A loss object computes per-sample losses in `call(y_true, y_pred)` (shape `(batch, ...)`,
usually `(batch,)`), then `__call__` weights and reduces them:

- "sum_over_batch_size" / "mean": sum(losses * weights) / number of loss elements. The
  divisor is the element count, not the sum of the weights, as in Keras 3.
- "sum": sum(losses * weights).  "mean_with_sample_weight": divided by sum(weights).
- "none" / None: the weighted per-sample losses.

Masks (`_keras_mask` on `y_pred` or on the per-sample losses) become weights; with the mean
reductions the valid entries are scaled by total / valid, so the mean runs over valid
entries only.
"""
import numpy as np

from lamina.engine import dtypes
from lamina.engine.tensor import Tensor, node_of, record
from lamina.naming import to_snake_case
from lamina.ops import core, math
from lamina.ops.shapes import expand_dims, squeeze

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`: {reduction!r}. Expected one of "
            f"{list(REDUCTIONS)} (Keras 3 has no 'auto'; use 'sum_over_batch_size')"
        )
    return reduction


# --- conversion and rank alignment ------------------------------------------------------


def _shape(x):
    return x.data.shape if isinstance(x, Tensor) else np.shape(x)


def _squeeze_last(x):
    if not isinstance(x, Tensor):
        return x[..., 0]
    out = squeeze(x, -1)
    if x._keras_logits is not None:  # keep the exact-logits path of the cross-entropies
        out._keras_logits = squeeze(x._keras_logits, -1)
        out._keras_logits_from = getattr(x, "_keras_logits_from", None)
    return out


def _expand_last(x):
    if not isinstance(x, Tensor):
        return x[..., None]
    out = expand_dims(x, -1)
    if x._keras_logits is not None:
        out._keras_logits = expand_dims(x._keras_logits, -1)
        out._keras_logits_from = getattr(x, "_keras_logits_from", None)
    return out


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make ranks equal when they differ by one and the longer one ends in 1 (Keras's rule).

    A rank-1 partner is expanded to `(n, 1)` (so `(404,)` vs `(404, 1)` compare row by
    row instead of broadcasting to `(404, 404)`); otherwise the trailing 1 is squeezed.
    Works on Tensors (differentiable) and NumPy arrays (views).
    """
    s1, s2 = _shape(x1), _shape(x2)
    r1, r2 = len(s1), len(s2)
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and s1[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = _expand_last(x2)
        else:
            x1 = _squeeze_last(x1)
    elif r2 == r1 + 1 and s2[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = _expand_last(x1)
        else:
            x2 = _squeeze_last(x2)
    return x1, x2


def convert_pair(y_true, y_pred, dtype=None, cast_true=True):
    """`y_pred` as a float Tensor and `y_true` in its dtype (no copies when already right).

    With `dtype=None`, float Tensors keep their dtype (float64 stays float64 for gradient
    checks), except half-precision ones (a mixed_float16 model's outputs), which become floatx
    so the loss is computed in float32 as in Keras; anything else becomes floatx. An explicit
    `dtype` casts both, as Keras does.
    `cast_true=False` leaves `y_true` alone (integer labels).
    """
    if isinstance(y_pred, Tensor):
        kind = y_pred.data.dtype.kind
        if ((dtype is not None and y_pred.data.dtype != dtype) or kind != "f"
                or (dtype is None and y_pred.data.dtype.itemsize < 4 and dtypes.floatx() != "float16")):
            y_pred = core.cast(y_pred, dtype or dtypes.floatx())
    else:
        y_pred = Tensor(np.asarray(y_pred, dtype=dtype or dtypes.floatx()))
    if not cast_true or y_true is None:
        return y_true, y_pred
    dt = y_pred.data.dtype
    if isinstance(y_true, Tensor):
        if y_true.data.dtype != dt:
            y_true = core.cast(y_true, dt) if node_of(y_true) is not None else y_true.data.astype(dt)
    else:
        y_true = np.asarray(y_true)
        if y_true.dtype != dt:
            y_true = y_true.astype(dt)
    return y_true, y_pred


def prepare(y_true, y_pred):
    """Convert and rank-align a (y_true, y_pred) pair, as every Keras loss function does."""
    y_true, y_pred = convert_pair(y_true, y_pred)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


# --- weighting and reduction ------------------------------------------------------------


def _as_weights(w, dt):
    w = w.data if isinstance(w, Tensor) else w
    w = np.asarray(w)
    return w if w.dtype == dt else w.astype(dt)


def _align_weights(values_shape, w):
    """Squeeze/expand `w` to the losses' rank, then add trailing axes (per-sample weights)."""
    rv, rw = len(values_shape), w.ndim
    if rv == rw + 1 and values_shape[-1] == 1:
        w = w[..., None] if rw == 1 else w  # (n,) weights for (n, 1) losses
    elif rw == rv + 1 and w.shape[-1] == 1:
        w = w[..., 0]
    if 0 < w.ndim < rv:  # (batch,) weights for (batch, time) losses: weight each sample
        w = w.reshape(w.shape + (1,) * (rv - w.ndim))
    return w


def apply_mask(sample_weight, mask, dtype, reduction):
    """Merge a boolean mask into the sample weights (Keras's `apply_mask`)."""
    if mask is None:
        return sample_weight
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask).astype(dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = mask.sum()
        mask *= mask.size / valid if valid else 0.0
    if sample_weight is None:
        return mask
    return _align_weights(mask.shape, _as_weights(sample_weight, dtype)) * mask


def _weighted_reduce(values, weights, reduction):
    """sum(values * weights) / divisor as one recorded op (weights are constants)."""
    v = values.data
    if weights is None:
        total, count, w_sum = v.sum(), v.size, None
    else:
        prod = v * weights
        total, count, w_sum = prod.sum(), prod.size, weights.sum()
    if reduction == "sum":
        scale = 1.0
    elif reduction == "mean_with_sample_weight" and w_sum is not None:
        scale = 1.0 / float(w_sum) if w_sum else 0.0  # divide_no_nan
    else:
        scale = 1.0 / count if count else 0.0
    out = np.asarray(total * scale, dtype=v.dtype)

    def backward(g, need):
        gv = g * scale if weights is None else (g * scale) * weights
        if gv.shape != v.shape:
            gv = np.broadcast_to(gv, np.broadcast_shapes(gv.shape, v.shape))
        return (gv,)

    return record(out, (values,), backward)


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size"):
    """Weight per-sample `values` (a Tensor) by `sample_weight` and `mask`, then reduce."""
    if not isinstance(values, Tensor):
        values = core.convert_to_tensor(values)
    dt = values.data.dtype
    sample_weight = apply_mask(sample_weight, mask, dt, reduction)
    if sample_weight is not None:
        sample_weight = _align_weights(values.data.shape, _as_weights(sample_weight, dt))
    if reduction is None or reduction == "none":
        return values if sample_weight is None else math.multiply(values, sample_weight)
    if sample_weight is None and values.data.shape in ((), (0,)):
        return values
    return _weighted_reduce(values, sample_weight, reduction)


def _mask_array(m):
    return np.asarray(m.data if isinstance(m, Tensor) else m)


# --- the base class ---------------------------------------------------------------------


class Loss:
    """Base class of losses: subclasses implement `call(y_true, y_pred)` -> per-sample losses.

    `loss(y_true, y_pred, sample_weight=None)` returns a scalar Tensor (or the weighted
    per-sample losses with `reduction="none"`). `dtype=None` computes in the dtype of a
    float `y_pred` Tensor (floatx for NumPy inputs); an explicit `dtype` casts both inputs.
    """

    _cast_true = True  # False for integer-label losses

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype_arg = None if dtype is None else dtypes.standardize(dtype)

    @property
    def dtype(self):
        return self._dtype_arg or dtypes.floatx()

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_true, y_pred = convert_pair(y_true, y_pred, self._dtype_arg, self._cast_true)
        losses = self.call(y_true, y_pred)
        out_mask = getattr(losses, "_keras_mask", None)
        if in_mask is not None and out_mask is not None:
            mask = np.logical_and(_mask_array(in_mask), _mask_array(out_mask))
        else:
            mask = in_mask if out_mask is None else out_mask
        return reduce_weighted_values(losses, sample_weight, mask, self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(y_true, y_pred) returning per-sample losses"
        )

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, reduction={self.reduction}>"


class LossFunctionWrapper(Loss):
    """A `Loss` around a function `fn(y_true, y_pred, **kwargs)` returning per-sample losses."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs
        if type(self) is not LossFunctionWrapper:  # built-in classes: loss.from_logits, ...
            for key, value in kwargs.items():
                setattr(self, key, value)
        # lamina's built-in loss functions align ranks themselves; user functions may not
        self._align = not getattr(fn, "_lamina_aligns_ranks", False)

    def call(self, y_true, y_pred):
        if self._align and y_true is not None:
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        """name, reduction and the function's arguments (and the function's name for a bare
        wrapper; a built-in subclass fixes its own function, as Keras's configs)."""
        config = super().get_config()
        if type(self) is LossFunctionWrapper:
            config["fn"] = getattr(self.fn, "__name__", repr(self.fn))
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        if cls is not LossFunctionWrapper:  # built-in subclasses fix their own function
            return cls(**config)
        config = dict(config)
        fn = config.pop("fn", None)
        if isinstance(fn, str):
            from lamina.losses import get  # noqa: PLC0415  (the registry imports this module)

            fn = get(fn)
        return cls(fn, **config)

    def __repr__(self):
        if type(self) is not LossFunctionWrapper:
            return super().__repr__()
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


def builtin(fn):
    """Mark a lamina loss function as aligning ranks itself (the wrapper then skips it)."""
    fn._lamina_aligns_ranks = True
    return fn


def mean_last(x, axis=-1):
    """Differentiable mean over one axis (default the last), a view when that axis has size 1."""
    a = x.data if isinstance(x, Tensor) else np.asarray(x)
    if a.ndim == 0:
        return x if isinstance(x, Tensor) else Tensor(a)
    n = a.shape[axis]
    if n == 1:
        out = a[..., 0] if axis in (-1, a.ndim - 1) else np.take(a, 0, axis=axis)
    else:
        out = a.mean(axis=axis)
    shape_in = a.shape
    return record(out, (x,), lambda g, need: (
        np.broadcast_to(np.expand_dims(g / n if n != 1 else g, axis), shape_in),))
