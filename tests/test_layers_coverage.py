"""Layers added for Keras API coverage: the layer harness (shapes, symbolic call, config
round trip, float64 gradients, a training step) and Keras's formulas on known weights."""

import numpy as np
import pytest

import lamina
from lamina import layers
from tests.helpers.layer_test import run_layer_test

rng = np.random.default_rng(0)


def _v(t):
    return np.asarray(t.data if hasattr(t, "data") else t)


@pytest.mark.parametrize(
    "cls,kwargs,shape,out_shape,params",
    [
        (layers.PReLU, {"alpha_initializer": "random_normal"}, (2, 3, 4), (2, 3, 4), 12),
        (
            layers.PReLU,
            {"shared_axes": [1], "alpha_initializer": "random_normal"},
            (2, 3, 4),
            (2, 3, 4),
            4,
        ),
        (layers.ELU, {"alpha": 0.7}, (2, 5), (2, 5), 0),
        (layers.Identity, {}, (2, 5), (2, 5), 0),
        (layers.UnitNormalization, {}, (2, 5), (2, 5), 0),
        (layers.UnitNormalization, {"axis": [1, 2]}, (2, 3, 4), (2, 3, 4), 0),
        (layers.RMSNormalization, {}, (2, 3, 4), (2, 3, 4), 4),
        (layers.RMSNormalization, {"axis": [1, 2], "epsilon": 1e-3}, (2, 3, 4), (2, 3, 4), 12),
        (layers.AlphaDropout, {"rate": 0.3}, (2, 5), (2, 5), 0),
        (layers.ActivityRegularization, {"l1": 0.1, "l2": 0.2}, (2, 5), (2, 5), 0),
        (layers.SpatialDropout3D, {"rate": 0.3}, (2, 2, 2, 2, 3), (2, 2, 2, 2, 3), 0),
        (
            layers.EinsumDense,
            {"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "c"},
            (2, 4),
            (2, 3),
            15,
        ),
        (
            layers.EinsumDense,
            {"equation": "abc,cd->abd", "output_shape": (5, 3)},
            (2, 5, 4),
            (2, 5, 3),
            12,
        ),
        (
            layers.EinsumDense,
            {
                "equation": "...b,bcd->...cd",
                "output_shape": (2, 3),
                "bias_axes": "d",
                "activation": "tanh",
            },
            (2, 5, 4),
            (2, 5, 2, 3),
            27,
        ),
        (layers.AdaptiveAveragePooling1D, {"output_size": 3}, (2, 7, 2), (2, 3, 2), 0),
        (layers.AdaptiveMaxPooling2D, {"output_size": (2, 3)}, (2, 5, 7, 2), (2, 2, 3, 2), 0),
        (
            layers.AdaptiveAveragePooling3D,
            {"output_size": 2, "data_format": "channels_first"},
            (1, 2, 3, 4, 5),
            (1, 2, 2, 2, 2),
            0,
        ),
        (layers.AdaptiveMaxPooling1D, {"output_size": 2}, (2, 5, 2), (2, 2, 2), 0),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_layer_harness(cls, kwargs, shape, out_shape, params):
    run_layer_test(
        cls, kwargs, input_shape=shape, expected_output_shape=out_shape, expected_num_params=params
    )


def test_prelu_and_elu_formulas():
    x = np.array([[-2.0, -0.5, 0.0, 1.5]], np.float32)
    layer = layers.PReLU(alpha_initializer=lamina.initializers.Constant(0.25))
    np.testing.assert_allclose(_v(layer(x)), [[-0.5, -0.125, 0.0, 1.5]])
    assert layer.get_config()["alpha_initializer"]["class_name"] == "Constant"
    np.testing.assert_allclose(
        _v(layers.ELU(alpha=0.5)(x)), np.where(x > 0, x, 0.5 * (np.exp(x) - 1)), rtol=1e-6
    )


def test_normalization_formulas():
    x = rng.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(
        _v(layers.UnitNormalization()(x)), x / np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-6
    )
    layer = layers.RMSNormalization(epsilon=1e-6)
    layer.build(x.shape)
    layer.scale.assign(np.array([1.0, 2.0, 0.5, -1.0], np.float32))
    ref = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + 1e-6) * [1.0, 2.0, 0.5, -1.0]
    np.testing.assert_allclose(_v(layer(x)), ref, rtol=1e-5)


def test_alpha_dropout_keeps_selu_statistics():
    x = lamina.activations.selu(rng.standard_normal((400, 500)).astype(np.float32))
    out = _v(layers.AlphaDropout(0.2, seed=3)(x, training=True))
    assert abs(out.mean()) < 0.01 and abs(out.std() - 1) < 0.01, (out.mean(), out.std())
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * alpha_p**2)) ** -0.5
    dropped = np.isclose(out, a * alpha_p - a * alpha_p * 0.2)
    assert 0.19 < dropped.mean() < 0.21
    np.testing.assert_array_equal(_v(layers.AlphaDropout(0.2)(x)), _v(x))  # inference: identity


