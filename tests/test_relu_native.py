"""ops.relu's backward uses the compiled relu_mask for float32: bitwise g * (x > 0)."""
import numpy as np
import pytest

from lamina import _native, ops
from lamina.engine.tape import GradientTape
from lamina.engine.tensor import Variable


@pytest.mark.parametrize("native", [True, False])
def test_relu_gradient_is_bitwise_g_times_positive(native, monkeypatch):
    if not native:
        monkeypatch.setattr(_native, "conv", None)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4, 5)).astype(np.float32)
    a[0, 0, :2], a[0, 1, 0], a[1, 1, 1] = 0.0, -0.0, np.nan
    g = rng.standard_normal((3, 4, 5)).astype(np.float32)
    g[2, 2, 2], g[2, 1, 1], g[0, 0, 0] = np.nan, np.inf, -1.5
    x = Variable(a)
    with GradientTape():
        y = ops.relu(x)
    (gx,) = y._node.backward(g, (True,))
    want = np.multiply(g, a > 0)
    assert gx.dtype == np.float32
    np.testing.assert_array_equal(gx.view(np.uint8), want.view(np.uint8))
    assert gx[0, 0, 0] == 0 and np.signbit(gx[0, 0, 0])  # -1.5 * 0 keeps the sign, as NumPy
