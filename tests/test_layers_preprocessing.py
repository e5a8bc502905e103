"""Image preprocessing layers: exact outputs on known images, Keras's fill modes against an
independent reference (Keras's own NumPy-backend recipe: pad, then
scipy.ndimage.map_coordinates), formulas, training/inference behaviour, seeding, gradients,
configs, and a small model trained with augmentation."""
import numpy as np
import pytest
from scipy import ndimage

import lamina
from lamina import layers
from lamina.utils import check_gradients
from tests.helpers.layer_test import run_layer_test

IMG = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)


def batch(seed=0, shape=(3, 5, 6, 2)):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype(np.float32)


def reference_affine(image, transform, order, fill_mode, fill_value=0.0):
    """Keras 3's NumPy backend: pad by the fill mode, then map_coordinates (one image)."""
    h, w, c = image.shape
    a0, a1, a2, b0, b1, b2 = transform[:6]
    ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    coords = np.stack([b0 * xs + b1 * ys + b2, a0 * xs + a1 * ys + a2])
    out = np.empty((h, w, c))
    pad_mode = {"nearest": "edge", "reflect": "symmetric", "wrap": "wrap"}.get(fill_mode, "constant")
    for ch in range(c):
        pads = [(max(-int(np.floor(cc.min())) + 1, 0), max(int(np.ceil(cc.max())) + 1 - n, 0))
                for cc, n in zip(coords, (h, w))]
        kw = {"constant_values": fill_value} if pad_mode == "constant" else {}
        padded = np.pad(image[..., ch].astype(np.float64), pads, mode=pad_mode, **kw)
        shifted = [cc + p[0] for cc, p in zip(coords, pads)]
        out[..., ch] = ndimage.map_coordinates(padded, shifted, order=order, mode="nearest")
    return out


# --- flips ------------------------------------------------------------------------------

@pytest.mark.parametrize("mode,axes", [("horizontal", (1,)), ("vertical", (0,)),
                                       ("horizontal_and_vertical", (0, 1))])
def test_random_flip_flips_each_image_or_leaves_it(mode, axes):
    x = batch(1, (64, 4, 5, 1))
    out = layers.RandomFlip(mode, seed=3)(x, training=True).numpy()
    flipped = [np.array_equal(o, np.flip(i, axes)) for o, i in zip(out, x)]
    same = [np.array_equal(o, i) for o, i in zip(out, x)]
    assert all(f or s for f, s in zip(flipped, same))
    assert 10 < sum(flipped) < 54  # about half of 64 (binomial, seeded)
    assert out.dtype == np.float32


def test_random_flip_single_image_and_exact_flip():
    img = IMG[0]
    outs = {layers.RandomFlip("horizontal", seed=s)(img, training=True).numpy().tobytes()
            for s in range(12)}
    assert outs == {img.tobytes(), np.ascontiguousarray(img[:, ::-1]).tobytes()}


# --- rotation ---------------------------------------------------------------------------

@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("factor,k", [((0.25, 0.25), 1), ((-0.25, -0.25), -1), ((0.5, 0.5), 2)])
def test_rotation_by_quarter_turns_equals_rot90(interpolation, factor, k):
    x = batch(2, (2, 5, 5, 3))
    out = layers.RandomRotation(factor, interpolation=interpolation)(x, training=True).numpy()
    np.testing.assert_allclose(out, np.rot90(x, k, axes=(1, 2)), atol=1e-4)


def test_rotation_half_turn_of_a_rectangle_flips_both_axes():
    x = batch(3, (1, 3, 7, 1))
    out = layers.RandomRotation((0.5, 0.5), interpolation="nearest")(x, training=True).numpy()
    np.testing.assert_array_equal(out, x[:, ::-1, ::-1])


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation,order", [("bilinear", 1), ("nearest", 0)])
def test_rotation_matches_keras_reference(fill_mode, interpolation, order):
    x = batch(4, (1, 6, 5, 2))
    layer = layers.RandomRotation((0.1, 0.1), fill_mode=fill_mode, interpolation=interpolation,
                                  fill_value=7.0)
    out = layer(x, training=True).numpy()[0]
    theta = 0.1 * 2 * np.pi  # 36 degrees, counter-clockwise
    cx, cy = (5 - 1) / 2, (6 - 1) / 2
    c, s = np.cos(theta), np.sin(theta)
    transform = [c, -s, cx - cx * c + cy * s, s, c, cy - cx * s - cy * c]
    expected = reference_affine(x[0], transform, order, fill_mode, 7.0)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-3)


# --- zoom and translation ---------------------------------------------------------------

