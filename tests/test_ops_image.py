"""keras.ops.image: Keras's docstring examples, values computed by hand, independent
references (Keras's NumPy-backend recipe for sampling: pad by the fill mode, then
scipy.ndimage.map_coordinates; Python's colorsys for HSV), float64 gradient checks and
the errors for bad arguments."""
import colorsys

import numpy as np
import pytest
from scipy import ndimage

import lamina
from lamina import ops
from tests.helpers import check_op

rng = np.random.default_rng(0)
IMG = np.arange(16, dtype=np.float32).reshape(4, 4, 1)


# --- Keras's docstring examples (shapes) ------------------------------------------------

def test_keras_docstring_shapes():
    img = ops.image
    assert img.resize(np.random.random((2, 4, 4, 3)), (2, 2)).shape == (2, 2, 2, 3)
    assert img.resize(np.random.random((4, 4, 3)), (2, 2)).shape == (2, 2, 3)
    first = img.resize(np.random.random((2, 3, 4, 4)), (2, 2), data_format="channels_first")
    assert first.shape == (2, 3, 2, 2)
    transform = np.array([[1.5, 0, -20, 0, 1.5, -16, 0, 0], [1, 0, -20, 0, 1, -16, 0, 0]])
    assert img.affine_transform(np.random.random((2, 64, 80, 3)), transform).shape == (2, 64, 80, 3)
    shear = np.array([1.0, 0.5, -20, 0.5, 1.0, -16, 0, 0])
    assert img.affine_transform(np.random.random((64, 80, 3)), shear).shape == (64, 80, 3)
    assert img.affine_transform(np.random.random((2, 3, 64, 80)), transform,
                                data_format="channels_first").shape == (2, 3, 64, 80)
    for fn in (img.rgb_to_grayscale, img.rgb_to_hsv, img.hsv_to_rgb):
        channels = 1 if fn is img.rgb_to_grayscale else 3
        assert fn(np.random.random((2, 4, 4, 3))).shape == (2, 4, 4, channels)
        assert fn(np.random.random((4, 4, 3))).shape == (4, 4, channels)
        first = fn(np.random.random((2, 3, 4, 4)), data_format="channels_first")
        assert first.shape == (2, channels, 4, 4)
    assert img.pad_images(np.random.random((15, 25, 3)), 2, 3, target_height=20,
                          target_width=30).shape == (20, 30, 3)
    assert img.pad_images(np.random.random((2, 15, 25, 3)), 2, 3, target_height=20,
                          target_width=30).shape == (2, 20, 30, 3)
    patches = img.extract_patches(np.random.random((2, 20, 20, 3)).astype("float32"), (5, 5))
    assert patches.shape == (2, 4, 4, 75) and patches.dtype == np.float32
    single = img.extract_patches(np.random.random((20, 20, 3)).astype("float32"), (3, 3), (1, 1))
    assert single.shape == (18, 18, 27)


def test_crop_images_docstring_values():
    images = np.reshape(np.arange(1, 28, dtype="float32"), [3, 3, 3])
    # Keras's example passes (0, 0, 2, 2) positionally, which its own signature reads as
    # top, left, bottom, right; the 2x2 result it prints is target_height=target_width=2
    out = ops.image.crop_images(images, 0, 0, target_height=2, target_width=2).numpy()
    np.testing.assert_array_equal(out[:, :, 0], [[1, 4], [10, 13]])
    out = ops.image.crop_images(images, 1, 0, 0, 1).numpy()  # drop the top row and right column
    np.testing.assert_array_equal(out[:, :, 0], [[10, 13], [19, 22]])


# --- resize -------------------------------------------------------------------------------

def test_resize_2x2_to_4x4_bilinear_by_hand():
    x = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)[..., None]
    out = ops.image.resize(x, (4, 4))
    assert out.dtype == np.float32
    # half-pixel centres: output i samples (i + .5) / 2 - .5 = -.25, .25, .75, 1.25, clamped
    # to [0, 1] -> weights of the second pixel 0, .25, .75, 1; value = 2 t_row + t_col
    np.testing.assert_allclose(out.numpy()[..., 0], [[0, 0.25, 0.75, 1], [0.5, 0.75, 1.25, 1.5],
                                                     [1.5, 1.75, 2.25, 2.5], [2, 2.25, 2.75, 3]])