def test_activity_regularization_adds_its_loss():
    x = np.array([[1.0, -2.0], [0.5, 0.0]], np.float32)
    inp = layers.Input((2,))
    model = lamina.Model(inp, layers.ActivityRegularization(l1=0.1, l2=0.01)(inp))
    model(x)
    assert np.isclose(float(_v(sum(model.losses))), 0.1 * 3.5 + 0.01 * 5.25)
    assert "activity_regularizer" not in layers.ActivityRegularization().get_config()


def test_einsum_dense_matches_einsum_and_rejects_bad_equations():
    x = rng.standard_normal((2, 5, 4)).astype(np.float32)
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(5, 2, 3), bias_axes="de")
    y = _v(layer(x))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (4, 2, 3) and bias.shape == (2, 3)
    np.testing.assert_allclose(y, np.einsum("abc,cde->abde", x, kernel) + bias, rtol=1e-5)
    assert layer.compute_output_shape((None, 5, 4)) == (None, 5, 2, 3)
    with pytest.raises(ValueError, match="equation"):
        layers.EinsumDense("ab->b", 3)(x)
    with pytest.raises(ValueError, match="bias_axes"):
        layers.EinsumDense("abc,cd->abd", (5, 3), bias_axes="z")(x)


def test_additive_attention_formula_and_harness():
    q = rng.standard_normal((2, 3, 4)).astype(np.float32)
    v = rng.standard_normal((2, 5, 4)).astype(np.float32)
    layer = layers.AdditiveAttention()
    out = _v(layer([q, v]))
    scale = layer.get_weights()[0]
    assert scale.shape == (4,)
    scores = np.sum(scale * np.tanh(q[:, :, None, :] + v[:, None, :, :]), axis=-1)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    np.testing.assert_allclose(out, weights @ v, rtol=1e-5, atol=1e-6)
    config = layer.get_config()
    assert config["use_scale"] is True and "score_mode" not in config
    clone = layers.AdditiveAttention.from_config(config)
    clone([q, v])
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(_v(clone([q, v])), out)
    g_layer = layers.AdditiveAttention(dtype="float64")
    q64, v64 = q.astype(np.float64), v.astype(np.float64)
    g_layer([q64, v64])
    err = lamina.utils.check_gradients(lambda a, b, s: g_layer([a, b]), q64, v64, g_layer.scale)
    assert err < 1e-6


def test_keras_aliases():
    assert layers.Convolution1DTranspose is layers.Conv1DTranspose
    assert layers.SeparableConvolution1D is layers.SeparableConv1D


def test_layers_in_a_saved_model_round_trip(tmp_path):
    inp = layers.Input((6, 4))
    x = layers.EinsumDense("...b,bc->...c", 3, bias_axes="c")(inp)
    x = layers.PReLU()(x)
    x = layers.RMSNormalization()(x)
    x = layers.AdaptiveAveragePooling1D(2)(x)
    model = lamina.Model(inp, layers.Flatten()(x))
    data = rng.standard_normal((2, 6, 4)).astype(np.float32)
    path = tmp_path / "m.keras"
    model.save(path)
    again = lamina.saving.load_model(path)
    np.testing.assert_allclose(_v(again(data)), _v(model(data)), rtol=1e-6)