def test_zoom_in_by_half_known_values():
    out = layers.RandomZoom((-0.5, -0.5))(IMG, training=True).numpy()[0, :, :, 0]
    # zoom 0.5 about the centre 1.5: output (y, x) samples input (0.75 + y/2, 0.75 + x/2)
    ys, xs = np.meshgrid(np.arange(4), np.arange(4), indexing="ij")
    np.testing.assert_allclose(out, 4 * (0.75 + ys / 2) + (0.75 + xs / 2), atol=1e-5)


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
def test_zoom_out_matches_keras_reference(fill_mode):
    x = batch(5, (1, 7, 6, 1))
    out = layers.RandomZoom((0.3, 0.3), (-0.2, -0.2), fill_mode=fill_mode)(x, training=True)
    zy, zx = 1.3, 0.8
    transform = [zx, 0, (6 - 1) / 2 * (1 - zx), 0, zy, (7 - 1) / 2 * (1 - zy)]
    np.testing.assert_allclose(out.numpy()[0], reference_affine(x[0], transform, 1, fill_mode),
                               rtol=1e-5, atol=1e-3)


def test_zoom_without_width_factor_keeps_aspect_ratio():
    x = batch(6, (4, 8, 8, 1))
    a = layers.RandomZoom(0.3, seed=5)(x, training=True).numpy()
    b = layers.RandomZoom(0.3, 0.3, seed=5)(x, training=True).numpy()
    assert not np.allclose(a, b)  # a second draw for the width changes the result
    t = layers.RandomZoom(0.3, seed=5)(np.transpose(x, (0, 2, 1, 3)), training=True).numpy()
    np.testing.assert_allclose(np.transpose(t, (0, 2, 1, 3)), a, atol=1e-4)  # same zoom both axes


def test_translation_one_row_down_constant_fill():
    out = layers.RandomTranslation((0.25, 0.25), (0.0, 0.0), fill_mode="constant",
                                   fill_value=-1.0)(IMG, training=True).numpy()[0, :, :, 0]
    expected = np.vstack([np.full((1, 4), -1.0), IMG[0, :3, :, 0]])
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
def test_translation_fractional_matches_keras_reference(fill_mode):
    x = batch(7, (1, 5, 8, 2))
    out = layers.RandomTranslation((-0.3, -0.3), (0.15, 0.15), fill_mode=fill_mode,
                                   fill_value=3.0)(x, training=True).numpy()[0]
    dy, dx = -0.3 * 5, 0.15 * 8
    expected = reference_affine(x[0], [1, 0, -dx, 0, 1, -dy], 1, fill_mode, 3.0)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-3)


def test_reflect_fill_repeats_the_edge_pixel():
    row = np.array([[1.0, 2.0, 3.0, 4.0]], np.float32).reshape(1, 1, 4, 1)
    out = layers.RandomTranslation(0.0, (0.5, 0.5), fill_mode="reflect")(row, training=True)
    np.testing.assert_array_equal(out.numpy().ravel(), [2, 1, 1, 2])  # (b a | a b c d)
    out = layers.RandomTranslation(0.0, (0.5, 0.5), fill_mode="wrap")(row, training=True)
    np.testing.assert_array_equal(out.numpy().ravel(), [3, 4, 1, 2])


# --- contrast and brightness ------------------------------------------------------------

def test_contrast_formula_with_fixed_factor():
    x = np.array([[[[10.0], [20.0]], [[30.0], [240.0]]]], np.float32)
    layer = layers.RandomContrast((-0.5, 0.5), value_range=(0, 255))  # c in [1.5, 1.5]
    out = layer(x, training=True).numpy()
    mean = x.mean()
    np.testing.assert_allclose(out, np.clip((x - mean) * 1.5 + mean, 0, 255), rtol=1e-6)
    assert out.ravel()[-1] == 255.0  # clipped


def test_contrast_single_number_factor_as_keras_parses_it():
    layer = layers.RandomContrast(0.2, seed=1)
    assert layer.factor == (0.0, 0.2)
    x = batch(8, (16, 6, 6, 3)) * 0.2 + 100  # far from the clip range
    out = layer(x, training=True).numpy()
    ratio = out.std(axis=(1, 2)) / x.std(axis=(1, 2))
    assert np.all(ratio >= 1 - 1e-5) and np.all(ratio <= 1.2 + 1e-5)
    assert np.allclose(ratio, ratio[:, :1], rtol=1e-4)  # one factor per image
    np.testing.assert_allclose(out.mean(axis=(1, 2)), x.mean(axis=(1, 2)), rtol=1e-5)