def test_resize_nearest_area_and_downsampling_by_hand():
    out = ops.image.resize(IMG, (2, 2), "nearest").numpy()[..., 0]  # source floor((i + .5) 2)
    np.testing.assert_array_equal(out, IMG[1::2, 1::2, 0])
    up = ops.image.resize(np.array([[1.0, 2.0]])[..., None], (1, 4), "nearest").numpy()
    np.testing.assert_array_equal(up.ravel(), [1, 1, 2, 2])
    block_means = [[2.5, 4.5], [10.5, 12.5]]  # bilinear 4 -> 2 samples at .5 and 2.5
    np.testing.assert_allclose(ops.image.resize(IMG, (2, 2)).numpy()[..., 0], block_means)
    np.testing.assert_allclose(ops.image.resize(IMG, (2, 2), "area").numpy()[..., 0], block_means)


def test_resize_antialias_widens_the_triangle_by_hand():
    row = np.array([0.0, 10.0, 20.0, 30.0])[None, :, None]
    # 4 -> 2: triangle of radius 2 around c = 1 (resp. 3): pixels 0, 1, 2 weigh
    # .75, .75, .25 (1 - |j + .5 - c| / 2), normalised by 1.75 -> 50 / 7; mirrored 160 / 7
    out = ops.image.resize(row, (1, 2), antialias=True).numpy().ravel()
    np.testing.assert_allclose(out, [50 / 7, 160 / 7], rtol=1e-12)
    np.testing.assert_allclose(ops.image.resize(row, (1, 2)).numpy().ravel(), [5, 25])  # off
    # upsampling is unchanged by antialias
    np.testing.assert_array_equal(ops.image.resize(row, (1, 7), antialias=True).numpy(),
                                  ops.image.resize(row, (1, 7)).numpy())


@pytest.mark.parametrize("method", ["bicubic", "lanczos3", "lanczos5", "gaussian", "mitchellcubic",
                                    "area"])
def test_resize_kernel_methods_keep_constants(method):
    const = np.full((5, 3, 2), 7.0, np.float32)
    out = ops.image.resize(const, (7, 4), method)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), 7.0, rtol=1e-5)


def test_resize_bicubic_reproduces_a_ramp_inside():
    ramp = (np.arange(8) * 10.0)[None, :, None]
    out = ops.image.resize(ramp, (1, 16), "bicubic").numpy().ravel()
    s = (np.arange(16) + 0.5) / 2 - 0.5  # Keys cubic is exact on linear data away from edges
    inside = (s >= 1) & (s <= 6)
    np.testing.assert_allclose(out[inside], 10 * s[inside], atol=1e-9)


def test_resize_crop_and_pad_to_aspect_ratio():
    x = np.arange(24, dtype=np.float32).reshape(4, 6, 1)
    out = ops.image.resize(x, (2, 2), crop_to_aspect_ratio=True).numpy()[..., 0]
    # centre 4x4 window (columns 1-4) sampled at its half-pixel points .5 and 2.5: 6 r + c
    np.testing.assert_allclose(out, [[4.5, 6.5], [16.5, 18.5]])
    y = np.arange(8, dtype=np.float32).reshape(2, 4, 1)
    out = ops.image.resize(y, (4, 4), pad_to_aspect_ratio=True, fill_value=-1.0).numpy()[..., 0]
    border = np.full((1, 4), -1.0)
    np.testing.assert_array_equal(out, np.vstack([border, y[..., 0], border]))


def test_resize_channels_first_dtypes_and_integers():
    x = rng.uniform(0, 1, (2, 5, 7, 3)).astype(np.float32)
    last = ops.image.resize(x, (3, 4)).numpy()
    first = ops.image.resize(np.transpose(x, (0, 3, 1, 2)), (3, 4), data_format="channels_first")
    np.testing.assert_allclose(np.transpose(first.numpy(), (0, 2, 3, 1)), last, rtol=1e-6)
    assert ops.image.resize(x.astype(np.float64), (3, 4)).dtype == np.float64
    # integer images come back rounded to their dtype: 0 .. 255 -> 0, 63.75, 191.25, 255
    u8 = np.array([[0, 255]], np.uint8)[..., None]
    out = ops.image.resize(u8, (1, 4))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out.numpy().ravel(), [0, 64, 191, 255])


