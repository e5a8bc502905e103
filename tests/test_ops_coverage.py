"""The keras.ops added for API coverage: values against NumPy/SciPy or against numbers
Keras 3.15 computed (tests/data/keras_ops_reference.npz, made in a throw-away environment),
and float64 gradients against finite differences."""

import warnings
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.utils import check_gradients

REF = np.load(Path(__file__).parent / "data" / "keras_ops_reference.npz")
rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((3, 4)) + 0.5
NAN = A.copy()
NAN[0, 1] = NAN[2, 3] = np.nan


def _v(t):
    return np.asarray(t.data if hasattr(t, "data") else t)


@pytest.mark.parametrize(
    "name",
    [
        "deg2rad",
        "rad2deg",
        "sinc",
        "i0",
        "erfc",
        "fabs",
        "signbit",
        "isposinf",
        "isneginf",
        "isreal",
        "real",
        "imag",
        "conj",
    ],
)
def test_unary_values_match_numpy(name):
    from scipy import special

    x = np.array([-2.0, -0.3, 0.0, 0.7])
    if name in ("signbit", "isposinf", "isneginf", "isreal", "real", "imag", "conj", "fabs"):
        x = np.array([-np.inf, -2.0, -0.0, 0.7, np.inf])
    ref = special.erfc if name == "erfc" else getattr(np, name)
    np.testing.assert_allclose(_v(getattr(ops, name)(x)), ref(x), rtol=1e-12)


@pytest.mark.parametrize(
    "name", ["hypot", "fmax", "fmin", "fmod", "logaddexp2", "heaviside", "nextafter"]
)
def test_binary_values_match_numpy(name):
    np.testing.assert_allclose(_v(getattr(ops, name)(A, B)), getattr(np, name)(A, B), rtol=1e-12)


@pytest.mark.parametrize("name", ["deg2rad", "rad2deg", "sinc", "i0", "erfc", "fabs"])
def test_unary_gradients(name):
    assert check_gradients(getattr(ops, name), A) < 1e-6


@pytest.mark.parametrize("name", ["hypot", "fmax", "fmin", "fmod", "logaddexp2"])
def test_binary_gradients(name):
    assert check_gradients(getattr(ops, name), A, B) < 1e-6


def test_ldexp_and_integer_ops():
    np.testing.assert_allclose(
        _v(ops.ldexp(A, np.array([1, 2, -1, 0]))), np.ldexp(A, [1, 2, -1, 0])
    )
    assert check_gradients(lambda x: ops.ldexp(x, np.array([1, 2, -1, 0])), A) < 1e-8
    i, j = np.array([12, 7, 5]), np.array([8, 3, 10])
    for name, ref in [
        ("bitwise_and", np.bitwise_and),
        ("bitwise_or", np.bitwise_or),
        ("bitwise_xor", np.bitwise_xor),
        ("gcd", np.gcd),
        ("lcm", np.lcm),
        ("left_shift", np.left_shift),
        ("right_shift", np.right_shift),
    ]:
        np.testing.assert_array_equal(_v(getattr(ops, name)(i, j)), ref(i, j))
    np.testing.assert_array_equal(_v(ops.bitwise_not(i)), ~i)
    with pytest.raises(TypeError, match="integers"):
        ops.bitwise_and(A, i)


@pytest.mark.parametrize(
    "name", ["nansum", "nanmean", "nanvar", "nanstd", "nanprod", "nanmax", "nanmin", "nanmedian"]
)
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_nan_reductions_match_numpy_and_differentiate(name, axis):
    for keepdims in (False, True):
        np.testing.assert_allclose(
            _v(getattr(ops, name)(NAN, axis=axis, keepdims=keepdims)),
            getattr(np, name)(NAN, axis=axis, keepdims=keepdims),
            rtol=1e-12,
        )
    # gradients flow to the non-NaN entries only
    mask = np.isnan(NAN)
    fn = getattr(ops, name)
    assert (
        check_gradients(
            lambda x: fn(ops.where(mask, np.nan, x), axis=axis), np.where(mask, 0.5, NAN)
        )
        < 1e-6
    )


