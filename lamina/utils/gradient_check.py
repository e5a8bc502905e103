"""Compare tape gradients with central finite differences (float64)."""
import numpy as np

from lamina.engine.tape import GradientTape
from lamina.engine.tensor import Tensor, Variable


def _scalar(fn, args, weights):
    out = fn(*args)
    return float(np.sum(np.asarray(out.data if isinstance(out, Tensor) else out, np.float64) * weights))


def check_gradients(fn, *inputs, eps=1e-5, seed=0, return_details=False):
    """Maximum relative error between autodiff and finite-difference gradients of `fn`.

    `inputs` are arrays (converted to float64, passed to `fn` as tensors) or Variables
    (perturbed in place; make them float64). The output is projected on fixed random
    weights, so every output element is checked (a plain sum would hide errors of ops such
    as softmax whose outputs sum to a constant). Each error is |a - n| / max(|a|, |n|, 1e-3).
    """
    rng = np.random.default_rng(seed)
    args = [x if isinstance(x, Variable) else Tensor(np.array(getattr(x, "data", x), np.float64, order="C")) for x in inputs]
    for a in args:
        if a.dtype != np.float64:
            raise TypeError(f"check_gradients needs float64 values, got {a.dtype} (variable {getattr(a, 'name', '')!r})")
    probe = fn(*args)
    weights = rng.standard_normal(np.shape(probe.data if isinstance(probe, Tensor) else probe))
    with GradientTape(persistent=True) as tape:
        tape.watch(args)
        out = fn(*args)
        target = out * weights if isinstance(out, Tensor) else None
    if target is None:
        raise TypeError(f"check_gradients: fn must return a lamina Tensor, got {type(out).__name__}")
    analytic = tape.gradient(target, args, unconnected_gradients="zero")
    worst, details = 0.0, []
    for arg, grad in zip(args, analytic):
        buf = arg.data
        numeric = np.zeros(buf.shape)
        flat = buf.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = _scalar(fn, args, weights)
            flat[i] = old - eps
            down = _scalar(fn, args, weights)
            flat[i] = old
            numeric.reshape(-1)[i] = (up - down) / (2 * eps)
        a = np.asarray(grad.data, np.float64)
        err = np.abs(a - numeric) / np.maximum(np.maximum(np.abs(a), np.abs(numeric)), 1e-3)
        e = float(err.max()) if err.size else 0.0
        details.append((a, numeric, e))
        worst = max(worst, e)
    return (worst, details) if return_details else worst