def test_reversible_embedding_tied_and_untied():
    ids = np.array([[1, 2, 3], [4, 0, 9]])
    tied = layers.ReversibleEmbedding(10, 4)
    vectors = tied(ids)
    logits = _v(tied(vectors, reverse=True))
    table = tied.get_weights()[0]
    np.testing.assert_allclose(logits, _v(vectors) @ table.T, rtol=1e-6)
    capped = layers.ReversibleEmbedding(10, 4, tie_weights=False, logit_soft_cap=0.01)
    out = _v(capped(capped(ids), reverse=True))
    assert len(capped.weights) == 2 and np.abs(out).max() <= 0.01
    inp = lamina.Input((3,), dtype="int32")
    model = lamina.Model(inp, tied(tied(inp), reverse=True))
    assert model.output_shape == (None, 3, 10)
    np.testing.assert_allclose(_v(model(ids)), logits, rtol=1e-6)
    config = capped.get_config()
    assert config["tie_weights"] is False and config["logit_soft_cap"] == 0.01
    assert layers.ReversibleEmbedding.from_config(config).get_config() == config
    g = layers.ReversibleEmbedding(6, 3, dtype="float64")
    g(ids % 6)
    err = lamina.utils.check_gradients(
        lambda v, w: g(v, reverse=True), rng.standard_normal((2, 3)), g.embeddings
    )
    assert err < 1e-6


def test_spectral_normalization_scales_kernel_to_unit_norm():
    x = rng.standard_normal((8, 5)).astype(np.float32)
    layer = layers.SpectralNormalization(layers.Dense(3), power_iterations=1)
    before = _v(layer(x))
    np.testing.assert_allclose(before, _v(layer.layer(x)))  # inference: the kernel as it is
    for _ in range(30):
        layer(x, training=True)
    sigma = np.linalg.svd(layer.layer.kernel.numpy(), compute_uv=False)[0]
    assert abs(sigma - 1.0) < 1e-4
    assert [w.name for w in layer.non_trainable_weights] == ["vector_u"]
    config = layer.get_config()
    assert config["power_iterations"] == 1 and config["layer"]["class_name"] == "Dense"
    clone = layers.SpectralNormalization.from_config(config)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(_v(clone(x)), _v(layer(x)), rtol=1e-6)
    g = layers.SpectralNormalization(layers.Dense(3, dtype="float64"), dtype="float64")
    x64 = x.astype(np.float64)
    g(x64)
    assert lamina.utils.check_gradients(lambda t, k: g(t), x64, g.layer.kernel) < 1e-6
    with pytest.raises(ValueError, match="kernel"):
        layers.SpectralNormalization(layers.Dropout(0.1))(x)


def test_pipeline_applies_layers_in_order_and_round_trips():
    pipe = layers.Pipeline([layers.Rescaling(2.0, offset=1.0), layers.Dropout(0.5, seed=1)])
    x = np.ones((4, 6), np.float32)
    np.testing.assert_allclose(_v(pipe(x, training=False)), np.full((4, 6), 3.0))
    trained = _v(pipe(x))  # training defaults to True: the dropout acts
    assert set(np.unique(trained)) <= {0.0, 6.0} and (trained == 0).any()
    config = pipe.get_config()
    assert [c["class_name"] for c in config["layers"]] == ["Rescaling", "Dropout"]
    again = layers.Pipeline.from_config(config)
    np.testing.assert_allclose(_v(again(x, training=False)), np.full((4, 6), 3.0))
    assert again.compute_output_shape((None, 6)) == (None, 6)


REF = np.load(__import__("pathlib").Path(__file__).parent / "data" / "keras_ops_reference.npz")


