"""AugMix, RandAugment, RandomElasticTransform, RandomErasing, RandomPerspective, RandomShear,
Equalization, CLAHE and MaxNumBoundingBoxes: Equalization and CLAHE equal Keras 3.15's
outputs (tests/data/keras_extra_reference.npz); the random layers are checked by the
properties of their transforms, identity at inference, seeds, gradients and configs."""
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.utils import check_gradients
from tests.fixtures.make_extra_reference import equalization_inputs
from tests.helpers.layer_test import run_layer_test

REF = np.load(Path(__file__).parent / "data" / "keras_extra_reference.npz")
EQ = equalization_inputs()
IMAGES = (np.random.default_rng(4).random((3, 12, 10, 3)) * 254 + 1).astype("float32")


def test_equalization_and_clahe_match_keras():
    L = layers
    cases = {
        "equalize_255": L.Equalization()(EQ["u8"], training=True),
        "equalize_unit_64": L.Equalization(value_range=(0, 1), bins=64)(EQ["unit"], training=True),
        "clahe_default": L.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(3, 2))(EQ["u8"]),
        "clahe_unit_noclip": L.ContrastLimitedAdaptiveHistogramEqualization(
            value_range=(0, 1), clip_limit=0.0, tile_grid_size=(4, 4))(EQ["unit"]),
        "clahe_first": L.ContrastLimitedAdaptiveHistogramEqualization(
            clip_limit=2.0, tile_grid_size=(2, 3), data_format="channels_first")(
                EQ["u8"].transpose(0, 3, 1, 2)),
    }
    for name, out in cases.items():
        np.testing.assert_allclose(out.numpy(), REF[name], rtol=1e-5, atol=1e-4, err_msg=name)
    # equalization spreads a 60-130 image over 0-255; identity at inference
    eq = L.Equalization()(EQ["u8"], training=True).numpy()
    assert eq.min() == 0 and eq.max() == 255
    np.testing.assert_array_equal(L.Equalization()(EQ["u8"], training=False).numpy(), EQ["u8"])


ALL_RANDOM = [
    (layers.RandomShear, {"x_factor": 0.3, "y_factor": 0.2, "seed": 1}),
    (layers.RandomPerspective, {"scale": 0.5, "seed": 1}),
    (layers.RandomElasticTransform, {"seed": 1}),
    (layers.RandomErasing, {"seed": 1}),
    (layers.RandAugment, {"seed": 1}),
    (layers.AugMix, {"seed": 1}),
]


@pytest.mark.parametrize("cls,kwargs", ALL_RANDOM)
def test_random_layers_identity_at_inference_and_seeded(cls, kwargs):
    layer = run_layer_test(cls, kwargs, input_shape=(2, 12, 10, 3), expected_output_shape=(2, 12, 10, 3),
                           expected_num_params=0, call_kwargs={"training": False})
    np.testing.assert_array_equal(layer(IMAGES, training=False).numpy(), IMAGES)
    a, b = cls(**kwargs)(IMAGES, training=True).numpy(), cls(**kwargs)(IMAGES, training=True).numpy()
    np.testing.assert_array_equal(a, b)  # the same seed, the same draws
    assert np.abs(a - IMAGES).max() > 1.0  # training changes the images
    model = lamina.Sequential([layers.Input((12, 10, 3)), cls(**kwargs)])
    np.testing.assert_allclose(model.predict(IMAGES, verbose=0), IMAGES, rtol=1e-6)
    config = cls(**kwargs).get_config()
    assert cls.from_config(config).get_config() == config


def test_random_shear_geometry_and_gradient():
    # x shear only: output (x, y) samples the input at (x + s y, y), so row 0 is unchanged
    out = layers.RandomShear(x_factor=0.4, fill_mode="constant", seed=3)(IMAGES, training=True).numpy()
    np.testing.assert_allclose(out[:, 0], IMAGES[:, 0], rtol=1e-5)
    assert np.abs(out[:, -1] - IMAGES[:, -1]).max() > 1.0
    err = check_gradients(lambda a: layers.RandomShear(0.3, 0.3, seed=2, dtype="float64")(a, training=True),
                          IMAGES[:1, :6, :5, :1] / 255.0)
    assert err < 1e-6


