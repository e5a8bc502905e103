"""keras.random.categorical / gamma / beta / binomial: shapes, dtypes, seeding and moments."""

import numpy as np
import pytest

from lamina import random


def _v(t):
    return np.asarray(t.data)


def test_categorical_frequencies_follow_softmax_of_logits():
    logits = np.log(np.array([[0.1, 0.6, 0.3], [0.8, 0.1, 0.1]]))
    draws = _v(random.categorical(logits, 20000, seed=1))
    assert draws.shape == (2, 20000) and draws.dtype == np.int32
    freq = np.stack([np.bincount(row, minlength=3) / 20000 for row in draws])
    np.testing.assert_allclose(freq, np.exp(logits), atol=0.015)
    np.testing.assert_array_equal(draws, _v(random.categorical(logits, 20000, seed=1)))  # seeded
    with pytest.raises(ValueError, match="2-D"):
        random.categorical(np.zeros(3), 2)


def test_gamma_beta_binomial_moments():
    g = _v(random.gamma((40000,), alpha=3.0, seed=2))
    assert g.dtype == np.float32
    assert abs(g.mean() - 3.0) < 0.05 and abs(g.var() - 3.0) < 0.15
    b = _v(random.beta((40000,), alpha=2.0, beta=5.0, seed=3))
    assert abs(b.mean() - 2 / 7) < 0.01 and b.min() >= 0 and b.max() <= 1
    n = _v(random.binomial((40000,), counts=10, probabilities=0.3, seed=4, dtype="float32"))
    assert abs(n.mean() - 3.0) < 0.05 and abs(n.var() - 2.1) < 0.1
    assert set(np.unique(n)) <= set(range(11))
    with pytest.raises(ValueError, match="alpha"):
        random.gamma((2,), alpha=0.0)