@pytest.mark.parametrize("mode", ["log", "magnitude", "psd", "real", "imag", "angle", "stft"])
def test_stft_spectrogram_matches_keras(mode):
    x = REF["stftl_x"]
    out = _v(layers.STFTSpectrogram(mode=mode, frame_length=16, frame_step=8)(x))
    ref = REF[f"stftl_{mode}"]
    if mode == "angle":  # +-pi on the real axis depends on the sign of a zero
        out, ref = np.cos(out), np.cos(ref)
    np.testing.assert_allclose(out, ref, atol=2e-5)


def test_stft_spectrogram_options_initializer_and_harness():
    x = REF["stftl_x"]
    layer = layers.STFTSpectrogram(
        mode="log",
        frame_length=12,
        fft_length=16,
        padding="same",
        expand_dims=True,
        window="hamming",
        periodic=True,
        scaling="spectrum",
    )
    np.testing.assert_allclose(_v(layer(x)), REF["stftl_same_exp"], atol=1e-4)
    first = layers.STFTSpectrogram(mode="magnitude", frame_length=16, data_format="channels_first")
    np.testing.assert_allclose(_v(first(np.transpose(x, (0, 2, 1)))), REF["stftl_cf"], atol=2e-5)
    kernel = _v(lamina.initializers.STFT("imag", "hamming", "spectrum", True)((8, 2, 5)))
    np.testing.assert_allclose(
        kernel[3, 1], [0.0, -1.4162908e-01, 2.0029378e-01, -1.4162908e-01, 0.0], atol=1e-6
    )
    assert lamina.initializers.get("stft").get_config() == {
        "side": "real",
        "window": "hann",
        "scaling": "density",
        "periodic": False,
    }
    run_layer_test(
        layers.STFTSpectrogram,
        {"mode": "magnitude", "frame_length": 8, "frame_step": 4},
        input_shape=(2, 24, 1),
        expected_output_shape=(2, 5, 5),
        expected_num_params=80,
        check_training=False,
        grad_tol=1e-5,
    )


def test_mel_spectrogram_matches_keras():
    x = REF["mel_x"]
    layer = layers.MelSpectrogram(
        fft_length=256, sequence_stride=128, num_mel_bins=20, sampling_rate=8000
    )
    out = _v(layer(x))
    np.testing.assert_allclose(out, REF["mel_mel"], atol=1e-4)
    assert layer.compute_output_shape((None, 1000)) == (None, 20, 8)
    assert out.max() - out.min() <= 80.0 + 1e-4  # top_db clips the dynamic range
    plain = layers.MelSpectrogram(
        fft_length=128,
        sequence_stride=64,
        sequence_length=100,
        num_mel_bins=10,
        sampling_rate=8000,
        power_to_db=False,
        mag_exp=1.0,
        window="hamming",
    )
    np.testing.assert_allclose(_v(plain(x)), REF["mel_mel_nodb"], rtol=1e-5, atol=1e-4)
    config = layer.get_config()
    assert config["num_mel_bins"] == 20 and config["max_freq"] == 4000
    np.testing.assert_allclose(_v(layers.MelSpectrogram.from_config(config)(x)), out, atol=1e-6)
    g = layers.MelSpectrogram(
        fft_length=16, sequence_stride=8, num_mel_bins=4, sampling_rate=800, dtype="float64"
    )
    assert lamina.utils.check_gradients(lambda s: g(s), rng.standard_normal((1, 40))) < 1e-5


IMAGES = (np.random.default_rng(5).random((4, 5, 6, 3)) * 255).astype(np.float32)


