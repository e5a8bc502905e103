"""`layer.quantize(mode)` / `model.quantize(mode)` for Dense, EinsumDense and Embedding.

Expected outputs marked "Keras" were produced once with keras 3.15.1 (KERAS_BACKEND=jax, in
/work/peers-venv): the same layer with the same weights (below), `layer.quantize(mode,
config=...)`, then the layer called on the same inputs. tests/fixtures/quantized/quantized.keras
is a Keras-written quantized model (tests/fixtures/make_quantized_fixture.py).
"""
import pathlib
import warnings

import numpy as np
import pytest

import lamina
from lamina import layers, quantizers as Q

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "quantized"
K = (np.sin(np.arange(30.0) * 1.3).reshape(6, 5) * np.linspace(0.2, 2.0, 5)).astype("float32")
B = np.linspace(-0.5, 0.5, 5).astype("float32")
X = np.cos(np.arange(12.0) * 0.7).reshape(2, 6).astype("float32") * 3

DENSE_CASES = {  # (mode, config) -> Keras's output
    "int8": ("int8", None, [[-1.4717374, -0.2250101, 5.345807, 4.312087, -6.451845],
                            [0.5094725, 3.9282756, -1.7695382, -11.072787, -4.092176]]),
    "int8_weight_only": ("int8", lambda: Q.Int8QuantizationConfig(activation_quantizer=None),
                         [[-1.4712334, -0.22586928, 5.3423095, 4.311437, -6.446047],
                          [0.5093303, 3.914053, -1.781576, -11.04824, -4.053199]]),
    "int4_per_channel": ("int4", lambda: Q.Int4QuantizationConfig(block_size=None),
                         [[-1.4616396, -0.34064725, 5.125179, 4.1672697, -6.345441],
                          [0.5073134, 4.087164, -1.7034943, -11.322134, -4.09835]]),
    "int4_blocks": ("int4", lambda: Q.Int4QuantizationConfig(block_size=4),
                    [[-1.4793072, -2.7842104, 5.324415, 6.6937027, -2.3592784],
                     [0.5015563, 1.3643732, -1.7272636, -5.962178, -4.385534]]),
}


def _dense(mode, config):
    layer = layers.Dense(5, name="d")
    layer.build((None, 6))
    layer.set_weights([K, B])
    layer.quantize(mode, config=config() if config else None)
    return layer


@pytest.mark.parametrize("case", sorted(DENSE_CASES))
def test_dense_quantized_matches_keras(case):
    mode, config, expected = DENSE_CASES[case]
    layer = _dense(mode, config)
    np.testing.assert_allclose(layer(X).numpy(), expected, rtol=2e-6, atol=2e-6)
    names = [(v.name, str(v.dtype), tuple(v.shape)) for v in layer.variables]
    if mode == "int8":
        assert names == [("bias", "float32", (5,)), ("kernel", "int8", (6, 5)), ("kernel_scale", "float32", (5,))]
        assert layer.get_config()["dtype"]["config"] == {"mode": "int8", "source_name": "float32"}
    elif case == "int4_blocks":
        assert names[1:] == [("kernel", "int8", (6, 3)), ("kernel_scale", "float32", (2, 5)),
                             ("kernel_zero", "int8", (2, 5)), ("g_idx", "float32", (6,))]
        assert layer.get_config()["dtype"]["config"]["mode"] == "int4/4"
    assert layer.quantization_mode == mode and not layer.kernel.trainable
    assert [v.name for v in layer.trainable_variables] == ["bias"]


def test_int8_dense_formula_and_straight_through_gradient():
    layer = _dense("int8", None)
    # NumPy transcription: per-column kernel scale, per-row input scale, exact integer sums
    ks = 127 / (np.abs(K.astype(np.float64)).max(axis=0) + 1e-7)
    kq = np.clip(np.round(K * ks), -127, 127)
    xs = 127 / (np.abs(X.astype(np.float64)).max(axis=-1, keepdims=True) + 1e-7)
    xq = np.clip(np.round(X * xs), -127, 127)
    np.testing.assert_allclose(layer(X).numpy(), xq @ kq / (xs * ks) + B, rtol=1e-5, atol=1e-5)
    x = lamina.Variable(X)
    with lamina.GradientTape() as tape:
        y = lamina.ops.sum(layer(x) * np.arange(10.0, dtype="float32").reshape(2, 5))
    gx, gb, gk = tape.gradient(y, [x, layer.bias, layer.kernel])
    g = np.arange(10.0).reshape(2, 5)
    np.testing.assert_allclose(gx.numpy(), g @ (kq / ks).T, rtol=1e-5)  # through the dequantized kernel
    np.testing.assert_allclose(gb.numpy(), g.sum(axis=0), rtol=1e-6)
    assert gk is None