def test_nan_quantiles_cumulative_and_arg():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        empty = np.array([[np.nan, np.nan], [1.0, 2.0]])
        np.testing.assert_allclose(_v(ops.nanmean(empty, axis=1)), [np.nan, 1.5])
    for method in ("linear", "lower", "higher", "midpoint", "nearest"):
        np.testing.assert_allclose(
            _v(ops.nanquantile(NAN, [0.2, 0.7], axis=1, method=method)),
            np.nanquantile(NAN, [0.2, 0.7], axis=1, method=method),
            rtol=1e-6,
            atol=1e-12,
        )
        np.testing.assert_allclose(
            _v(ops.percentile(A, 30, axis=0, method=method)),
            np.percentile(A, 30, axis=0, method=method),
            rtol=1e-6,
            atol=1e-12,
        )
    np.testing.assert_allclose(
        _v(ops.nanpercentile(NAN, 40, keepdims=True)), np.nanpercentile(NAN, 40, keepdims=True)
    )
    np.testing.assert_allclose(_v(ops.nancumsum(NAN, axis=1)), np.nancumsum(NAN, axis=1))
    np.testing.assert_allclose(_v(ops.nancumprod(NAN)), np.nancumprod(NAN))
    np.testing.assert_array_equal(_v(ops.nanargmax(NAN, axis=1)), np.nanargmax(NAN, axis=1))
    np.testing.assert_array_equal(_v(ops.nanargmin(NAN)), np.nanargmin(NAN))
    np.testing.assert_allclose(_v(ops.ptp(A, axis=1)), np.ptp(A, axis=1))
    assert check_gradients(lambda x: ops.nanquantile(x, [0.2, 0.7], axis=1), A) < 1e-6
    assert check_gradients(lambda x: ops.percentile(x, 35), A) < 1e-6


def test_quantile_of_a_python_list_keeps_float64_q():
    # q given as a list used to pass through float32 (0.2 -> 0.20000000298...)
    np.testing.assert_allclose(
        _v(ops.quantile(A, [0.2, 0.7], axis=1)), np.quantile(A, [0.2, 0.7], axis=1), rtol=1e-13
    )
    np.testing.assert_allclose(
        _v(ops.nanquantile(NAN, [0.2, 0.7], axis=1)),
        np.nanquantile(NAN, [0.2, 0.7], axis=1),
        rtol=1e-13,
    )


