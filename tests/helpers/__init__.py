"""One helper for op tests: `check_op` checks an op's value and its gradient in one line.

    check_op(ops.exp, (3, 4), ref=np.exp)
    check_op(ops.add, (3, 1), (4,), ref=np.add)                 # broadcasting
    check_op(ops.log, (5,), ref=np.log, positive=True)          # domain x > 0
    check_op(ops.relu, (5,), ref=..., away_from=0.0)            # no input near the kink
    check_op(lambda x: ops.take(x, idx), (4, 3), ref=lambda a: np.take(a, idx))

Each argument is a shape (a tuple: random float64 inputs are drawn) or an array (used as
is, converted to float64). The forward value (float64) must match `ref` (a NumPy or
closed-form float64 transcription), the tape gradient must match central finite
differences (`lamina.utils.check_gradients`, max relative error < `tol`), and the op run
on float32 inputs must return float32 (no silent float64 upcast).
"""
import numpy as np

import lamina
from lamina.utils import check_gradients


def random_inputs(specs, seed=0, positive=False, away_from=None, low=None, high=None, margin=0.1):
    """float64 arrays for `specs` (shapes or arrays), optionally kept away from kinks."""
    rng = np.random.default_rng(seed)
    kinks = () if away_from is None else np.atleast_1d(away_from)
    out = []
    for spec in specs:
        if isinstance(spec, tuple):
            if low is not None:
                a = np.asarray(rng.uniform(low, high, spec))
            else:
                a = np.asarray(rng.standard_normal(spec))
                if positive:
                    a = np.abs(a) + 0.5
            for k in kinks:  # move values within `margin` of a kink to the side, 2 margins off
                close = np.abs(a - k) < margin
                a = np.where(close, k + np.where(a >= k, 2 * margin, -2 * margin), a)
        # C order: check_gradients perturbs inputs through a flat view (a copy if not C-contiguous)
        out.append(np.array(a if isinstance(spec, tuple) else spec, dtype=np.float64, order="C"))
    return out


def check_op(fn, *specs, ref=None, positive=False, away_from=None, low=None, high=None,
             tol=1e-6, grad=True, float32=True, seed=0, rtol=1e-10, atol=1e-12):
    """Check `fn`'s forward value against `ref` and its gradient against finite differences.

    Returns the float64 inputs used, for extra assertions.
    """
    arrays = random_inputs(specs, seed, positive, away_from, low, high)
    out = fn(*[lamina.Tensor(a.copy()) for a in arrays])
    assert isinstance(out, lamina.Tensor), f"op returned {type(out).__name__}, not a Tensor"
    if ref is not None:
        expected = np.asarray(ref(*[a.copy() for a in arrays]), dtype=np.float64)
        assert out.shape == expected.shape, f"shape {out.shape} != reference shape {expected.shape}"
        np.testing.assert_allclose(np.asarray(out.data, np.float64), expected, rtol=rtol, atol=atol)
    if grad:
        err = check_gradients(fn, *arrays)
        assert err < tol, f"gradient relative error {err:.3g} >= {tol:.1g}"
    if float32 and out.dtype.kind == "f":
        out32 = fn(*[lamina.Tensor(a.astype(np.float32)) for a in arrays])
        assert out32.dtype == np.float32, f"float32 inputs gave a {out32.dtype} result"
    return arrays


def use_native(monkeypatch, name, native):
    """Run a test on lamina's C kernels `lamina._native.<name>` (skipped when not built) or,
    with native=False, on their NumPy twins (the module set to None for the test)."""
    import pytest  # noqa: PLC0415 - helpers are imported by tests only

    from lamina import _native  # noqa: PLC0415

    if native and getattr(_native, name) is None:
        pytest.skip("the C extension is not built")
    if not native:
        monkeypatch.setattr(_native, name, None)