def bilinear_reference(a, out_h, out_w):
    """Half-pixel bilinear resize of one (h, w, c) float64 image, one pixel at a time."""
    h, w, _ = a.shape
    out = np.empty((out_h, out_w, a.shape[2]))
    for i in range(out_h):
        for j in range(out_w):
            y = min(max((i + 0.5) * h / out_h - 0.5, 0), h - 1)
            x = min(max((j + 0.5) * w / out_w - 0.5, 0), w - 1)
            y0, x0 = int(np.floor(y)), int(np.floor(x))
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            fy, fx = y - y0, x - x0
            out[i, j] = ((1 - fy) * ((1 - fx) * a[y0, x0] + fx * a[y0, x1])
                         + fy * ((1 - fx) * a[y1, x0] + fx * a[y1, x1]))
    return out


@pytest.mark.parametrize("size", [(7, 3), (2, 9), (3, 5)], ids=str)
def test_resize_bilinear_value_and_gradient(size):
    check_op(lambda x: ops.image.resize(x, size), (5, 6, 2),
             ref=lambda a: bilinear_reference(a, *size))


@pytest.mark.parametrize("kwargs", [
    {"interpolation": "nearest"}, {"interpolation": "bicubic"}, {"interpolation": "area"},
    {"antialias": True}, {"interpolation": "lanczos3", "antialias": True},
    {"crop_to_aspect_ratio": True}, {"pad_to_aspect_ratio": True, "fill_value": 2.0},
    {"data_format": "channels_first"}], ids=str)
def test_resize_gradients(kwargs):
    check_op(lambda x: ops.image.resize(x, (3, 4), **kwargs), (2, 5, 7, 3))


# --- affine_transform ---------------------------------------------------------------------

def test_affine_pure_translation_by_hand():
    x = np.arange(20, dtype=np.float32).reshape(4, 5, 1)
    # output (x, y) samples the input at (x - 1, y - 2): the image moves right 1, down 2
    out = ops.image.affine_transform(x, [1, 0, -1, 0, 1, -2, 0, 0]).numpy()[..., 0]
    expected = np.zeros((4, 5))
    expected[2:, 1:] = x[:2, :4, 0]
    np.testing.assert_array_equal(out, expected)
    assert ops.image.affine_transform(x, [1, 0, -1, 0, 1, -2, 0, 0]).dtype == np.float32


def test_affine_half_pixel_shift_bilinear_and_nearest():
    x = np.arange(20, dtype=np.float32).reshape(4, 5, 1)
    shift = [1, 0, 0.5, 0, 1, 0, 0, 0]  # samples (x + .5, y)
    out = ops.image.affine_transform(x, shift, fill_value=10.0).numpy()[..., 0]
    inner = (x[:, :-1, 0] + x[:, 1:, 0]) / 2
    np.testing.assert_allclose(out[:, :-1], inner)
    np.testing.assert_allclose(out[:, -1], (x[:, -1, 0] + 10.0) / 2)  # half from the fill
    nearest = ops.image.affine_transform(x, shift, "nearest", fill_value=10.0).numpy()[..., 0]
    # order 0 rounds x + .5 half up to x + 1: the image moves one pixel left
    np.testing.assert_array_equal(nearest, np.hstack([x[:, 1:, 0], np.full((4, 1), 10.0)]))


@pytest.mark.parametrize("fill_mode,expected", [
    ("reflect", [2, 1, 1, 2]), ("mirror", [3, 2, 1, 2]), ("wrap", [3, 4, 1, 2]),
    ("nearest", [1, 1, 1, 2]), ("constant", [9, 9, 1, 2])])
def test_affine_fill_modes_by_hand(fill_mode, expected):
    row = np.array([1.0, 2.0, 3.0, 4.0], np.float32).reshape(1, 4, 1)
    # shift right by 2: output column x samples column x - 2 (-2 and -1 are outside)
    out = ops.image.affine_transform(row, [1, 0, -2, 0, 1, 0, 0, 0], fill_mode=fill_mode,
                                     fill_value=9.0)
    np.testing.assert_array_equal(out.numpy().ravel(), expected)


def test_affine_projective_row_divides_by_k():
    cols = np.tile(np.arange(6, dtype=np.float64) * 10, (3, 1))[..., None]  # value 10 x
    # c0 = 1: k = x + 1, output column x samples x / (x + 1) (rows equal, so y / k is moot)
    out = ops.image.affine_transform(cols, [1, 0, 0, 0, 1, 0, 1, 0]).numpy()[..., 0]
    xs = np.arange(6)
    np.testing.assert_allclose(out, np.tile(10 * xs / (xs + 1), (3, 1)), rtol=1e-12)