def test_array_ops_match_numpy():
    x = rng.standard_normal((4, 6, 2))
    assert [p.shape for p in ops.array_split(x, 4, axis=1)] == [
        q.shape for q in np.array_split(x, 4, axis=1)
    ]
    assert [p.shape for p in ops.hsplit(x, 3)] == [q.shape for q in np.hsplit(x, 3)]
    assert [p.shape for p in ops.vsplit(x, 2)] == [q.shape for q in np.vsplit(x, 2)]
    assert [p.shape for p in ops.dsplit(x, 2)] == [q.shape for q in np.dsplit(x, 2)]
    np.testing.assert_allclose(_v(ops.dstack([A, B])), np.dstack([A, B]))
    np.testing.assert_allclose(_v(ops.fliplr(A)), np.fliplr(A))
    np.testing.assert_allclose(_v(ops.flipud(A)), np.flipud(A))
    np.testing.assert_allclose(_v(ops.diagflat(A[0], 1)), np.diagflat(A[0], 1))
    np.testing.assert_allclose(_v(ops.diff(x, 2, axis=1)), np.diff(x, 2, axis=1))
    np.testing.assert_allclose(_v(ops.trapezoid(A, axis=0)), np.trapezoid(A, axis=0))
    t = np.sort(rng.random(4))
    np.testing.assert_allclose(_v(ops.trapezoid(A, x=t)), np.trapezoid(A, x=t))
    np.testing.assert_allclose(_v(ops.kron(A, B[:2, :3])), np.kron(A, B[:2, :3]))
    np.testing.assert_allclose(_v(ops.vander(A[0], 3)), np.vander(A[0], 3))
    np.testing.assert_allclose(_v(ops.cross(A[:, :3], B[:, :3])), np.cross(A[:, :3], B[:, :3]))
    np.testing.assert_allclose(_v(ops.corrcoef(A)), np.corrcoef(A))
    from scipy.spatial.distance import cdist

    np.testing.assert_allclose(_v(ops.cdist(A, B)), cdist(A, B))
    for mode in ("valid", "same", "full"):
        np.testing.assert_allclose(
            _v(ops.correlate(A.ravel(), B[0], mode)), np.correlate(A.ravel(), B[0], mode)
        )
    x0 = REF["x"]
    np.testing.assert_allclose(
        _v(ops.correlate(x0[0, 0, :, 0], x0[0, 1, :2, 0], "same")), REF["corr"], rtol=1e-6
    )


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: ops.diff(x, 2, axis=0),
        lambda x: ops.trapezoid(x),
        lambda x: ops.kron(x, x[:2, :2]),
        lambda x: ops.vander(x[0], 3),
        lambda x: ops.cross(x[:, :3], x[:, 1:]),
        lambda x: ops.corrcoef(x),
        lambda x: ops.cdist(x, x[::-1] + 1),
        lambda x: ops.correlate(x.ravel() if False else ops.reshape(x, (-1,)), x[0], "full"),
        lambda x: ops.dstack([x, x]),
        lambda x: ops.array_split(x, 3, axis=1)[0],
    ],
    ids=[
        "diff",
        "trapezoid",
        "kron",
        "vander",
        "cross",
        "corrcoef",
        "cdist",
        "correlate",
        "dstack",
        "array_split",
    ],
)
def test_array_op_gradients(fn):
    assert check_gradients(fn, A) < 1e-6


def test_value_only_array_ops():
    w = np.array([3, 1, 2, 3, 1, 5])
    values, index, inverse, counts = ops.unique(
        w, return_index=True, return_inverse=True, return_counts=True
    )
    np.testing.assert_array_equal(_v(values), [1, 2, 3, 5])
    np.testing.assert_array_equal(_v(values)[_v(inverse)], w)
    np.testing.assert_array_equal(_v(counts), [2, 1, 2, 1])
    np.testing.assert_array_equal(_v(index), [1, 2, 0, 5])
    np.testing.assert_array_equal(_v(ops.unique(w, sorted=False)), [3, 1, 2, 5])
    np.testing.assert_array_equal(_v(ops.unique(w, size=6, fill_value=-1)), [1, 2, 3, 5, -1, -1])
    counts, edges = ops.histogram(A.ravel(), bins=4)
    ref_counts, ref_edges = np.histogram(A.ravel(), bins=4)
    np.testing.assert_array_equal(_v(counts), ref_counts)
    np.testing.assert_allclose(_v(edges), ref_edges, rtol=1e-6)
    for name in ("bartlett", "blackman", "hamming", "hanning"):
        np.testing.assert_allclose(_v(getattr(ops, name)(7)), getattr(np, name)(7), rtol=1e-6)
    np.testing.assert_allclose(_v(ops.kaiser(7, 3.0)), np.kaiser(7, 3.0), rtol=1e-6)
    np.testing.assert_allclose(_v(ops.logspace(0, 2, 3)), [1, 10, 100])
    np.testing.assert_allclose(_v(ops.geomspace(1, 8, 4)), [1, 2, 4, 8], rtol=1e-6)
    rows, cols = ops.unravel_index(np.array([5, 7]), (3, 4))
    np.testing.assert_array_equal(_v(rows), [1, 1])
    np.testing.assert_array_equal(_v(cols), [1, 3])
    assert bool(_v(ops.allclose(A, A + 1e-9))) and not bool(_v(ops.allclose(A, A + 1)))
    assert ops.empty_like(A, dtype="int32").dtype == "int32"
    assert _v(ops.view(np.array([1.0], np.float32), "int32"))[0] == 1065353216
    f = ops.vectorize(lambda a, b: a + b if a > b else a - b)
    np.testing.assert_array_equal(_v(f([1, 2, 3], 2)), [-1, 0, 5])


