"""PearsonCorrelation and ConcordanceCorrelation against values computed by Keras 3.15."""

import numpy as np

from lamina import metrics
from lamina.utils import check_gradients

rng = np.random.default_rng(1)
T = rng.standard_normal((4, 6)).astype(np.float32)
P = (T * 0.7 + rng.standard_normal((4, 6)) * 0.5).astype(np.float32)


def test_correlation_metrics_match_keras():
    np.testing.assert_allclose(
        metrics.pearson_correlation(T, P).data,
        [0.6377694, -0.2715687, 0.699356, 0.9440448],
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        metrics.concordance_correlation(T, P).data,
        [0.525442, -0.22218227, 0.59048456, 0.8754284],
        rtol=1e-5,
    )
    for cls, expected in (
        (metrics.PearsonCorrelation, 0.395967036485672),
        (metrics.ConcordanceCorrelation, 0.3470466136932373),
    ):
        m = cls()
        m.update_state(T, P)
        m.update_state(T[:2], P[:2] * 2)
        assert np.isclose(float(m.result()), expected, rtol=1e-5), cls.__name__
        config = m.get_config()
        assert config == {"name": m.name, "dtype": "float32", "axis": -1}
        assert isinstance(metrics.get(cls.__name__), cls)
    assert metrics.get("pearson_correlation") is not None


def test_correlation_gradients():
    t = T.astype(np.float64)
    assert check_gradients(lambda p: metrics.pearson_correlation(t, p), P.astype(np.float64)) < 1e-6
    assert (
        check_gradients(lambda p: metrics.concordance_correlation(t, p), P.astype(np.float64))
        < 1e-6
    )
