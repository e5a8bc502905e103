"""Checks run once before training or evaluation, so nothing is trained on garbage.

Each error says what is wrong, where, and the likely fix. The activation/loss check warns
(once per model and loss) with the standard pairs from the course:
binary -> sigmoid + binary_crossentropy; single-label multiclass -> softmax + categorical
crossentropy; multilabel -> sigmoid + binary_crossentropy; regression -> no activation + mse.
"""
import warnings

import numpy as np

from lamina.engine import tree
from lamina.engine.sparse import is_sparse
from lamina.engine.tensor import Tensor


def _arr(a):
    return a.data if isinstance(a, Tensor) else a


def check_array(a, what):
    """Object arrays, and NaN/inf values (with their location), are refused."""
    a = _arr(a)
    if a is None:
        return
    if is_sparse(a):
        data = a.data
        if data.dtype.kind == "f" and not np.isfinite(data).all():
            raise ValueError(f"{what} (a sparse matrix) contains NaN or inf values; clean the data first")
        return
    if a.dtype == object:
        raise TypeError(
            f"{what} is an object array (e.g. lists of different lengths, such as raw IMDB reviews "
            "of word indices): turn it into numbers first, with lamina.utils.multi_hot(x, num_tokens) "
            "or lamina.utils.pad_sequences(x, maxlen)"
        )
    if a.dtype.kind in "fc":
        if np.isfinite(a.sum()):
            return  # a finite sum means no NaN/inf (cheaper than a full boolean mask)
        finite = np.isfinite(a)
        if not finite.all():
            where = tuple(int(i) for i in np.argwhere(~finite)[0])
            kind = "NaN" if np.isnan(a[where]) else "inf"
            count = int((~finite).sum())
            raise ValueError(
                f"{what} contains {count} NaN/inf value(s); the first is {kind} at index {where}. "
                "Replace missing values (e.g. lamina.preprocessing.fill_missing(x)) before training"
            )


def check_features(model, x):
    """x's per-sample shape must match the model's input shape (None dims are free)."""
    expected = _model_input_shapes(model)
    if expected is None:
        return
    names = getattr(model, "input_names", None)
    if isinstance(x, dict) and names and all(n in x for n in names):
        flat = [x[n] for n in names]  # inputs given by their Input names
    else:
        flat = tree.flatten(x)
    if len(flat) != len(expected):
        raise ValueError(
            f"model {model.name!r} has {len(expected)} input(s) but got {len(flat)} array(s) in x"
        )
    for a, exp in zip(flat, expected):
        shape = tuple(_arr(a).shape)
        ok = len(shape) == len(exp) and all(e is None or e == s for e, s in zip(exp[1:], shape[1:]))
        if not ok:
            raise ValueError(_feature_error(model, exp, shape))


def _model_input_shapes(model):
    inputs = getattr(model, "inputs", None)
    if not model.built or not inputs:
        return None
    return [t.shape for t in inputs]


def _feature_error(model, expected, shape):
    msg = f"model {model.name!r} expects inputs of shape {tuple(expected)}, got {shape}"
    want = int(np.prod([d for d in expected[1:] if d is not None])) if all(d is not None for d in expected[1:]) else None
    got = int(np.prod(shape[1:])) if len(shape) > 1 else None
    if len(shape) > len(expected) and want == got:
        return msg + (f": flatten or reshape the samples, e.g. x.reshape(len(x), {want}), "
                      "or start the model with layers.Flatten()")
    if len(shape) + 1 == len(expected) and shape[1:] == tuple(expected[1:-1]) and expected[-1] == 1:
        return msg + f": add the channel axis, e.g. x.reshape(-1, {', '.join(str(d) for d in expected[1:])})"
    if len(shape) == len(expected):
        return msg + ": the number of features differs from what the model was built for; check the columns"
    return msg + ": reshape the data to the model's input shape"


def _loss_name(loss):
    if isinstance(loss, str):
        return loss.lower()
    fn = getattr(loss, "fn", None)
    name = getattr(fn, "__name__", None) or getattr(loss, "name", None) or getattr(loss, "__name__", "")
    return str(name).lower()


_SPARSE = ("sparse_categorical_crossentropy", "sparsecategoricalcrossentropy")
_CATEGORICAL = ("categorical_crossentropy", "categoricalcrossentropy")
_BINARY = ("binary_crossentropy", "binarycrossentropy")