def test_brightness_keras_docs_example_and_clipping():
    image = np.array([[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]])
    out = layers.RandomBrightness((0.1, 0.1))(image, training=True).numpy()
    np.testing.assert_allclose(out, image + 25.5, rtol=1e-6)
    out = layers.RandomBrightness((0.1, 0.1))(np.full((2, 2, 1), 240.0), training=True)
    np.testing.assert_array_equal(out.numpy(), 255.0)
    out = layers.RandomBrightness((-0.5, -0.5), value_range=(0, 1))(np.full((2, 2, 1), 0.7),
                                                                   training=True)
    np.testing.assert_allclose(out.numpy(), 0.2, rtol=1e-6)


def test_brightness_one_delta_per_image():
    x = batch(9, (8, 4, 4, 3)) * 0.1 + 100
    out = layers.RandomBrightness(0.2, seed=2)(x, training=True).numpy()
    delta = out - x
    np.testing.assert_allclose(delta, delta[:, :1, :1, :1] * np.ones_like(delta), atol=1e-3)
    assert np.all(np.abs(delta) <= 0.2 * 255 + 1e-3) and np.ptp(delta[:, 0, 0, 0]) > 1


# --- crops and resizing -----------------------------------------------------------------

def test_resizing_bilinear_and_nearest_known_values():
    out = layers.Resizing(2, 2)(IMG).numpy()[0, :, :, 0]
    np.testing.assert_allclose(out, [[2.5, 4.5], [10.5, 12.5]])  # 2x2 block means
    out = layers.Resizing(2, 2, interpolation="nearest")(IMG).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(out, IMG[0, 1::2, 1::2, 0])
    up = layers.Resizing(4, 4)(np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(2, 2, 1)).numpy()[..., 0]
    t = np.array([0.0, 0.25, 0.75, 1.0])  # half-pixel source positions, clamped at the edges
    np.testing.assert_allclose(up, 2 * t[:, None] + t[None, :], atol=1e-6)


def test_resizing_crop_and_pad_to_aspect_ratio():
    x = np.arange(24, dtype=np.float32).reshape(1, 4, 6, 1)
    out = layers.Resizing(2, 2, crop_to_aspect_ratio=True)(x).numpy()[0, :, :, 0]
    # centre 4x4 window (columns 1-4) sampled at its half-pixel points 0.5 and 2.5: 6 r + c
    np.testing.assert_allclose(out, [[4.5, 6.5], [16.5, 18.5]])
    y = np.arange(8, dtype=np.float32).reshape(1, 2, 4, 1)
    out = layers.Resizing(4, 4, pad_to_aspect_ratio=True, fill_value=-1.0)(y).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(out, np.vstack([np.full((1, 4), -1.0), y[0, :, :, 0],
                                                  np.full((1, 4), -1.0)]))


def test_center_crop_slices_the_centre_or_resizes_small_images():
    x = np.arange(30, dtype=np.float32).reshape(1, 5, 6, 1)
    out = layers.CenterCrop(3, 2)(x).numpy()
    np.testing.assert_array_equal(out, x[:, 1:4, 2:4])
    small = layers.CenterCrop(8, 8)(IMG).numpy()  # 4x4 -> whole image upsampled to 8x8
    np.testing.assert_allclose(small, layers.Resizing(8, 8)(IMG).numpy())
    assert small.shape == (1, 8, 8, 1)


def test_random_crop_training_window_and_inference_centre():
    x = batch(10, (2, 9, 7, 1))
    layer = layers.RandomCrop(4, 3, seed=4)
    out = layer(x, training=True).numpy()
    matches = [(t, l) for t in range(6) for l in range(5)
               if np.array_equal(out, x[:, t:t + 4, l:l + 3])]
    assert len(matches) == 1  # one window, shared by the batch
    starts = {tuple(np.argwhere(np.all(
        layer(x, training=True).numpy()[0, 0, 0] == x[0], axis=-1))[0]) for _ in range(20)}
    assert len(starts) > 3  # drawn anew per call
    inference = layer(x, training=False).numpy()
    np.testing.assert_allclose(inference, layers.Resizing(4, 3, crop_to_aspect_ratio=True)(x).numpy())


# --- training flag, seeding, dtypes -----------------------------------------------------

AUGMENT = [
    lambda: layers.RandomFlip(seed=1), lambda: layers.RandomRotation(0.2, seed=1),
    lambda: layers.RandomZoom(0.3, seed=1), lambda: layers.RandomTranslation(0.2, 0.2, seed=1),
    lambda: layers.RandomContrast(0.5, seed=1), lambda: layers.RandomBrightness(0.3, seed=1),
]