def test_grayscale_invert_solarization_autocontrast():
    gray = _v(layers.RandomGrayscale(factor=1.0)(IMAGES))
    luma = IMAGES @ np.array([0.2989, 0.587, 0.114], np.float32)
    np.testing.assert_allclose(gray, np.repeat(luma[..., None], 3, -1), rtol=1e-3, atol=1e-2)
    np.testing.assert_array_equal(_v(layers.RandomGrayscale(factor=0.0)(IMAGES)), IMAGES)
    np.testing.assert_array_equal(
        _v(layers.RandomGrayscale(factor=1.0)(IMAGES, training=False)), IMAGES
    )
    inverted = _v(layers.RandomInvert(factor=1.0, seed=1)(IMAGES))
    per_image = [
        np.array_equal(a, 255 - b) or np.array_equal(a, b) for a, b in zip(inverted, IMAGES)
    ]
    assert all(per_image)
    np.testing.assert_allclose(
        _v(layers.Solarization()(IMAGES)), 255 - IMAGES, rtol=1e-6
    )  # threshold 0
    unit = IMAGES / 255
    np.testing.assert_allclose(
        _v(layers.Solarization(value_range=(0, 1))(unit)), 1 - unit, rtol=1e-5, atol=1e-6
    )
    stretched = _v(layers.AutoContrast()(IMAGES * 0.5 + 10))
    np.testing.assert_allclose(stretched.min(axis=(1, 2)), 0, atol=1e-3)
    np.testing.assert_allclose(stretched.max(axis=(1, 2)), 255, rtol=1e-5)
    flat = np.full((1, 2, 2, 3), 7.0, np.float32)
    np.testing.assert_array_equal(_v(layers.AutoContrast()(flat)), flat)
    for cls, kwargs in (
        (layers.RandomGrayscale, {"factor": 0.3, "seed": 2}),
        (layers.RandomInvert, {"factor": 0.4}),
        (layers.Solarization, {"addition_factor": 0.2}),
        (layers.AutoContrast, {"value_range": (0, 1)}),
    ):
        layer = cls(**kwargs)
        assert cls.from_config(layer.get_config()).get_config() == layer.get_config()


def test_mix_up_blends_images_and_labels_alike():
    labels = np.eye(4, dtype=np.float32)
    out = layers.MixUp(alpha=0.4, seed=0)({"images": IMAGES, "labels": labels})
    mixed, soft = _v(out["images"]), _v(out["labels"])
    np.testing.assert_allclose(soft.sum(1), 1.0, rtol=1e-6)
    for i in range(4):  # image i = w x_i + (1 - w) x_j with the label's weights
        j = int(np.argmax(soft[i] * (np.arange(4) != i))) if soft[i, i] < 1 else i
        w = soft[i, i] if j != i else 1.0
        np.testing.assert_allclose(
            mixed[i], w * IMAGES[i] + (1 - w) * IMAGES[j], rtol=1e-4, atol=1e-3
        )
    np.testing.assert_array_equal(_v(layers.MixUp()(IMAGES, training=False)), IMAGES)
    assert layers.MixUp(alpha=0.3).get_config()["alpha"] == 0.3


def test_saturation_degeneration_posterization():
    np.testing.assert_allclose(
        _v(layers.RandomSaturation(factor=(0.5, 0.5))(IMAGES)), IMAGES, atol=2e-4
    )
    gray = _v(layers.RandomSaturation(factor=(0.0, 0.0))(IMAGES))
    np.testing.assert_allclose(gray[..., 0], gray[..., 1], atol=1e-3)
    np.testing.assert_allclose(gray[..., 0], IMAGES.max(-1), rtol=1e-5)  # V is kept
    vivid = _v(layers.RandomSaturation(factor=(0.9, 0.9))(IMAGES))
    assert vivid.min() >= -1e-3 and vivid.max() <= 255 + 1e-3
    degenerate = _v(layers.RandomColorDegeneration(factor=(1.0, 1.0))(IMAGES))
    luma = IMAGES @ np.array([0.2989, 0.587, 0.114], np.float32)
    np.testing.assert_allclose(degenerate, np.repeat(luma[..., None], 3, -1), rtol=1e-3, atol=1e-2)
    np.testing.assert_array_equal(_v(layers.RandomColorDegeneration(factor=0.0)(IMAGES)), IMAGES)
    two_bits = _v(layers.RandomPosterization(factor=(2, 2))(IMAGES))
    np.testing.assert_array_equal(two_bits, (IMAGES.astype(np.uint8) >> 6 << 6).astype(np.float32))
    unit = _v(layers.RandomPosterization(factor=(1, 1), value_range=(0, 1))(IMAGES / 255))
    np.testing.assert_allclose(np.unique(unit), [0.0, 128 / 255], rtol=1e-6)
    for cls, kwargs in (
        (layers.RandomSaturation, {"factor": 0.4}),
        (layers.RandomColorDegeneration, {"factor": 0.3}),
        (layers.RandomPosterization, {"factor": 4, "seed": 1}),
    ):
        layer = cls(**kwargs)
        assert cls.from_config(layer.get_config()).get_config() == layer.get_config()
        np.testing.assert_array_equal(_v(layer(IMAGES, training=False)), IMAGES)


