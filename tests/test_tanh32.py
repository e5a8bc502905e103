"""lamina's float32 tanh for recurrent steps (lamina/kernels/tanh32.py, C in _native/_rnn.c):
close to tanh, bitwise equal to its NumPy twin, special values kept."""
import numpy as np
import pytest

from lamina import _native
from lamina.kernels import tanh32 as T
from tests.helpers import use_native

needs_kernels = pytest.mark.skipif(_native.rnn is None, reason="the C extension is not built")
SPECIALS = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-38, 1e-45, 9.0, -9.0,
                     8.999999, 20.0, -1e30, 3.4e38], np.float32)


def values():
    rng = np.random.default_rng(0)
    dense = np.linspace(-12, 12, 400_001, dtype=np.float32)
    tiny = np.float32(10) ** rng.uniform(-40, 1, 100_000).astype(np.float32)
    return np.concatenate([dense, tiny, -tiny, rng.standard_normal(10_000).astype(np.float32), SPECIALS])


def test_within_six_ulp_of_tanh():
    x = values()
    got = T.tanh32_numpy(x, np.empty_like(x))
    exact = np.tanh(x.astype(np.float64))
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    finite = ~np.isnan(x)
    err = np.abs(got[finite] - exact[finite]) / ulp[finite]
    assert err.max() <= 6 and err.mean() < 1.0
    assert np.abs(got[finite]).max() <= 1.0


def test_special_values():
    got = T.tanh32_numpy(SPECIALS, np.empty_like(SPECIALS))
    assert np.isnan(got[:2]).all()
    np.testing.assert_array_equal(got[2:4], [1.0, -1.0])
    assert got[4] == 0 and not np.signbit(got[4]) and got[5] == 0 and np.signbit(got[5])  # signed zeros
    np.testing.assert_array_equal(got[6:9], SPECIALS[6:9])  # tanh(x) = x for tiny x
    np.testing.assert_array_equal(got[-3:], [1.0, -1.0, 1.0])


@needs_kernels
def test_compiled_is_bitwise_the_numpy_twin():
    x = values()
    c = T.tanh32(x, np.empty_like(x))
    np.testing.assert_array_equal(c.view(np.uint32), T.tanh32_numpy(x, np.empty_like(x)).view(np.uint32))
    y = x.copy()
    T.tanh32(y, y)  # in place
    np.testing.assert_array_equal(y.view(np.uint32), c.view(np.uint32))


@pytest.mark.parametrize("native", [True, False])
def test_columns_in_place(native, monkeypatch):
    use_native(monkeypatch, "rnn", native)
    a = np.random.default_rng(1).standard_normal((7, 12)).astype(np.float32) * 4
    want = a.copy()
    want[:, 3:8] = T.tanh32_numpy(a[:, 3:8], np.empty((7, 5), np.float32))
    T.tanh32_cols(a, 3, 8)
    np.testing.assert_array_equal(a.view(np.uint32), want.view(np.uint32))


@needs_kernels
def test_kernel_errors_name_the_argument():
    with pytest.raises(ValueError, match="tanh32: out has 3 elements, x 4"):
        _native.rnn.tanh32(np.zeros(4, np.float32), np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="tanh32: x must be a C-contiguous float32"):
        _native.rnn.tanh32(np.zeros(4), np.zeros(4, np.float32))
    with pytest.raises(ValueError, match=r"tanh32_cols: columns \[2, 9\) outside 0..5"):
        _native.rnn.tanh32_cols(np.zeros((3, 5), np.float32), 2, 9)
