"""Checks run once before training or evaluation, so nothing is trained on garbage.

Each error says what is wrong, where, and the likely fix. The activation/loss check warns
(once per model and loss) with the standard pairs from the course:
binary -> sigmoid + binary_crossentropy; single-label multiclass -> softmax + categorical
crossentropy; multilabel -> sigmoid + binary_crossentropy; regression -> no activation + mse.
"""
import warnings

import numpy as np

from lamina.engine import rowsplit, tree
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
        if np.isfinite(_sum(a)):
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


# From this size a sum runs in blocks of rows on two threads (memory-bound: a 1 GB dense IMDB
# matrix 122 -> 59 ms on a 2-vCPU AVX-512 Xeon, paid by every fit/evaluate call on it).
_PARALLEL_SUM_BYTES = 64 << 20


def _sum(a):
    """a.sum(), or the sum of its row blocks' sums for a big array (the same finiteness up to
    an overflow of the partial sums' total, which the caller's exact check then clears)."""
    if a.nbytes < _PARALLEL_SUM_BYTES or a.ndim == 0 or len(a) < 16:
        return a.sum()
    step = -(-len(a) // 8)
    parts = rowsplit.run(lambda i: a[i:i + step].sum(), range(0, len(a), step))
    with np.errstate(over="ignore", invalid="ignore"):
        return np.sum(parts)


def check_features(model, x):
    """x's per-sample shape must match the model's input shape (None dims are free)."""
    expected = _model_input_shapes(model)
    if expected is None:
        return
    if isinstance(x, dict) and hasattr(model, "_flatten_inputs"):
        flat = model._flatten_inputs(x)  # by key, as the functional model reads them
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
_ONE_UNIT = ("the model has 1 output unit, and {loss} needs one unit per class (a softmax over "
             "one unit, or a renormalized single probability, is always 1): for two classes "
             "with 0/1 labels use loss='binary_crossentropy' and Dense(1, activation='sigmoid'); "
             "for k classes use Dense(k, activation='softmax')")


def check_targets(loss, y, n_out):
    """Labels must fit the loss: sparse -> integers in range, categorical -> one-hot rows."""
    if y is None or loss is None or isinstance(y, (list, tuple, dict)):
        return
    y = _arr(y)
    if is_sparse(y):
        return
    name = _loss_name(loss).replace(" ", "")
    from_logits = bool(getattr(loss, "from_logits", False))
    if name in _SPARSE + _CATEGORICAL and n_out == 1 and y.size and y.dtype.kind in "fiub" \
            and float(y.max()) > 0 and (y.ndim == 1 or y.shape[-1] == 1):
        raise ValueError(_ONE_UNIT.format(loss=_loss_label_of(name)))
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


def _loss_label_of(name):
    return "sparse_categorical_crossentropy" if name in _SPARSE else "categorical_crossentropy"


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
    if n_out == 1 and name in _CATEGORICAL + _SPARSE:
        problem = _ONE_UNIT.format(loss=_loss_label_of(name))
    elif act == "softmax" and n_out == 1:
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


# --- the arguments of fit / evaluate / predict, checked before any step -------------------


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def resolve_verbose(verbose):
    """`verbose` of fit/evaluate/predict as 0, 1 or 2 ("auto": 1)."""
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


def check_batch_size(batch_size, what="batch_size"):
    if batch_size is not None and (not _is_int(batch_size) or batch_size <= 0):
        raise ValueError(
            f"{what} must be a positive integer (or None for the default 32), got {batch_size!r}"
        )


def check_fit_args(batch_size, epochs, initial_epoch, validation_freq, validation_batch_size,
                   shuffle):
    """The scalar arguments of `fit`; returns `shuffle` as True, False or "batch"."""
    check_batch_size(batch_size)
    check_batch_size(validation_batch_size, "validation_batch_size")
    for name, v in (("epochs", epochs), ("initial_epoch", initial_epoch)):
        if not _is_int(v) or v < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {v!r}; e.g. {name}=10")
    freqs = [validation_freq] if _is_int(validation_freq) else validation_freq
    try:
        ok = all(_is_int(f) and f > 0 for f in freqs)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(
            "validation_freq must be a positive integer (validate every n epochs) or a list of "
            f"epoch numbers (1-based), got {validation_freq!r}"
        )
    if isinstance(shuffle, str):
        if shuffle != "batch":
            raise ValueError(f"shuffle must be True, False or 'batch', got {shuffle!r}")
        return shuffle
    return bool(shuffle)  # any truthy value shuffles, as in Keras (np.True_, 1)


def check_python_lists(value, what):
    """A Python list of numbers (or of lists) is refused with the fix; lists of arrays (one
    per input or output) pass. Keras 3 refuses them too ("Unrecognized data type")."""
    if not isinstance(value, (list, tuple)) or not value:
        return
    leaves = tree.flatten(value)
    scalars = [v for v in leaves if isinstance(v, (int, float, complex, str, bytes, np.generic))]
    if not scalars:
        return
    kind = "list of lists" if any(isinstance(v, (list, tuple)) for v in value) else "list"
    name = what.split()[0]
    dtype = "" if isinstance(scalars[0], (str, bytes)) else ", dtype='float32'"
    raise TypeError(
        f"{what} is a Python {kind} ({len(value)} items, the first {_short(value[0])}): convert it "
        f"to a NumPy array first, e.g. {name} = np.array({name}{dtype}). A list is read as one "
        "array per model input (or output)."
    )


def _short(v):
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def check_sample_weight(sample_weight, y):
    """NaN/inf and shapes: one weight per sample, (n,) or (n, 1), or per timestep y.shape[:k]."""
    if sample_weight is None:
        return
    sw = np.asarray(_arr(sample_weight))
    if sw.dtype.kind not in "fiub":
        raise TypeError(f"sample_weight must hold numbers, got an array of dtype {sw.dtype}")
    check_array(sw, "sample_weight")
    y = _arr(y)
    if sw.ndim < 2 or not isinstance(y, np.ndarray):
        return
    per_sample = all(d == 1 for d in sw.shape[1:])
    per_step = sw.shape == y.shape[:sw.ndim]  # e.g. (n, timesteps) weights for sequence labels
    if not (per_sample or per_step):
        raise ValueError(
            f"sample_weight has shape {sw.shape} but y has shape {y.shape}: give one weight per "
            f"sample, a 1-D array of shape ({sw.shape[0]},)"
        )


def check_class_weight(class_weight):
    if class_weight is None:
        return
    if not isinstance(class_weight, dict):
        raise TypeError(
            f"class_weight must be a dict {{class index: weight}}, got {type(class_weight).__name__}"
        )
    for k, w in class_weight.items():
        try:
            ok = np.isfinite(float(w))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"class_weight[{k!r}] is {w!r}: every class weight must be a finite number")