def test_group_query_attention_matches_keras():
    q, v = REF["gqa_q"], REF["gqa_v"]
    layer = layers.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2)
    layer(q, v)
    layer.set_weights([REF[f"gqa_w_{i}"] for i in range(8)])
    out, scores = layer(q, v, return_attention_scores=True)
    np.testing.assert_allclose(_v(out), REF["gqa_o"], atol=2e-6)
    np.testing.assert_allclose(_v(scores), REF["gqa_s"], atol=2e-6)
    gated = layers.GroupQueryAttention(
        head_dim=3, num_query_heads=4, num_key_value_heads=1, use_gate=True, sliding_window=2
    )
    gated(q, q)
    gated.set_weights([REF[f"gqa_w2_{i}"] for i in range(10)])
    np.testing.assert_allclose(_v(gated(q, q, use_causal_mask=True)), REF["gqa_o2"], atol=2e-6)
    config = gated.get_config()
    assert (
        config["num_key_value_heads"] == 1
        and config["use_gate"] is True
        and "num_heads" not in config
    )
    clone = layers.GroupQueryAttention.from_config(config)
    clone(q, q)
    clone.set_weights(gated.get_weights())
    np.testing.assert_allclose(_v(clone(q, q, use_causal_mask=True)), REF["gqa_o2"], atol=2e-6)
    inp = lamina.Input((5, 8))
    model = lamina.Model(inp, layers.GroupQueryAttention(2, 4, 2)(inp, inp))
    assert model.output_shape == (None, 5, 8)
    g = layers.GroupQueryAttention(
        head_dim=2, num_query_heads=2, num_key_value_heads=1, dtype="float64"
    )
    x = rng.standard_normal((1, 3, 4))
    g(x, x)
    assert (
        lamina.utils.check_gradients(
            lambda t, *w: g(t, t, use_causal_mask=True), x, *g.trainable_weights
        )
        < 1e-6
    )
    with pytest.raises(ValueError, match="multiple"):
        layers.GroupQueryAttention(2, 3, 2)


def test_hue_and_sharpness():
    same = _v(layers.RandomHue(factor=0.0)(IMAGES))
    np.testing.assert_allclose(same, IMAGES, atol=2e-3)
    half_turn = _v(
        layers.RandomHue(factor=(1.0, 1.0), seed=3)(IMAGES)
    )  # hue +- 0.5: opposite colours
    hsv_in = _v(lamina.ops.image.rgb_to_hsv(IMAGES / 255))
    hsv_out = _v(lamina.ops.image.rgb_to_hsv(half_turn / 255))
    turned = np.abs(((hsv_out[..., 0] - hsv_in[..., 0]) % 1.0) - 0.5)
    assert np.median(turned) < 1e-3
    np.testing.assert_allclose(hsv_out[..., 2], hsv_in[..., 2], atol=1e-3)  # value kept
    np.testing.assert_allclose(
        _v(layers.RandomSharpness(factor=(0.5, 0.5))(IMAGES)), IMAGES, atol=1e-3
    )
    blurred = _v(layers.RandomSharpness(factor=(0.0, 0.0))(IMAGES))
    a, b = 1 / 13, 5 / 13
    center = IMAGES[:, 1:-1, 1:-1]
    box = sum(
        IMAGES[:, 1 + i : IMAGES.shape[1] - 1 + i, 1 + j : IMAGES.shape[2] - 1 + j]
        for i in (-1, 0, 1)
        for j in (-1, 0, 1)
    )
    np.testing.assert_allclose(
        blurred[:, 1:-1, 1:-1], a * box + (b - a) * center, rtol=1e-4, atol=1e-3
    )
    sharp = _v(layers.RandomSharpness(factor=(1.0, 1.0))(IMAGES))
    assert sharp.std() > IMAGES.std() and sharp.min() >= 0 and sharp.max() <= 255
    for cls in (layers.RandomHue, layers.RandomSharpness):
        layer = cls(factor=0.3, seed=1)
        assert cls.from_config(layer.get_config()).get_config() == layer.get_config()