def test_fft_family_values_and_gradients():
    re, im = A, B
    out = ops.fft((re, im))
    np.testing.assert_allclose(_v(out[0]) + 1j * _v(out[1]), np.fft.fft(re + 1j * im))
    out = ops.fft2((re, im))
    np.testing.assert_allclose(_v(out[0]) + 1j * _v(out[1]), np.fft.fft2(re + 1j * im))
    out = ops.ifft2((re, im))
    np.testing.assert_allclose(_v(out[0]) + 1j * _v(out[1]), np.fft.ifft2(re + 1j * im))
    out = ops.rfft(re, 6)
    np.testing.assert_allclose(_v(out[0]) + 1j * _v(out[1]), np.fft.rfft(re, 6))
    np.testing.assert_allclose(_v(ops.irfft((re, im), 5)), np.fft.irfft(re + 1j * im, 5))
    for k in (0, 1):
        assert check_gradients(lambda p, q: ops.fft((p, q))[k], re, im) < 1e-6
        assert check_gradients(lambda p, q: ops.fft2((p, q))[k], re, im) < 1e-6
        assert check_gradients(lambda p, q: ops.ifft2((p, q))[k], re, im) < 1e-6
        for n in (None, 3, 7):
            assert check_gradients(lambda p: ops.rfft(p, n)[k], re) < 1e-6
    for n in (None, 5, 6, 9):
        assert check_gradients(lambda p, q: ops.irfft((p, q), n), re, im) < 1e-6


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("window", ["hann", "hamming", None])
def test_stft_istft_match_keras_and_differentiate(center, window):
    signal = np.random.default_rng(0).standard_normal((2, 40))
    tag = f"{'c' if center else 'n'}_{window}"
    re, im = ops.stft(signal, 8, 4, 16, window=window, center=center)
    np.testing.assert_allclose(_v(re), REF[f"stft_re_{tag}"], atol=2e-6)
    np.testing.assert_allclose(_v(im), REF[f"stft_im_{tag}"], atol=2e-6)
    back = ops.istft(
        (REF[f"stft_re_{tag}"], REF[f"stft_im_{tag}"]), 8, 4, 16, window=window, center=center
    )
    np.testing.assert_allclose(_v(back), REF[f"istft_{tag}"], atol=2e-6)
    if window is not None and center:  # a tapered window: the round trip gives the signal back
        np.testing.assert_allclose(
            _v(ops.istft((re, im), 8, 4, 16, length=40, window=window)), signal, atol=1e-10
        )
    assert (
        check_gradients(
            lambda p: ops.stft(p, 8, 4, 16, window=window, center=center)[1], signal[:, :20]
        )
        < 1e-6
    )
    spec = [
        np.asarray(t.data[:, :3], np.float64)
        for t in ops.stft(signal, 8, 4, 16, window=window, center=center)
    ]
    assert (
        check_gradients(
            lambda p, q: ops.istft((p, q), 8, 4, 16, window=window, center=center), *spec
        )
        < 1e-6
    )


def test_linalg_extras():
    m = rng.standard_normal((2, 3, 3))
    sign, logabs = ops.slogdet(m)
    ref = np.linalg.slogdet(m)
    np.testing.assert_allclose(_v(sign), ref.sign)
    np.testing.assert_allclose(_v(logabs), ref.logabsdet)
    spd = m @ np.swapaxes(m, -1, -2) + 3 * np.eye(3)
    np.testing.assert_allclose(_v(ops.logdet(spd)), np.log(np.linalg.det(spd)))
    rect = rng.standard_normal((4, 3))
    np.testing.assert_allclose(_v(ops.pinv(rect)), np.linalg.pinv(rect))
    assert int(_v(ops.matrix_rank(np.ones((3, 3))))) == 1
    chol = np.linalg.cholesky(spd[0])
    np.testing.assert_allclose(_v(ops.cholesky_inverse(chol)), np.linalg.inv(spd[0]))
    np.testing.assert_allclose(_v(ops.cholesky_inverse(chol.T, upper=True)), np.linalg.inv(spd[0]))
    assert check_gradients(lambda x: ops.slogdet(x)[1], m) < 1e-6
    assert check_gradients(ops.logdet, spd) < 1e-6
    assert check_gradients(ops.pinv, rect) < 1e-6
    assert check_gradients(ops.pinv, rect.T) < 1e-6
    assert check_gradients(ops.cholesky_inverse, chol) < 1e-6


