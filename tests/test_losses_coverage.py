"""Circle and CategoricalGeneralizedCrossEntropy: values computed by Keras 3.15, configs,
gradients."""

import numpy as np

from lamina import losses
from lamina.utils import check_gradients

rng = np.random.default_rng(0)
EMB = rng.standard_normal((6, 4))
EMB /= np.linalg.norm(EMB, axis=1, keepdims=True)
LABELS = np.array([0, 1, 0, 2, 1, 0])


def _v(t):
    return np.asarray(t.data)


def test_circle_matches_keras():
    per_sample = _v(losses.circle(LABELS, EMB.astype(np.float32)))
    np.testing.assert_allclose(
        per_sample,
        [2.0709792e02, 1.8124477e01, 1.8219003e02, 0.0, 2.4977943e-04, 1.7013095e02],
        rtol=2e-5,
        atol=1e-6,
    )
    # the sample alone in its class has no positive pair: masked out of the mean, as Keras
    assert np.isclose(
        float(_v(losses.Circle()(LABELS, EMB.astype(np.float32)))), 115.50872802734375, rtol=1e-5
    )
    assert np.isclose(
        float(_v(losses.Circle(gamma=10, margin=0.25)(LABELS, EMB.astype(np.float32)))),
        16.59982681274414,
        rtol=1e-5,
    )
    config = losses.Circle().get_config()
    assert config == {
        "name": "circle",
        "reduction": "sum_over_batch_size",
        "gamma": 80.0,
        "margin": 0.4,
        "remove_diagonal": True,
    }
    assert losses.Circle.from_config(config).get_config() == config
    assert isinstance(losses.get("Circle"), losses.Circle)
    assert check_gradients(lambda e: losses.circle(LABELS, e, gamma=2.0), EMB) < 1e-6


def test_generalized_cross_entropy_matches_keras():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], np.float32)
    loss = losses.CategoricalGeneralizedCrossEntropy(q=0.3)
    assert np.isclose(float(_v(loss(np.array([0, 2]), p))), 0.4059322476387024, rtol=1e-6)
    assert losses.CategoricalGeneralizedCrossEntropy().get_config() == {
        "name": "categorical_generalized_cross_entropy",
        "reduction": "sum_over_batch_size",
        "q": 0.5,
    }
    assert (
        check_gradients(
            lambda y: losses.categorical_generalized_cross_entropy(np.array([0, 2]), y, 0.3),
            p.astype(np.float64),
        )
        < 1e-6
    )