def keras_reference_sample(image, coords, order, fill_mode, fill_value=0.0):
    """Keras 3's NumPy backend for one 2-D plane: pad by the fill mode, then scipy."""
    pads = [(max(-int(np.floor(c.min())) + 1, 0), max(int(np.ceil(c.max())) + 1 - n, 0))
            for c, n in zip(coords, image.shape)]
    mode = {"nearest": "edge", "mirror": "reflect", "reflect": "symmetric"}.get(fill_mode,
                                                                                fill_mode)
    kw = {"constant_values": fill_value} if fill_mode == "constant" else {}
    padded = np.pad(image, pads, mode=mode, **kw)
    shifted = [c + p[0] for c, p in zip(coords, pads)]
    return ndimage.map_coordinates(padded, shifted, order=order, mode="nearest")


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
@pytest.mark.parametrize("interpolation,order", [("bilinear", 1), ("nearest", 0)])
def test_affine_matches_keras_reference(fill_mode, interpolation, order):
    x = rng.uniform(0, 1, (2, 6, 5, 2))
    t = np.array([[0.9317, -0.4133, 1.3771, 0.5237, 1.1311, -0.7173, 0, 0],
                  [1.3719, 0.2141, -2.1337, -0.2917, 0.8353, 2.2291, 0, 0]])  # no ties at .5
    out = ops.image.affine_transform(x, t, interpolation, fill_mode, fill_value=0.5).numpy()
    ys, xs = np.meshgrid(np.arange(6), np.arange(5), indexing="ij")
    for b in range(2):
        a0, a1, a2, b0, b1, b2 = t[b, :6]
        coords = np.stack([b0 * xs + b1 * ys + b2, a0 * xs + a1 * ys + a2])
        for c in range(2):
            ref = keras_reference_sample(x[b, :, :, c], coords, order, fill_mode, 0.5)
            np.testing.assert_allclose(out[b, :, :, c], ref, rtol=1e-10, atol=1e-12)


def test_affine_channels_first_and_one_transform_for_the_batch():
    x = rng.uniform(0, 1, (3, 5, 6, 2)).astype(np.float32)
    t = [0.8, 0.3, 0.4, -0.2, 1.1, 0.6, 0, 0]
    last = ops.image.affine_transform(x, t, fill_mode="reflect").numpy()
    per_image = ops.image.affine_transform(x, np.tile(t, (3, 1)), fill_mode="reflect").numpy()
    np.testing.assert_array_equal(last, per_image)
    first = ops.image.affine_transform(np.transpose(x, (0, 3, 1, 2)), t, fill_mode="reflect",
                                       data_format="channels_first").numpy()
    np.testing.assert_array_equal(np.transpose(first, (0, 2, 3, 1)), last)


@pytest.mark.parametrize("interpolation,fill_mode", [
    ("bilinear", "constant"), ("bilinear", "reflect"), ("bilinear", "mirror"),
    ("bilinear", "wrap"), ("nearest", "nearest")])
def test_affine_gradient_with_respect_to_the_images(interpolation, fill_mode):
    t = np.array([[0.9, -0.4, 1.3, 0.5, 1.1, -0.7, 0, 0], [1.2, 0.1, -1.1, -0.3, 0.8, 1.2, 0, 0]])
    check_op(lambda x: ops.image.affine_transform(x, t, interpolation, fill_mode, fill_value=1.5),
             (2, 4, 5, 3))


def test_affine_and_map_coordinates_keep_integer_dtypes():
    u8 = np.array([[10, 21, 40, 200]], np.uint8)[..., None]
    out = ops.image.affine_transform(u8, [1, 0, 0.5, 0, 1, 0, 0, 0], fill_value=255)
    assert out.dtype == np.uint8  # means rounded half to even, then clipped to 0..255
    np.testing.assert_array_equal(out.numpy().ravel(), [16, 30, 120, 228])
    at = ops.image.map_coordinates(u8[..., 0], np.array([[0.0], [2.75]]), 1)
    assert at.dtype == np.uint8 and at.numpy().item() == 160  # 40 + .75 * 160


