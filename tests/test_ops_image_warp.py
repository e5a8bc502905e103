"""keras.ops.image.perspective_transform / elastic_transform / scale_and_translate and
keras.ops.jvp against Keras 3.15's outputs on fixed inputs (tests/data/keras_extra_reference.npz,
made by tests/fixtures/make_extra_reference.py), finite differences and gradients."""
from pathlib import Path

import numpy as np
import pytest

from lamina import ops
from lamina.utils import check_gradients
from tests.fixtures.make_extra_reference import SCALE_CASES, image_inputs, jvp_functions

REF = np.load(Path(__file__).parent / "data" / "keras_extra_reference.npz")
D = image_inputs()


def test_perspective_transform_matches_keras():
    out = ops.image.perspective_transform(D["images"], D["start"][None].repeat(2, 0), D["end"])
    np.testing.assert_allclose(out.numpy(), REF["persp_batch"], rtol=1e-4, atol=2e-3)
    out = ops.image.perspective_transform(
        D["images"][:1].transpose(0, 3, 1, 2), D["start"], D["end"][0], interpolation="nearest",
        fill_value=3.0, data_format="channels_first")
    np.testing.assert_allclose(out.numpy(), REF["persp_nearest_first"], atol=1e-3)
    # identical points: the identity
    same = ops.image.perspective_transform(D["images"], D["start"], D["start"])
    np.testing.assert_allclose(same.numpy(), D["images"], atol=1e-3)


def test_elastic_transform_matches_keras_numpy_backend():
    out = ops.image.elastic_transform(D["images"], alpha=6.0, sigma=1.5, seed=11)
    np.testing.assert_allclose(out.numpy(), REF["elastic_reflect"], rtol=1e-4, atol=1e-2)
    out = ops.image.elastic_transform(D["images"][:1], alpha=3.0, sigma=1.0, interpolation="nearest",
                                      fill_mode="constant", fill_value=1.0, seed=5)
    np.testing.assert_allclose(out.numpy(), REF["elastic_constant_nearest"], atol=1e-3)
    # alpha = 0 moves nothing
    np.testing.assert_allclose(ops.image.elastic_transform(D["images"], alpha=0.0, seed=1).numpy(),
                               D["images"], atol=1e-3)


@pytest.mark.parametrize("case", list(SCALE_CASES))
def test_scale_and_translate_matches_keras(case):
    shape, scale, trans, dims, method, aa = SCALE_CASES[case]
    out = ops.image.scale_and_translate(D["images"], shape, np.array(scale, "float32"),
                                        np.array(trans, "float32"), dims, method, antialias=aa)
    np.testing.assert_allclose(out.numpy(), REF[case], rtol=1e-4, atol=2e-3)


def test_warps_are_differentiable():
    x = np.random.default_rng(0).random((1, 5, 4, 2))
    err = check_gradients(lambda a: ops.image.scale_and_translate(
        a, (1, 7, 3, 2), [1.4, 0.8], [0.3, 0.1], (1, 2), "cubic"), x)
    assert err < 1e-6
    err = check_gradients(lambda a: ops.image.perspective_transform(
        a, [[0, 0], [3, 0], [0, 4], [3, 4]], [[0.5, 0], [3, 0.3], [0, 4], [2.7, 3.6]]), x)
    assert err < 1e-6
    err = check_gradients(lambda a: ops.image.elastic_transform(a, alpha=2.0, sigma=1.0, seed=2), x)
    assert err < 1e-6


def test_integer_images_and_errors():
    x = (D["images"][:1]).astype("uint8")
    out = ops.image.scale_and_translate(x, (1, 9, 16, 3), [1.0, 2.0], [0.0, 0.0], (1, 2), "linear")
    assert out.dtype == "uint8" and out.numpy().max() <= x.max()
    with pytest.raises(ValueError, match="method"):
        ops.image.scale_and_translate(x, (1, 9, 8, 3), [1.0, 1.0], [0.0, 0.0], (1, 2), "area")
    with pytest.raises(ValueError, match=r"\(4, 2\)"):
        ops.image.perspective_transform(D["images"], D["start"][:3], D["end"][0][:3])


@pytest.mark.parametrize("index", [0, 1])
def test_jvp_matches_keras_and_finite_differences(index):
    name, fn, primals, tangents = jvp_functions(ops)[index]
    p, t = ops.jvp(fn, primals, tangents)
    np.testing.assert_allclose(p.numpy(), REF[name + "/primal"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(t.numpy(), REF[name + "/tangent"], rtol=1e-4, atol=1e-5)
    # central differences in float64
    p64 = [np.asarray(a, np.float64) for a in primals]
    eps = 1e-6
    plus = fn(*[a + eps * np.asarray(v, np.float64) for a, v in zip(p64, tangents)]).numpy()
    minus = fn(*[a - eps * np.asarray(v, np.float64) for a, v in zip(p64, tangents)]).numpy()
    np.testing.assert_allclose(t.numpy(), (plus - minus) / (2 * eps), rtol=1e-4, atol=1e-5)


def test_jvp_aux_structures_and_errors():
    a1, a2 = ops.convert_to_tensor(0.1), ops.convert_to_tensor(0.2)
    p, t = ops.jvp(ops.sin, (a1,), (a2,))  # Keras's docstring example
    np.testing.assert_allclose([p.numpy(), t.numpy()], [0.09983342, 0.19900084], rtol=1e-6)
    p, t, aux = ops.linalg.jvp(lambda x: ({"sq": x * x, "cube": x ** 3}, "aux"),
                               (np.array([1.0, 2.0]),), (np.array([1.0, 0.5]),), has_aux=True)
    assert aux == "aux"
    np.testing.assert_allclose(t["sq"].numpy(), [2.0, 2.0])
    np.testing.assert_allclose(t["cube"].numpy(), [3.0, 6.0])
    with pytest.raises(ValueError, match="shape"):
        ops.jvp(ops.sin, (np.ones(3),), (np.ones(2),))