def test_random_gaussian_blur_and_cut_mix():
    blurred = _v(
        layers.RandomGaussianBlur(factor=(1.0, 1.0), kernel_size=5, sigma=(0.8, 0.8), seed=1)(
            IMAGES
        )
    )
    reference = _v(lamina.ops.image.gaussian_blur(IMAGES, (5, 5), (0.8 + 1e-6, 0.8 + 1e-6)))
    np.testing.assert_allclose(blurred, reference, rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(_v(layers.RandomGaussianBlur(factor=0.0)(IMAGES)), IMAGES)
    with pytest.raises(ValueError, match="odd"):
        layers.RandomGaussianBlur(kernel_size=4)
    labels = np.eye(4, dtype=np.float32)
    big = (np.random.default_rng(6).random((4, 40, 40, 3)) * 255).astype(np.float32)
    out = layers.CutMix(seed=2)({"images": big, "labels": labels})
    mixed, soft = _v(out["images"]), _v(out["labels"])
    np.testing.assert_allclose(soft.sum(1), 1.0, rtol=1e-6)
    for i in range(4):  # each pixel comes from the image itself or from its one partner
        own = np.all(mixed[i] == big[i], axis=-1)
        partners = [j for j in range(4) if j != i and np.all(mixed[i][~own] == big[j][~own])]
        assert own.all() or partners
        if partners:  # the label keeps (about) the share of pixels kept
            np.testing.assert_allclose(soft[i, i], own.mean(), atol=0.08)
    np.testing.assert_array_equal(_v(layers.CutMix()(IMAGES, training=False)), IMAGES)
    for cls, kwargs in (
        (layers.RandomGaussianBlur, {"factor": 0.5, "kernel_size": (3, 5)}),
        (layers.CutMix, {"factor": 0.7}),
    ):
        layer = cls(**kwargs)
        assert cls.from_config(layer.get_config()).get_config() == layer.get_config()


def test_random_color_jitter_composes_its_parts():
    np.testing.assert_array_equal(_v(layers.RandomColorJitter()(IMAGES)), IMAGES)
    brighter = _v(layers.RandomColorJitter(brightness_factor=(0.2, 0.2))(IMAGES))
    np.testing.assert_allclose(brighter, np.clip(IMAGES + 51, 0, 255), rtol=1e-6)
    jitter = layers.RandomColorJitter(
        brightness_factor=0.1, contrast_factor=0.2, saturation_factor=0.3, hue_factor=0.1, seed=4
    )
    a = _v(jitter(IMAGES))
    assert (
        a.shape == IMAGES.shape and a.min() >= 0 and a.max() <= 255 and not np.allclose(a, IMAGES)
    )
    again = layers.RandomColorJitter.from_config(jitter.get_config())
    np.testing.assert_allclose(_v(again(IMAGES)), a, rtol=1e-5, atol=1e-3)  # same seed, same draws
    np.testing.assert_array_equal(_v(jitter(IMAGES, training=False)), IMAGES)