@pytest.mark.parametrize("make", AUGMENT)
def test_identity_at_inference_and_augments_in_training(make):
    x = batch(11, (4, 6, 6, 3)).astype(np.uint8)
    layer = make()
    out = layer(x, training=False)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), x.astype(np.float32))
    assert not np.array_equal(layer(x, training=True).numpy(), x)
    assert not np.array_equal(layer(x).numpy(), x)  # as Keras 3: no context -> training


@pytest.mark.parametrize("make", AUGMENT)
def test_seeded_determinism_and_fresh_draws(make):
    x = batch(12, (6, 6, 6, 3))
    a, b = make(), make()
    first = a(x, training=True).numpy()
    np.testing.assert_array_equal(first, b(x, training=True).numpy())  # same seed
    assert not np.array_equal(first, a(x, training=True).numpy())  # next call: new draws


def test_set_random_seed_repeats_unseeded_layers():
    x = batch(13, (4, 6, 6, 1))
    runs = []
    for _ in range(2):
        lamina.utils.set_random_seed(42)
        aug = lamina.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1),
                                 layers.RandomZoom(0.2)])
        runs.append(aug(x, training=True).numpy())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_predict_is_identity_and_fit_augments():
    seen = []

    class Spy(layers.RandomRotation):
        def transform(self, images, training):
            seen.append(training)
            return super().transform(images, training)

    inputs = lamina.Input(shape=(6, 6, 1))
    aug = lamina.Sequential([layers.RandomFlip("horizontal"), Spy(0.1)])
    model = lamina.Model(inputs, layers.Flatten()(aug(inputs)))
    x = batch(14, (4, 6, 6, 1))
    np.testing.assert_array_equal(model.predict(x, verbose=0), x.reshape(4, -1))
    assert seen == [False]
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((4, 36)), epochs=1, batch_size=4, verbose=0)
    assert seen[1:] == [True]


def test_channels_first_and_bad_rank():
    x = batch(15, (2, 3, 5, 5))  # (B, C, H, W)
    out = layers.RandomRotation((0.25, 0.25), data_format="channels_first")(x, training=True)
    np.testing.assert_allclose(out.numpy(), np.rot90(x, 1, axes=(2, 3)), atol=1e-4)
    with pytest.raises(ValueError, match="rank 3"):
        layers.RandomFlip()(np.zeros((4, 4)), training=True)
    with pytest.raises(ValueError, match="factor"):
        layers.RandomRotation(1.5)
    with pytest.raises(ValueError, match="fill_mode"):
        layers.RandomZoom(0.1, fill_mode="mirror")


# --- gradients --------------------------------------------------------------------------

GRADIENT_CASES = [
    lambda: layers.RandomFlip(seed=2, dtype="float64"),
    lambda: layers.RandomRotation((0.07, 0.07), fill_mode="constant", fill_value=2.0,
                                  dtype="float64"),
    lambda: layers.RandomRotation((-0.1, -0.1), fill_mode="reflect", dtype="float64"),
    lambda: layers.RandomZoom((0.2, 0.2), (-0.3, -0.3), fill_mode="wrap", dtype="float64"),
    lambda: layers.RandomTranslation((0.3, 0.3), (-0.2, -0.2), fill_mode="nearest",
                                     dtype="float64"),
    lambda: layers.RandomContrast((-0.3, 0.3), value_range=(-10, 10), dtype="float64"),
    lambda: layers.RandomBrightness((0.1, 0.1), value_range=(-10, 10), dtype="float64"),
    lambda: layers.RandomCrop(3, 2, seed=1, dtype="float64"),
    lambda: layers.Resizing(3, 5, dtype="float64"),
]


@pytest.mark.parametrize("make", GRADIENT_CASES)
def test_gradients_with_respect_to_the_input(make):
    x = np.random.default_rng(16).standard_normal((2, 4, 5, 2))
    err = check_gradients(lambda t: make()(t, training=True), x)
    assert err < 1e-6


# --- configs ----------------------------------------------------------------------------

CONFIG_CASES = [
    (layers.RandomFlip, {"mode": "vertical", "seed": 3}),
    (layers.RandomRotation, {"factor": (-0.2, 0.3), "fill_mode": "constant", "fill_value": 1.0,
                             "interpolation": "nearest", "seed": 1}),
    (layers.RandomZoom, {"height_factor": 0.2, "width_factor": (-0.1, 0.3), "seed": 2}),
    (layers.RandomTranslation, {"height_factor": 0.1, "width_factor": 0.2, "fill_mode": "wrap"}),
    (layers.RandomContrast, {"factor": 0.4, "value_range": (0, 1), "seed": 5}),
    (layers.RandomBrightness, {"factor": (-0.2, 0.1), "value_range": (0, 1)}),
    (layers.RandomCrop, {"height": 3, "width": 4, "seed": 9}),
    (layers.Resizing, {"height": 3, "width": 4, "interpolation": "nearest",
                       "crop_to_aspect_ratio": True}),
    (layers.CenterCrop, {"height": 2, "width": 3}),
]


