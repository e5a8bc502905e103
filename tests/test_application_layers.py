"""The layers keras.applications models use that are not public keras.layers names:
ConvNeXt's LayerScale and StochasticDepth, Inception-ResNet's CustomScaleLayer (registered
under Keras's names so saved models load)."""
import numpy as np
import pytest

import lamina
from lamina import registry
from lamina.layers.core.layer_scale import LayerScale
from lamina.layers.merging.custom_scale import CustomScaleLayer
from lamina.layers.regularization.stochastic_depth import StochasticDepth
from lamina.utils import check_gradients
from tests.helpers.layer_test import run_layer_test


def test_layer_scale():
    layer = run_layer_test(LayerScale, {"init_values": 0.5, "projection_dim": 4}, (2, 3, 4),
                           expected_output_shape=(2, 3, 4), expected_num_trainable_weights=1,
                           expected_num_non_trainable_weights=0, expected_num_params=4)
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_allclose(np.asarray(LayerScale(0.5, 4)(x)), 0.5 * x)
    assert layer.get_config()["init_values"] == 0.5
    with pytest.raises(ValueError, match="projection_dim"):
        LayerScale(1e-6, 5)(x)


def test_stochastic_depth_drops_whole_samples_in_training_only():
    run_layer_test(StochasticDepth, {"drop_path_rate": 0.25}, (2, 3, 4), expected_output_shape=(2, 3, 4),
                   expected_num_params=0)
    x = np.ones((2000, 3, 2), "float32")
    lamina.utils.set_random_seed(0)
    y = np.asarray(StochasticDepth(0.25)(x, training=True))
    per_sample = y.reshape(2000, -1)
    assert set(np.unique(per_sample.std(axis=1))) == {0.0}  # all of a sample kept or all dropped
    kept = per_sample[:, 0] > 0
    np.testing.assert_allclose(per_sample[kept], 1 / 0.75, rtol=1e-6)
    assert abs(kept.mean() - 0.75) < 0.03
    np.testing.assert_array_equal(np.asarray(StochasticDepth(0.25)(x, training=False)), x)
    with pytest.raises(ValueError, match="drop_path_rate"):
        StochasticDepth(1.5)


def test_custom_scale_layer_value_and_gradients():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    np.testing.assert_allclose(np.asarray(CustomScaleLayer(0.17)([a, b])), a + 0.17 * b, rtol=1e-6, atol=1e-7)
    layer = CustomScaleLayer(0.17, dtype="float64")
    np.testing.assert_allclose(np.asarray(layer([a, b])), a + 0.17 * b, rtol=1e-12)
    assert check_gradients(lambda x, r: layer([x, r]), a, b) < 1e-6
    inputs = [lamina.Input((3, 4)), lamina.Input((3, 4))]
    assert CustomScaleLayer(0.1)(inputs).shape == (None, 3, 4)
    with pytest.raises(ValueError, match="list"):
        layer(a)


def test_registered_under_keras_names_and_module():
    for name, cls in [("LayerScale", LayerScale), ("StochasticDepth", StochasticDepth),
                      ("CustomScaleLayer", CustomScaleLayer)]:
        assert registry.resolve(name, module="keras.src.applications.convnext") is cls
    config = lamina.layers.serialize(LayerScale(1e-6, 8, name="ls"))
    assert config["module"] == "keras.src.applications.convnext" and config["class_name"] == "LayerScale"
    again = lamina.layers.deserialize(config)
    assert isinstance(again, LayerScale) and again.projection_dim == 8