def test_random_perspective_keeps_the_origin_and_factor_zero():
    out = layers.RandomPerspective(factor=1.0, scale=1.0, seed=5)(IMAGES, training=True).numpy()
    np.testing.assert_allclose(out[:, 0, 0], IMAGES[:, 0, 0], rtol=1e-4)  # corner (0, 0) is fixed
    assert np.abs(out - IMAGES).max() > 1.0
    same = layers.RandomPerspective(factor=0.0, seed=5)(IMAGES, training=True).numpy()
    np.testing.assert_array_equal(same, IMAGES)
    with pytest.raises(ValueError, match="scale"):
        layers.RandomPerspective(scale=1.5)


def test_random_elastic_transform_range_and_gradient():
    out = layers.RandomElasticTransform(factor=1.0, value_range=(0, 200), seed=2)(IMAGES, training=True)
    assert out.numpy().max() <= 200 and out.numpy().min() >= 0
    np.testing.assert_array_equal(layers.RandomElasticTransform(factor=0.0)(IMAGES).numpy(), IMAGES)
    err = check_gradients(
        lambda a: layers.RandomElasticTransform(seed=4, dtype="float64")(a, training=True),
        IMAGES[:1, :8, :8, :1] / 255.0)
    assert err < 1e-6


def test_random_erasing_erases_one_box():
    out = layers.RandomErasing(factor=(1.0, 1.0), fill_value=0.0, seed=7)(IMAGES, training=True).numpy()
    for img in out:
        rows, cols = np.nonzero((img == 0).all(-1))
        assert rows.size > 0
        # the erased pixels form one axis-aligned box of area ratio within the scale range
        box = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
        assert box == rows.size
        assert 0.005 <= box / (12 * 10) <= 0.4
    noise = layers.RandomErasing(factor=(1.0, 1.0), value_range=(0, 255), seed=7)(IMAGES, training=True).numpy()
    assert noise.min() >= 0 and noise.max() <= 255
    with pytest.raises(ValueError, match="fill_value"):
        layers.RandomErasing(fill_value=(1, 2))


def test_policies_and_clahe_in_inference():
    out = layers.AugMix(value_range=(0, 255), seed=3)(IMAGES, training=True).numpy()
    assert out.min() >= 0 and out.max() <= 255
    assert len(layers.AugMix(all_ops=False)._layer_names) == 7
    assert len(layers.RandAugment()._layer_names) == 11
    np.testing.assert_array_equal(layers.RandAugment(num_ops=0)(IMAGES, training=True).numpy(), IMAGES)
    # CLAHE applies at inference too (as Keras)
    clahe = layers.ContrastLimitedAdaptiveHistogramEqualization()
    assert np.abs(clahe(IMAGES, training=False).numpy() - IMAGES).max() > 1.0


def test_max_num_bounding_boxes():
    boxes = {"boxes": np.array([[[10, 20, 100, 150], [50, 60, 200, 250], [0, 0, 50, 50]]], "float32"),
             "labels": np.array([[1, 2, 3]])}
    images = np.zeros((1, 8, 8, 3), "uint8")
    out = layers.MaxNumBoundingBoxes(max_number=5)({"images": images, "bounding_boxes": boxes})
    b, lab = out["bounding_boxes"]["boxes"].numpy(), out["bounding_boxes"]["labels"].numpy()
    assert b.shape == (1, 5, 4) and lab.shape == (1, 5)
    np.testing.assert_array_equal(b[0, 3:], -1)
    np.testing.assert_array_equal(lab[0], [1, 2, 3, -1, -1])
    out = layers.MaxNumBoundingBoxes(max_number=2, fill_value=0)({"images": images, "bounding_boxes": boxes})
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"].numpy(), [[1, 2]])
    assert out["images"].shape == (1, 8, 8, 3)
    shape = layers.MaxNumBoundingBoxes(4).compute_output_shape(
        {"images": (1, 8, 8, 3), "bounding_boxes": {"boxes": (1, 3, 4), "labels": (1, 3)}})
    assert shape["bounding_boxes"]["boxes"] == (1, 4, 4)
    with pytest.raises(KeyError, match="boxes"):
        layers.MaxNumBoundingBoxes(2)({"images": images, "bounding_boxes": {"boxes": boxes["boxes"]}})