# --- map_coordinates ----------------------------------------------------------------------

GRID = np.arange(12, dtype=np.float32).reshape(3, 4)  # value 4 r + c


def test_map_coordinates_integer_and_half_integer_points():
    at = ops.image.map_coordinates(GRID, np.array([[0, 2, 1], [3, 0, 2]]), 1)
    np.testing.assert_array_equal(at.numpy(), [3, 8, 6])  # exact pixels
    assert at.dtype == np.float32
    half = np.array([[0.5, 1.5, 2.0], [1.5, 0.5, 2.5]])
    # order 1: means of the 4 (or 2) neighbours: 4 r + c is linear, so 4 r + c itself
    np.testing.assert_allclose(ops.image.map_coordinates(GRID, half, 1).numpy(), [3.5, 6.5, 10.5])
    # order 0 rounds half up: (1, 2), (2, 1), (2, 3)
    np.testing.assert_array_equal(ops.image.map_coordinates(GRID, half, 0).numpy(), [6, 9, 11])


def test_map_coordinates_outside_points_by_hand():
    pts = np.array([[-0.5, 0.0, 2.0], [0.0, 4.5, 5.0]])
    out = ops.image.map_coordinates(GRID, pts, 1, fill_value=10.0).numpy()
    # (-.5, 0): half pixel (0, 0) = 0, half the fill -> 5; (0, 4.5) is beyond the tap 4
    # (both taps outside) -> 10; (2, 5) outside -> 10
    np.testing.assert_allclose(out, [5.0, 10.0, 10.0])
    wrap = ops.image.map_coordinates(GRID, pts, 1, fill_mode="wrap").numpy()
    # (-.5, 0): rows -1 -> 2 and 0: (8 + 0) / 2; (0, 4.5): columns 4 -> 0 and 5 -> 1;
    # (2, 5) -> (2, 1)
    np.testing.assert_allclose(wrap, [4.0, 0.5, 9.0])


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_matches_keras_reference(fill_mode, order):
    x = rng.uniform(0, 1, (5, 6))
    coords = rng.uniform(-4, 10, (2, 7, 3))
    out = ops.image.map_coordinates(x, coords, order, fill_mode, fill_value=-2.0).numpy()
    ref = keras_reference_sample(x, coords, order, fill_mode, -2.0)
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)


def test_map_coordinates_three_dimensional_inputs():
    x = rng.uniform(0, 1, (3, 4, 5))
    coords = rng.uniform(-1, 4, (3, 8))
    out = ops.image.map_coordinates(x, coords, 1, "reflect").numpy()
    padded = np.pad(x, 3, mode="symmetric")
    ref = ndimage.map_coordinates(padded, coords + 3, order=1)
    np.testing.assert_allclose(out, ref, rtol=1e-10)


def fractional(shape, low, high, seed=1):
    """Coordinates whose fractional part stays in [.1, .9] (finite differences stay on one
    side of the floor)."""
    r = np.random.default_rng(seed)
    return np.floor(r.uniform(low, high, shape)) + r.uniform(0.1, 0.9, shape)


@pytest.mark.parametrize("fill_mode", ["constant", "reflect", "wrap"])
def test_map_coordinates_gradients_of_inputs_and_coordinates(fill_mode):
    coords = fractional((2, 4, 3), -2, 6)
    check_op(lambda x, c: ops.image.map_coordinates(x, c, 1, fill_mode, fill_value=0.7),
             (4, 5), coords,
             ref=lambda x, c: keras_reference_sample(x, c, 1, fill_mode, 0.7))


def test_map_coordinates_order_zero_gradient():
    coords = fractional((2, 6), 0, 3)
    check_op(lambda x: ops.image.map_coordinates(x, coords, 0), (3, 4),
             ref=lambda x: keras_reference_sample(x, coords, 0, "constant"))
    with lamina.GradientTape() as tape:
        c = lamina.Variable(coords)
        out = ops.image.map_coordinates(GRID.astype(np.float64), c, 0)
    grad = tape.gradient(out, c)  # order 0 is piecewise constant in the coordinates
    assert grad is None or not np.any(grad.numpy())


def test_map_coordinates_coordinate_gradient_by_hand():
    # 4 r + c: d/dr = 4, d/dc = 1 inside the grid
    with lamina.GradientTape() as tape:
        c = lamina.Variable(np.array([[0.3, 1.6], [2.2, 0.7]]))
        out = ops.sum(ops.image.map_coordinates(GRID.astype(np.float64), c, 1))
    np.testing.assert_allclose(tape.gradient(out, c).numpy(), [[4, 4], [1, 1]])