def check_targets(loss, y, n_out):
    """Labels must fit the loss: sparse -> integers in range, categorical -> one-hot rows."""
    if y is None or loss is None or isinstance(y, (list, tuple, dict)):
        return
    y = _arr(y)
    if is_sparse(y):
        return
    name = _loss_name(loss).replace(" ", "")
    from_logits = bool(getattr(loss, "from_logits", False))
    if name in _SPARSE:
        if y.ndim >= 2 and y.shape[-1] > 1 and (n_out is None or y.shape[-1] == n_out):
            raise ValueError(
                f"sparse_categorical_crossentropy expects integer class labels of shape (n,), but y "
                f"has shape {y.shape}, which looks one-hot encoded: use loss='categorical_crossentropy' "
                "or convert the labels back with y.argmax(axis=-1)"
            )
        if y.dtype.kind == "f" and np.any(y != np.round(y)):
            raise ValueError("sparse_categorical_crossentropy expects integer class labels, got fractions")
        if n_out is not None and y.size:
            lo, hi = y.min(), y.max()
            if lo < 0 or hi >= n_out:
                bad = hi if hi >= n_out else lo
                raise ValueError(
                    f"label {int(bad)} is out of range for a model with {n_out} output units "
                    f"(labels must be in [0, {n_out - 1}]): give the last layer as many units as there "
                    "are classes"
                )
    elif name in _CATEGORICAL:
        if y.ndim == 1 or (y.ndim == 2 and y.shape[-1] == 1 and (n_out or 0) > 1):
            raise ValueError(
                f"categorical_crossentropy expects one-hot targets of shape (n, {n_out or 'classes'}), "
                f"but y has shape {y.shape} (integer labels): use loss='sparse_categorical_crossentropy', "
                "or one-hot encode with lamina.utils.to_categorical(y)"
            )
        if n_out is not None and y.shape[-1] != n_out:
            raise ValueError(
                f"categorical_crossentropy: targets have {y.shape[-1]} columns but the model has "
                f"{n_out} output units"
            )
    elif name in _BINARY and not from_logits and y.size and y.dtype.kind in "fiub":
        lo, hi = float(y.min()), float(y.max())
        if lo < 0 or hi > 1:
            raise ValueError(
                f"binary_crossentropy expects targets in [0, 1], got values from {lo} to {hi}; for "
                "several classes use sparse_categorical_crossentropy with a softmax output"
            )


def activation_name(fn):
    if fn is None:
        return None
    return getattr(fn, "__name__", None) or type(fn).__name__.lower()


def warn_activation_loss(model, loss, n_out):
    """Warn once when the output activation and the loss do not go together."""
    act = activation_name(getattr(model, "_output_activation", None))
    name = _loss_name(loss)
    from_logits = bool(getattr(loss, "from_logits", False))
    key = (act, name, n_out, from_logits)
    seen = model.__dict__.setdefault("_warned_pairs", set())
    if key in seen:
        return
    seen.add(key)
    table = ("binary: sigmoid + binary_crossentropy; single-label multiclass: softmax + "
             "categorical_crossentropy (or sparse_categorical_crossentropy for integer labels); "
             "multilabel: sigmoid + binary_crossentropy; regression: no activation + mse")
    problem = None
    if act == "softmax" and n_out == 1:
        problem = "a softmax over one unit always outputs 1.0, so nothing can be learned"
    elif act == "sigmoid" and name in _CATEGORICAL + _SPARSE and (n_out or 0) > 1:
        problem = (f"a sigmoid output with {name}: the outputs do not sum to 1; use softmax for "
                   "single-label classes")
    elif act == "softmax" and name in _BINARY:
        problem = ("a softmax output with binary_crossentropy: for one binary target use "
                   "Dense(1, activation='sigmoid'); for several independent labels use sigmoid")
    elif act in (None, "linear") and name in _CATEGORICAL + _SPARSE + _BINARY and not from_logits:
        problem = (f"the last layer has no activation but {name} expects probabilities: add "
                   "activation='softmax'/'sigmoid', or pass from_logits=True to the loss")
    elif act in ("softmax", "sigmoid") and from_logits:
        problem = f"from_logits=True but the last layer applies {act}: its outputs are not logits"
    elif act in ("softmax", "sigmoid", "relu") and name in ("mse", "mean_squared_error", "mae", "mean_absolute_error") and act != "sigmoid":
        problem = (f"a {act} output with {name}: for regression the course uses no activation on the "
                   "last layer")
    if problem:
        warnings.warn(f"{problem}. Recommended pairs: {table}.", UserWarning, stacklevel=4)