def test_nn_extras_match_keras():
    x = REF["x"].astype(np.float64)
    xc = np.transpose(x, (0, 3, 1, 2))
    np.testing.assert_allclose(_v(ops.adaptive_average_pool(x, (3, 4))), REF["aap"], rtol=1e-6)
    np.testing.assert_allclose(_v(ops.adaptive_max_pool(x, (2, 3))), REF["amp"], rtol=1e-6)
    np.testing.assert_allclose(_v(ops.nn.adaptive_average_pool(x[:, 0], 3)), REF["aap1"], rtol=1e-6)
    np.testing.assert_allclose(
        _v(ops.unfold(xc, (2, 3), padding=1, stride=(1, 2))), REF["unf"], rtol=1e-6
    )
    np.testing.assert_allclose(_v(ops.space_to_depth(x[:, :4, :6], 2)), REF["s2d"])
    np.testing.assert_allclose(
        _v(ops.depth_to_space(ops.space_to_depth(x[:, :4, :6], 2), 2)), x[:, :4, :6]
    )
    np.testing.assert_allclose(_v(ops.psnr(x, x * 0.9, 1.0)), REF["psnr"], rtol=1e-6)
    # fold is unfold's adjoint: <unfold(a), b> == <a, fold(b)>
    b = rng.standard_normal(REF["unf"].shape)
    lhs = np.sum(_v(ops.unfold(xc, (2, 3), padding=1, stride=(1, 2))) * b)
    rhs = np.sum(xc * _v(ops.fold(b, (5, 7), (2, 3), padding=1, stride=(1, 2))))
    np.testing.assert_allclose(lhs, rhs)


def test_sparsemax_is_a_projection_on_the_simplex():
    # Keras 3.15's own sparsemax sums the cumulative sums of the whole support for tau, so its
    # rows need not sum to 1; lamina follows Martins & Astudillo (2016): rows sum to 1
    z = rng.standard_normal((5, 6)) * 2
    out = _v(ops.sparsemax(z))
    np.testing.assert_allclose(out.sum(-1), 1.0)
    assert (out == 0).any()
    np.testing.assert_allclose(
        _v(ops.sparsemax(np.array([-1.0, 0.0, 1.0]))), [0, 0, 1]
    )  # Keras's doc example
    np.testing.assert_allclose(
        _v(ops.sparse_sigmoid(np.array([-2.0, -0.5, 0.5, 3.0]))), [0, 0.25, 0.75, 1]
    )


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: ops.space_to_depth(x, 2),
        lambda x: ops.depth_to_space(x, 2, "channels_first"),
        lambda x: ops.adaptive_average_pool(x, (3, 2)),
        lambda x: ops.adaptive_max_pool(x, 2, "channels_first"),
        lambda x: ops.unfold(x, 2, padding=1),
        lambda x: ops.sparsemax(x, axis=1),
        lambda x: ops.sparse_sigmoid(x),
        lambda x: ops.psnr(x, x * 0.5 + 0.1, 2.0),
        lambda x: ops.extract_sequences(ops.reshape(x, (2, -1)), 5, 3),
    ],
    ids=[
        "space_to_depth",
        "depth_to_space",
        "adaptive_avg",
        "adaptive_max",
        "unfold",
        "sparsemax",
        "sparse_sigmoid",
        "psnr",
        "extract_sequences",
    ],
)
def test_nn_extra_gradients(fn):
    assert check_gradients(fn, rng.standard_normal((2, 4, 4, 4))) < 1e-6