def check_validation_data(validation_data):
    """`validation_data` must be (x_val, y_val[, sample_weight]) or a dataset/generator."""
    v = validation_data
    if isinstance(v, np.ndarray) or isinstance(v, Tensor) or hasattr(v, "nnz"):
        raise ValueError(
            f"validation_data is a single array of shape {tuple(v.shape)}: pass the targets too, "
            "validation_data=(x_val, y_val)"
        )
    if isinstance(v, (list, tuple)) and not 2 <= len(v) <= 3:
        raise ValueError(
            f"validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight), got a "
            f"{type(v).__name__} of {len(v)} item(s)"
        )
    if isinstance(v, (list, tuple)):
        check_python_lists(v[0], "x_val in validation_data")
        check_python_lists(v[1], "y_val in validation_data")


def check_targets_given(data, loss, what):
    """Arrays without targets cannot be scored by the compiled `loss` (call this only when the
    step is the built-in one: a custom step or loss may not need targets, e.g. an autoencoder)."""
    if loss is None or not hasattr(data, "x") or data.y is not None:
        return
    raise ValueError(
        f"{what}: y is None but the model was compiled with loss={_loss_label(loss)}, which "
        "compares predictions with targets: pass them, e.g. model.fit(x, y) or "
        "validation_data=(x_val, y_val)"
    )


def _loss_label(loss):
    return repr(loss) if isinstance(loss, str) else type(loss).__name__


def check_value_kinds(a, what, model=None):
    """Strings and complex numbers are refused with the fix (string features pass when the
    model starts with a text-preprocessing layer that takes them)."""
    a = _arr(a)
    kind = getattr(getattr(a, "dtype", None), "kind", None)
    if kind == "c":
        raise TypeError(
            f"{what} holds complex numbers (dtype {a.dtype}): the model takes real values; use "
            f"np.abs({what}) or the real and imaginary parts as separate features"
        )
    if kind in ("U", "S") or (kind == "O" and a.size and isinstance(a.flat[0], (str, bytes))):
        example = a.flat[0] if a.size else ""
        if what.startswith("y"):
            raise TypeError(
                f"{what} holds strings (such as {example!r}): the loss needs numbers; map the class "
                "names to integers, e.g. classes, y = np.unique(y, return_inverse=True), then use "
                "sparse_categorical_crossentropy"
            )
        if model is not None and not _takes_strings(model):
            raise TypeError(
                f"{what} holds strings (such as {example!r}, dtype {a.dtype}): the model's first "
                "layer needs numbers; encode the text first (layers.TextVectorization or "
                "layers.StringLookup as the model's first layer, or numbers via np.unique / one-hot)"
            )


def _takes_strings(model):
    from lamina.layers.preprocessing.data_layer import DataLayer  # noqa: PLC0415  (import time)

    inputs = getattr(model, "inputs", None) or []
    if any(str(getattr(t, "dtype", "")) in ("string", "object") for t in inputs):
        return True
    return any(isinstance(layer, DataLayer) for layer in getattr(model, "layers", []))


def check_arrays_given(x, y=None, sample_weight=None, class_weight=None):
    """What fit/evaluate/train_on_batch receive, before any conversion."""
    check_python_lists(x, "x")
    check_python_lists(y, "y")
    check_sample_weight(sample_weight, y if isinstance(y, np.ndarray) else None)
    check_class_weight(class_weight)