EMBED = (np.sin(np.arange(35.0) * 0.9).reshape(7, 5) * np.linspace(0.1, 1.5, 5)).astype("float32")
IDX = np.array([[0, 3, 6], [2, 2, 5]])
EMBED_CASES = {  # Keras's rows for IDX[1]
    "int8": ("int8", None, [[0.04139912, -0.20699558, -0.78658324, -0.8762813, 0.04829897],
                            [-0.04862203, -0.4473227, -0.5931888, 0.07779525, 1.2349997]]),
    "int4_per_channel": ("int4", lambda: Q.Int4QuantizationConfig(block_size=None),
                         [[0.0, -0.25036606, -0.75109816, -0.8762812, 0.0],
                          [0.0, -0.52928555, -0.52928555, 0.0, 1.2349997]]),
    "int4_blocks": ("int4", lambda: Q.Int4QuantizationConfig(block_size=2),
                    [[0.04942062, -0.19768247, -0.09153227, -0.09153227, 0.05043467],
                     [-0.05271929, -0.39539465, -0.5798973, 0.08921497, 1.2349997]]),
}


@pytest.mark.parametrize("case", sorted(EMBED_CASES))
def test_embedding_quantized_matches_keras(case):
    mode, config, expected = EMBED_CASES[case]
    layer = layers.Embedding(7, 5)
    layer.build()
    layer.set_weights([EMBED])
    layer.quantize(mode, config=config() if config else None)
    out = layer(IDX).numpy()
    np.testing.assert_allclose(out[1, 1:], expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(out[1, 0], out[1, 1])
    shapes = [tuple(v.shape) for v in layer.variables]
    assert shapes[:2] == ([(7, 5), (7,)] if mode == "int8" else [(7, 3), (7,) if "channel" in case else (7, 3)])
    if mode == "int8":  # per-row abs-max, transcribed
        s = 127 / (np.abs(EMBED.astype(np.float64)).max(axis=1) + 1e-7)
        np.testing.assert_allclose(out[0, 1], np.round(EMBED[3] * s[3]) / s[3], rtol=1e-6)


EINSUM_CASES = {  # (equation, output_shape, bias_axes, kernel shape, mode, config) -> Keras's first 6 outputs
    "3d_int8": ("abc,cde->abde", (3, 2, 5), "de", (4, 2, 5), "int8", None,
                [-3.5381365, -0.4483195, 2.2910502, 1.914297, -0.9345807, -2.871095], (1, 1, 2, 5)),
    "3d_int4": ("abc,cde->abde", (3, 2, 5), "de", (4, 2, 5), "int4",
                lambda: Q.Int4QuantizationConfig(block_size=None),
                [-3.539352, -0.4615662, 2.2530854, 1.9384376, -1.002919, -2.9039822], (10,)),
    "3d_int4_blocks": ("abc,cde->abde", (3, 2, 5), "de", (4, 2, 5), "int4",
                       lambda: Q.Int4QuantizationConfig(block_size=3),
                       [-3.5392728, -0.6090503, 2.4991448, 1.9255024, -0.8581565, -3.046236], (2, 10)),
    "2d_int8": ("abc,cd->abd", (3, 5), "d", (4, 5), "int8", None,
                [-1.7147305, 2.558493, 3.4817784, 0.59898925, -2.3886929, 1.0413358], (1, 1, 5)),
    "2d_int8_weight_only": ("abc,cd->abd", (3, 5), "d", (4, 5), "int8",
                            lambda: Q.Int8QuantizationConfig(activation_quantizer=None),
                            [-1.7084259, 2.5638084, 3.4802904, 0.5923083, -2.3932266, 1.0434148], (1, 1, 5)),
}


def _einsum(case):
    equation, out, bias, kshape, mode, config, _, _ = EINSUM_CASES[case]
    layer = layers.EinsumDense(equation, out, bias_axes=bias)
    layer.build((2, 3, 4))
    kernel = np.sin(np.arange(np.prod(kshape)) * 1.1).reshape(kshape).astype("float32")
    weights = layer.get_weights()
    weights[0] = kernel
    weights[1] = np.linspace(-1, 1, weights[1].size).reshape(weights[1].shape).astype("float32")
    layer.set_weights(weights)
    layer.quantize(mode, config=config() if config else None)
    return layer, kernel


@pytest.mark.parametrize("case", sorted(EINSUM_CASES))
def test_einsum_dense_quantized_matches_keras(case):
    layer, kernel = _einsum(case)
    x = np.cos(np.arange(24.0) * 0.7).reshape(2, 3, 4).astype("float32") * 2
    np.testing.assert_allclose(layer(x).numpy().ravel()[:6], EINSUM_CASES[case][6], rtol=2e-6, atol=2e-6)
    assert tuple(layer.kernel_scale.shape) == EINSUM_CASES[case][7]  # Keras's output-aligned layout
    xv = lamina.Variable(x)
    with lamina.GradientTape() as tape:
        y = lamina.ops.sum(layer(xv))
    grad = tape.gradient(y, xv).numpy()
    ones = np.ones(layer(x).shape, "float32")
    dequantized = lamina.layers.core.einsum_quantized.float_kernel(layer)
    np.testing.assert_allclose(dequantized, kernel, atol=0.3)  # close to the float kernel
    np.testing.assert_allclose(grad, np.einsum(layer._quant_layout["grad_equation"], ones, dequantized),
                               rtol=1e-5)


def test_quantize_errors_and_model_quantize():
    with pytest.raises(ValueError, match="isn't yet built"):
        layers.Dense(3).quantize("int8")
    layer = _dense("int8", None)
    with pytest.raises(ValueError, match="already quantized"):
        layer.quantize("int8")
    for mode, message in [("gptq", "GPTQConfig"), ("int2", "Invalid quantization mode")]:
        d = layers.Dense(2)
        d.build((None, 3))
        with pytest.raises((NotImplementedError, ValueError), match=message):
            d.quantize(mode)
    with pytest.raises(NotImplementedError, match="GPTQ"):
        d.quantize(config=Q.GPTQConfig(None, None))

    class MyDense(layers.Dense):
        pass

    mine = MyDense(2)
    mine.build((None, 3))
    with pytest.raises(NotImplementedError, match="quantize"):
        mine.quantize("int8")
    mine.quantize("int8", type_check=False)
    with pytest.raises(NotImplementedError, match="quantize"):
        layers.Dropout(0.1).quantize("int8")
    embedding = layers.Embedding(4, 2)
    embedding.build()
    with pytest.raises(NotImplementedError, match="float8"):
        embedding.quantize("float8")

    model = lamina.Sequential([layers.Input((6,)), layers.Dense(4, name="keep"), layers.Dropout(0.1),
                               layers.Dense(2, name="q_out")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.quantize("int8", filters="q_")
    assert [lay.quantization_mode for lay in model.layers] == [None, None, "int8"]
    assert not caught  # Dropout was filtered out by name, so no "cannot quantize" warning
    with pytest.warns(UserWarning, match="Dropout"):
        model.quantize("int4", filters=lambda lay: not lay.name.startswith("q_"))
    assert model.layers[0].quantization_mode == "int4"
    with pytest.raises(NotImplementedError, match="GPTQ"):
        model.quantize(config=Q.GPTQConfig(None, None))
    with pytest.raises(ValueError, match="Unrecognized"):
        model.quantize("int8", foo=1)


def test_keras_quantized_file_loads_and_predicts_like_keras(tmp_path):
    model = lamina.saving.load_model(FIXTURES / "quantized.keras")
    data = np.load(FIXTURES / "quantized.npz")
    np.testing.assert_allclose(model.predict(data["x0"], verbose=0), data["y"], rtol=1e-5, atol=1e-6)
    modes = {lay.name: lay.quantization_mode for lay in model.layers}
    assert modes == {model.layers[0].name: None, "emb": "int4", "proj": "int8",
                     model.layers[3].name: None, "hidden": "int4", "out": "int8"}
    model.save(tmp_path / "again.keras")  # written back in Keras's layout: same predictions
    again = lamina.saving.load_model(tmp_path / "again.keras")
    np.testing.assert_array_equal(again.predict(data["x0"], verbose=0), model.predict(data["x0"], verbose=0))


@pytest.mark.parametrize("mode", ["int8", "int4"])
def test_quantized_model_saves_loads_and_fine_tunes(mode, tmp_path):
    lamina.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = (x @ rng.normal(size=(8, 1)) + 0.5).astype("float32")
    model = lamina.Sequential([layers.Input((8,)), layers.Dense(16, activation="relu"), layers.Dense(1)])
    model.compile(optimizer=lamina.optimizers.Adam(0.02), loss="mse")
    model.fit(x, y, epochs=40, batch_size=16, verbose=0)
    float_loss = model.evaluate(x, y, verbose=0)
    model.quantize(mode, config=Q.Int4QuantizationConfig(block_size=None) if mode == "int4" else None)
    quant_loss = model.evaluate(x, y, verbose=0)
    assert quant_loss < float_loss + (0.05 if mode == "int8" else 0.5), (float_loss, quant_loss)
    model.save(tmp_path / "q.keras")
    with pytest.warns(UserWarning, match="skipping the optimizer state"):  # built for the float kernels
        loaded = lamina.saving.load_model(tmp_path / "q.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [type(v.numpy().dtype.type) for v in loaded.layers[0].variables][0] is type(np.int8)
    loaded.compile(optimizer=lamina.optimizers.Adam(0.01), loss="mse")
    loaded.fit(x, y, epochs=5, batch_size=16, verbose=0)  # only the biases still train
    assert loaded.evaluate(x, y, verbose=0) <= quant_loss + 1e-6
    np.testing.assert_array_equal(loaded.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())


def _float8_model():
    pytest.importorskip("ml_dtypes")
    model = lamina.Sequential([layers.Input((6,)), layers.Dense(5, name="d"), layers.Dense(2, name="o")])
    model.layers[0].set_weights([K, B])
    model.layers[1].set_weights([K[:5, :2].copy(), B[:2].copy()])
    model.quantize("float8")
    return model


def test_float8_training_matches_keras(tmp_path):
    model = _float8_model()
    x = (np.cos(np.arange(48.0) * 0.7).reshape(8, 6) * 3).astype("float32")
    y = np.sin(np.arange(16.0)).reshape(8, 2).astype("float32")
    dense = model.layers[0]
    assert [(v.name, tuple(v.shape)) for v in dense.variables][2:4] == [("inputs_scale", ()),
                                                                       ("inputs_amax_history", (1024,))]
    # Keras: the first prediction uses scales of 1 (inputs and kernel rounded to float8 e4m3)
    np.testing.assert_allclose(model.predict(x[:2], verbose=0), [[-0.631958, 0.41015625], [-2.4785156, -7.65625]],
                               rtol=1e-6)
    model.compile(optimizer=lamina.optimizers.SGD(0.01), loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [8.547926, 0.36368591, 0.37582389], rtol=1e-5)  # Keras
    np.testing.assert_allclose(dense.kernel.numpy().ravel()[:3], [-0.028301701, 0.5889127, 0.53902507], rtol=1e-5)
    np.testing.assert_allclose(dense.bias.numpy(), [-0.48125976, -0.22411133, 0.021445312, 0.2568335, 0.5111426],
                               rtol=1e-5)
    # the scales and histories took their "gradients" (delayed scaling), not an SGD step
    np.testing.assert_allclose([float(dense.inputs_scale.numpy()), float(dense.kernel_scale.numpy()),
                                float(dense.outputs_grad_scale.numpy())],
                               [0.006696429, 0.00397348, 2.3705617e-05], rtol=1e-5)
    np.testing.assert_allclose(dense.inputs_amax_history.numpy()[0], 2.9961839, rtol=1e-6)
    assert np.count_nonzero(dense.inputs_amax_history.numpy()) == 6  # one entry per step, newest first
    assert len(model.optimizer.variables) == 2  # SGD keeps no state for the overwritten variables
    np.testing.assert_allclose(model.predict(x[:2], verbose=0), [[-0.7585037, -0.14784956], [0.58684826, 0.19955525]],
                               rtol=1e-5)
    model.save(tmp_path / "f8.keras")
    loaded = lamina.saving.load_model(tmp_path / "f8.keras")
    assert loaded.layers[0].quantization_mode == "float8"
    assert loaded.layers[0].get_config()["dtype"]["config"]["amax_history_length"] == 1024
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_float8_einsum_dense_matches_keras():
    pytest.importorskip("ml_dtypes")
    x = (np.cos(np.arange(24.0) * 0.7).reshape(2, 3, 4) * 2).astype("float32")
    y = np.sin(np.arange(12.0)).reshape(2, 3, 2).astype("float32")
    layer = layers.EinsumDense("abc,cd->abd", (3, 2), bias_axes="d", name="ed")
    model = lamina.Sequential([layers.Input((3, 4)), layer])
    layer.set_weights([np.sin(np.arange(8.0)).reshape(4, 2).astype("float32"), np.array([0.1, -0.2], "float32")])
    model.quantize("float8")
    np.testing.assert_allclose(model.predict(x, verbose=0).ravel()[:4], [1.5297852, 0.62597656, -1.0131836, -0.7919922],
                               rtol=1e-6)  # Keras
    model.compile(optimizer=lamina.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=4, batch_size=2, verbose=0, shuffle=False)
    np.testing.assert_allclose(history.history["loss"], [1.4777672, 1.2736216, 1.0569495, 0.85455936], rtol=1e-5)
    np.testing.assert_allclose(layer.bias.numpy(), [-0.08447786, -0.01301417], atol=3e-6)
    assert [v.name.split("_", 1)[1] if "_" in v.name else v.name for v in model.optimizer.variables][2:] == [
        "kernel_momentum", "kernel_velocity", "bias_momentum", "bias_velocity"]