def test_segments_cast_and_complex_helpers():
    data = rng.standard_normal((5, 2))
    ids = np.array([0, 0, 1, 2, 2])
    np.testing.assert_allclose(
        _v(ops.segment_min(data, ids)), [data[:2].min(0), data[2], data[3:].min(0)]
    )
    np.testing.assert_allclose(
        _v(ops.segment_prod(data, ids)), [data[:2].prod(0), data[2], data[3:].prod(0)]
    )
    assert check_gradients(lambda d: ops.segment_prod(d, ids), data) < 1e-6
    assert check_gradients(lambda d: ops.segment_min(d, ids), data) < 1e-6
    np.testing.assert_array_equal(
        _v(ops.saturate_cast(np.array([-300.0, 5.0, 300.0]), "uint8")), [0, 5, 255]
    )
    np.testing.assert_array_equal(
        _v(ops.extract_sequences(np.arange(10.0), 4, 3)), [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    )
    z = _v(ops.polar(np.array([2.0]), np.array([np.pi / 2])))
    np.testing.assert_allclose([z.real[0], z.imag[0]], [0, 2], atol=1e-12)
    np.testing.assert_allclose(_v(ops.view_as_real(ops.view_as_complex(A[:, :2]))), A[:, :2])


def test_new_ops_build_functional_models():
    inp = lamina.Input((6,))
    out = ops.nanmean(ops.diff(inp), axis=-1)
    model = lamina.Model(inp, out)
    np.testing.assert_allclose(
        _v(model(A[:, :4].repeat(2, 1)[:, :6])),
        np.mean(np.diff(A[:, :4].repeat(2, 1)[:, :6]), -1),
        rtol=1e-6,
    )


def test_rearrange_matches_einops_semantics():
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(_v(ops.rearrange(x, "b h w -> b (h w)")), x.reshape(2, 12))
    np.testing.assert_array_equal(
        _v(ops.rearrange(x, "b h (w p) -> b p h w", p=2)),
        x.reshape(2, 3, 2, 2).transpose(0, 3, 1, 2),
    )
    np.testing.assert_array_equal(_v(ops.rearrange(x, "b ... w -> w b ...")), x.transpose(2, 0, 1))
    np.testing.assert_array_equal(_v(ops.rearrange(x, "b h w -> b 1 h w")), x[:, None])
    with pytest.raises(ValueError, match="infer"):
        ops.rearrange(x, "b h (w p q) -> b h w p q")
    with pytest.raises(ValueError, match="same axes"):
        ops.rearrange(x, "b h w -> b h")
    assert check_gradients(lambda t: ops.rearrange(t, "b h (w p) -> (b p) h w", p=2), x) < 1e-6


def test_associative_scan_on_structures_and_gradient():
    x = np.arange(1.0, 6.0)
    np.testing.assert_allclose(_v(ops.associative_scan(lambda a, b: a + b, x)), np.cumsum(x))
    np.testing.assert_allclose(
        _v(ops.associative_scan(lambda a, b: a + b, x, reverse=True)), np.cumsum(x[::-1])[::-1]
    )
    m = A  # (3, 4): running products along axis 1
    np.testing.assert_allclose(
        _v(ops.associative_scan(ops.multiply, m, axis=1)), np.cumprod(m, axis=1)
    )
    pair = ops.associative_scan(
        lambda a, b: (a[0] + b[0], ops.maximum(a[1], b[1])), (x, x[::-1].copy())
    )
    np.testing.assert_allclose(_v(pair[0]), np.cumsum(x))
    np.testing.assert_allclose(_v(pair[1]), np.maximum.accumulate(x[::-1]))
    assert check_gradients(lambda t: ops.associative_scan(ops.multiply, t, axis=1), m) < 1e-6


def test_ctc_loss_and_decode_match_keras():
    logits, labels = REF["ctc_logits"], REF["ctc_y"]
    loss = ops.ctc_loss(labels, logits, np.array([3, 2]), np.array([6, 5]))
    np.testing.assert_allclose(_v(loss), REF["ctc_loss"], rtol=1e-6)
    other_blank = ops.nn.ctc_loss(
        np.array([[1, 2, 0, 0], [0, 1, 0, 0]]),
        logits,
        np.array([2, 2]),
        np.array([6, 6]),
        mask_index=3,
    )
    np.testing.assert_allclose(_v(other_blank), REF["ctc_loss_m3"], rtol=1e-6)
    np.testing.assert_allclose(_v(lamina.losses.CTC()(labels, logits)), REF["ctc_CTC"], rtol=1e-6)
    grad_fn = lambda z: ops.ctc_loss(labels, z, np.array([3, 2]), np.array([6, 5]))  # noqa: E731
    assert check_gradients(grad_fn, logits.astype(np.float64)) < 1e-6
    paths, scores = ops.ctc_decode(logits, np.array([6, 5]))
    np.testing.assert_array_equal(_v(paths), REF["ctc_greedy_paths"])
    np.testing.assert_allclose(_v(scores), REF["ctc_greedy_scores"], rtol=1e-6)
    paths, scores = ops.ctc_decode(
        logits, np.array([6, 5]), strategy="beam_search", beam_width=10, top_paths=3
    )
    np.testing.assert_array_equal(_v(paths), REF["ctc_beam_paths"])
    np.testing.assert_allclose(_v(scores), REF["ctc_beam_scores"], rtol=1e-5)


def test_ctc_beam_search_probabilities_are_exact_for_a_wide_beam():
    # with a beam wider than every prefix, each score is log P(labelling) summed over alignments
    logits = np.random.default_rng(3).standard_normal((1, 3, 3))
    paths, scores = ops.ctc_decode(
        logits, np.array([3]), strategy="beam_search", beam_width=50, top_paths=4
    )
    for k in range(4):
        label = [int(c) for c in _v(paths)[k, 0] if c >= 0]
        loss = _v(
            ops.ctc_loss(np.array([label or [0]]), logits, np.array([len(label)]), np.array([3]))
        )
        np.testing.assert_allclose(-loss[0], _v(scores)[0, k], rtol=1e-5)


def test_image_filters_match_keras():
    im, im2, vol = REF["img_im"], REF["img_im2"], REF["img_vol"]
    np.testing.assert_allclose(
        _v(ops.image.gaussian_blur(im, (3, 5), (1.0, 2.0))), REF["img_blur"], atol=1e-6
    )
    first = np.transpose(im, (0, 3, 1, 2))
    blurred = ops.image.gaussian_blur(first, (5, 3), (1.5, 0.5), data_format="channels_first")
    np.testing.assert_allclose(_v(blurred), REF["img_blur_cf"], atol=1e-6)
    np.testing.assert_allclose(_v(ops.image.sobel_edges(im)), REF["img_sobel"], atol=1e-6)
    np.testing.assert_allclose(
        _v(ops.image.ssim(im, im2, filter_size=5)), REF["img_ssim"], rtol=1e-5
    )
    assert np.isclose(float(_v(ops.image.ssim(im[0], im[0], filter_size=7))), 1.0)
    patches = ops.image.extract_patches_3d(vol, (2, 2, 3), strides=(1, 2, 2))
    np.testing.assert_array_equal(_v(patches), REF["img_p3d"])


def test_image_filter_gradients():
    x = REF["img_im"][:1, :6, :5, :2].astype(np.float64)
    assert check_gradients(lambda t: ops.image.gaussian_blur(t, (3, 5), (1.0, 2.0)), x) < 1e-6
    assert check_gradients(ops.image.sobel_edges, x) < 1e-6
    assert check_gradients(lambda t: ops.image.ssim(t, x * 0.9 + 0.05, filter_size=3), x) < 1e-6
    vol = REF["img_vol"][:, :2, :3, :3].astype(np.float64)
    assert check_gradients(lambda t: ops.image.extract_patches_3d(t, (2, 2, 1)), vol) < 1e-6