# --- pad, crop, patches -------------------------------------------------------------------

def test_pad_and_crop_images_values_and_gradients():
    x = np.arange(6, dtype=np.float32).reshape(2, 3, 1)
    out = ops.image.pad_images(x, 1, 2, bottom_padding=0, target_width=6).numpy()[..., 0]
    np.testing.assert_array_equal(out, [[0] * 6, [0, 0, 0, 1, 2, 0], [0, 0, 3, 4, 5, 0]])
    first = ops.image.pad_images(np.transpose(x, (2, 0, 1)), 1, 2, bottom_padding=0,
                                 target_width=6, data_format="channels_first")
    np.testing.assert_array_equal(first.numpy()[0], out)
    back = ops.image.crop_images(out[..., None], 1, 2, bottom_cropping=0, right_cropping=1)
    np.testing.assert_array_equal(back.numpy(), x)
    check_op(lambda t: ops.image.pad_images(t, 1, 0, 2, 3), (2, 3, 4, 2),
             ref=lambda a: np.pad(a, [(0, 0), (1, 2), (0, 3), (0, 0)]))
    check_op(lambda t: ops.image.crop_images(t, 1, 2, target_height=2, target_width=1,
                                             data_format="channels_first"), (2, 3, 4, 5),
             ref=lambda a: a[:, :, 1:3, 2:3])


def patches_reference(a, k, s, d):
    """(N, H, W, C) -> patches by explicit loops (valid padding)."""
    n, h, w, c = a.shape
    ho, wo = (h - (k - 1) * d - 1) // s + 1, (w - (k - 1) * d - 1) // s + 1
    out = np.empty((n, ho, wo, k * k * c))
    for i in range(ho):
        for j in range(wo):
            win = a[:, i * s:i * s + (k - 1) * d + 1:d, j * s:j * s + (k - 1) * d + 1:d, :]
            out[:, i, j] = win.reshape(n, -1)
    return out


@pytest.mark.parametrize("k,s,d", [(2, 2, 1), (3, 1, 1), (2, 1, 2)], ids=str)
def test_extract_patches_values_and_gradient(k, s, d):
    check_op(lambda t: ops.image.extract_patches(t, k, s, d), (2, 6, 7, 3),
             ref=lambda a: patches_reference(a, k, s, d))


def test_extract_patches_same_padding_and_channels_first():
    x = np.arange(25, dtype=np.float32).reshape(5, 5, 1)
    out = ops.image.extract_patches(x, 2, padding="same").numpy()  # 3x3 patches, zero pad
    assert out.shape == (3, 3, 4)
    np.testing.assert_array_equal(out[0, 0], [0, 1, 5, 6])
    np.testing.assert_array_equal(out[2, 2], [24, 0, 0, 0])  # (TF: extra padding at the end)
    first = ops.image.extract_patches(np.transpose(x, (2, 0, 1)), 2, padding="same",
                                      data_format="channels_first").numpy()
    np.testing.assert_array_equal(np.transpose(first, (1, 2, 0)), out)


# --- colour -------------------------------------------------------------------------------