@pytest.mark.parametrize("cls,kwargs", CONFIG_CASES)
def test_config_round_trip(cls, kwargs):
    layer = cls(**kwargs)
    config = layer.get_config()
    for key, value in kwargs.items():
        if key != "factor":
            assert config[key] == (list(value) if isinstance(value, tuple) else value) or \
                config[key] == value, key
    clone = lamina.saving.deserialize_keras_object(lamina.saving.serialize_keras_object(layer))
    assert type(clone) is cls and clone.get_config() == config


@pytest.mark.parametrize("cls,kwargs,out_shape", [
    (layers.Resizing, {"height": 3, "width": 2}, (2, 3, 2, 2)),
    (layers.CenterCrop, {"height": 2, "width": 3}, (2, 2, 3, 2)),
    (layers.RandomCrop, {"height": 2, "width": 3, "seed": 1}, (2, 2, 3, 2)),
    (layers.RandomZoom, {"height_factor": 0.2, "seed": 1}, (2, 4, 5, 2)),
])
def test_layer_harness_at_inference(cls, kwargs, out_shape):
    layer = run_layer_test(cls, kwargs, input_shape=(2, 4, 5, 2), expected_output_shape=out_shape,
                           expected_num_params=0, call_kwargs={"training": False})
    assert layer.weights == []


def test_keras_config_keys():
    assert set(layers.RandomRotation(0.1).get_config()) - {"name", "trainable", "dtype"} == {
        "factor", "fill_mode", "fill_value", "interpolation", "seed", "data_format"}
    assert layers.RandomRotation(0.1).get_config()["factor"] == (-0.1, 0.1)
    assert set(layers.RandomContrast(0.1).get_config()) - {"name", "trainable", "dtype"} == {
        "factor", "value_range", "seed"}
    assert set(layers.Resizing(2, 2).get_config()) - {"name", "trainable", "dtype"} == {
        "height", "width", "interpolation", "crop_to_aspect_ratio", "pad_to_aspect_ratio",
        "fill_mode", "fill_value", "antialias", "data_format"}


def test_resizing_passes_every_interpolation_and_antialias_to_ops_image():
    x = np.arange(2 * 6 * 6 * 1, dtype=np.float32).reshape(2, 6, 6, 1)
    for method in ("bicubic", "lanczos3", "area"):
        for antialias in (False, True):
            got = layers.Resizing(3, 4, interpolation=method, antialias=antialias)(x)
            want = lamina.ops.image.resize(x, (3, 4), method, antialias=antialias)
            np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    # area downsampling by 2 = 2x2 block means
    area = np.asarray(layers.Resizing(3, 3, interpolation="area")(x))
    np.testing.assert_allclose(area, x.reshape(2, 3, 2, 3, 2, 1).mean(axis=(2, 4)), rtol=1e-6)
    with pytest.raises(ValueError, match="interpolation"):
        layers.Resizing(2, 2, interpolation="cubic")


# --- training with augmentation ---------------------------------------------------------

def test_small_convnet_trains_with_augmentation():
    lamina.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n = 160
    y = (np.arange(n) % 2).astype(np.float32)
    # bright images vs dark images: a label that flips, rotations and zooms preserve
    x = np.where(y[:, None, None, None] == 1, rng.uniform(110, 255, (n, 12, 12, 1)),
                 rng.uniform(0, 140, (n, 12, 12, 1))).astype(np.float32)
    data_augmentation = lamina.Sequential([layers.RandomFlip("horizontal"),
                                           layers.RandomRotation(0.1), layers.RandomZoom(0.2)])
    inputs = lamina.Input(shape=(12, 12, 1))
    h = data_augmentation(inputs)
    h = layers.Rescaling(1.0 / 255)(h)
    h = layers.Conv2D(4, 3, activation="relu")(h)
    h = layers.GlobalAveragePooling2D()(h)
    outputs = layers.Dense(1, activation="sigmoid")(h)
    model = lamina.Model(inputs, outputs)
    model.compile(optimizer=lamina.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x[:128], y[:128], epochs=12, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x[128:], y[128:], verbose=0)
    assert accuracy >= 0.95