def test_rgb_to_grayscale_weights():
    x = np.array([[[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [10, 20, 30]]], np.float32)
    out = ops.image.rgb_to_grayscale(x)
    assert out.dtype == np.float32 and out.shape == (1, 4, 1)
    np.testing.assert_allclose(out.numpy().ravel(), [0.2989, 0.5870, 0.1140,
                                                     2.989 + 11.74 + 3.42], rtol=1e-6)
    u8 = ops.image.rgb_to_grayscale(np.array([[[200, 100, 50]]], np.uint8))
    assert u8.dtype == np.uint8 and u8.numpy().item() == 124  # 124.27 truncated, as Keras
    check_op(ops.image.rgb_to_grayscale, (2, 3, 4, 3),
             ref=lambda a: a @ np.array([[0.2989], [0.5870], [0.1140]]))


def colorsys_map(fn, a):
    return np.apply_along_axis(lambda p: fn(*p), -1, a)


def test_rgb_hsv_round_trip_against_colorsys():
    x = rng.uniform(0.05, 0.95, (2, 3, 4, 3))
    hsv = ops.image.rgb_to_hsv(x).numpy()
    np.testing.assert_allclose(hsv, colorsys_map(colorsys.rgb_to_hsv, x), atol=1e-12)
    np.testing.assert_allclose(ops.image.hsv_to_rgb(hsv).numpy(), x, atol=1e-12)
    # pure colours and grey (hue 0 when there is no colour)
    pure = np.array([[[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [0.5, 0.5, 0.5]]], np.float32)
    out = ops.image.rgb_to_hsv(pure)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy()[0], [[0, 1, 1], [1 / 3, 1, 1], [2 / 3, 1, 1],
                                                [0, 0, 0.5]], atol=1e-6)
    cf = ops.image.rgb_to_hsv(np.transpose(x, (0, 3, 1, 2)), data_format="channels_first")
    np.testing.assert_allclose(np.transpose(cf.numpy(), (0, 2, 3, 1)), hsv, atol=1e-12)


def test_hsv_gradients():
    check_op(ops.image.rgb_to_hsv, (2, 3, 4, 3), low=0.05, high=0.95,
             ref=lambda a: colorsys_map(colorsys.rgb_to_hsv, a), atol=1e-12)
    check_op(ops.image.hsv_to_rgb, (2, 3, 4, 3), low=0.05, high=0.95,
             ref=lambda a: colorsys_map(colorsys.hsv_to_rgb, a), atol=1e-12)


# --- bad arguments ------------------------------------------------------------------------

@pytest.mark.parametrize("call,error,match", [
    (lambda: ops.image.resize(np.ones((4, 4)), (2, 2)), ValueError, r"rank 3.*\(4, 4\)"),
    (lambda: ops.image.resize(IMG, (2,)), ValueError, "size"),
    (lambda: ops.image.resize(IMG, (0, 2)), ValueError, "positive"),
    (lambda: ops.image.resize(IMG, (2, 2), "bilinar"), ValueError, "did you mean 'bilinear'"),
    (lambda: ops.image.resize(IMG, (2, 2), crop_to_aspect_ratio=True, pad_to_aspect_ratio=True),
     ValueError, "only one"),
    (lambda: ops.image.resize(IMG, (2, 2), fill_mode="reflect"), ValueError, "constant"),
    (lambda: ops.image.resize(IMG, (2, 2), data_format="channel_first"), ValueError,
     "did you mean 'channels_first'"),
    (lambda: ops.image.affine_transform(IMG, np.ones(7)), ValueError, r"\(8,\).*\(7,\)"),
    (lambda: ops.image.affine_transform(IMG, np.eye(3, 8), "bicubic"), ValueError, "interpolation"),
    (lambda: ops.image.affine_transform(np.ones((2, 4, 4, 1)), np.ones((3, 8))), ValueError,
     "3 transforms for a batch of 2"),
    (lambda: ops.image.affine_transform(IMG, np.ones(8), fill_mode="reflekt"), ValueError,
     "did you mean 'reflect'"),
    (lambda: ops.image.map_coordinates(GRID, np.ones((3, 2)), 1), ValueError, "rank of inputs = 2"),
    (lambda: ops.image.map_coordinates(GRID, np.ones((2, 2)), 3), ValueError, "order"),
    (lambda: ops.image.map_coordinates(GRID, np.ones(2), 1), ValueError, "rank"),
    (lambda: ops.image.pad_images(IMG, 1, 1, 1, 1, target_height=6), ValueError, "exactly two"),
    (lambda: ops.image.pad_images(IMG, 3, 0, target_height=5, right_padding=0), ValueError,
     "bottom_padding must be >= 0"),
    (lambda: ops.image.crop_images(IMG, 3, 0, 2, 0), ValueError, "leaves nothing"),
    (lambda: ops.image.rgb_to_hsv(np.ones((2, 2, 3), np.uint8)), ValueError, "floats"),
    (lambda: ops.image.rgb_to_grayscale(np.ones((2, 2, 4))), ValueError, "3 channels"),
    (lambda: ops.image.extract_patches(np.ones((4, 4, 4, 1)), (2, 2, 2)), NotImplementedError,
     "3-D"),
    (lambda: ops.image.extract_patches(IMG, "2"), TypeError, "size"),
    (lambda: ops.image.extract_patches(IMG, 5), ValueError, "larger than the input"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
