"""keras.quantizers: the functions, configs and quantized dtype policies.

Expected arrays marked "Keras" were produced once with keras 3.15.1 (KERAS_BACKEND=jax, in
/work/peers-venv) by calling the same keras.quantizers function on the same inputs; each
is also checked against an independent NumPy transcription of the formula where one is
short enough to write here.
"""
import numpy as np
import pytest

import lamina
from lamina import dtype_policies, quantizers as Q

X = (np.sin(np.arange(12.0) * 1.7) * 3).reshape(3, 4).astype("float32")


def test_abs_max_quantize_matches_keras_and_formula():
    q, s = Q.abs_max_quantize(X, axis=-1)
    keras_q = [[0, 127, -33, -119], [79, 127, -111, -98], [113, 52, -127, -20]]  # Keras
    keras_s = [[42.689156], [53.01693], [44.033123]]
    np.testing.assert_array_equal(q.numpy(), keras_q)
    np.testing.assert_allclose(s.numpy(), keras_s, rtol=1e-7)
    assert q.dtype == "int8" and s.dtype == "float32"
    ref_s = 127 / (np.abs(X.astype(np.float64)).max(axis=-1, keepdims=True) + 1e-7)
    np.testing.assert_allclose(s.numpy(), ref_s, rtol=1e-6)
    np.testing.assert_array_equal(q.numpy(), np.clip(np.round(X * s.numpy()), -127, 127))
    q4, s4 = Q.AbsMaxQuantizer(axis=0, value_range=(-8, 7))(X)
    np.testing.assert_array_equal(q4.numpy(), [[0, 7, -2, -7], [4, 6, -5, -5], [7, 3, -7, -1]])  # Keras
    np.testing.assert_allclose(s4.numpy(), [[2.715825, 2.3529456, 2.4270225, 2.5203028]], rtol=1e-7)
    assert Q.AbsMaxQuantizer()(X)[1].shape == (3, 1)  # axis -1 by default
    with pytest.raises(ValueError, match="within the interval"):
        Q.AbsMaxQuantizer(value_range=(-200, 127))


def test_grouped_quantization_with_zero_point():
    q, s, z = Q.abs_max_quantize_grouped_with_zero_point(X.T.copy(), block_size=3)
    # Keras: 4 rows in groups of 3 (the last group zero-padded)
    np.testing.assert_array_equal(q.numpy(), [[-5, 4, 7], [7, 7, 3], [-8, -8, -8], [-8, -8, -8]])
    np.testing.assert_allclose(s.numpy(), [[0.24944119, 0.2996724, 0.3641119],
                                           [0.18516295, 0.12362744, 0.029799813]], rtol=1e-6)
    np.testing.assert_array_equal(z.numpy(), [[-5, -1, 0], [7, 7, 7]])
    w = X.T.astype(np.float64)
    lo, hi = w[:3].min(axis=0), w[:3].max(axis=0)
    np.testing.assert_allclose(s.numpy()[0], (hi - lo + 1e-7) / 15, rtol=1e-6)
    with pytest.raises(ValueError, match="2-D"):
        Q.abs_max_quantize_grouped_with_zero_point(np.ones(4), block_size=2)


def test_pack_and_unpack_int4():
    a = np.array([[-3, 7], [2, -8], [1, 0]], dtype=np.int8)
    packed, shape, n = Q.pack_int4(a, axis=0)
    np.testing.assert_array_equal(packed.numpy(), [[45, -121], [1, 0]])  # Keras's docstring
    assert shape == (2, 2) and n == 3
    np.testing.assert_array_equal(Q.unpack_int4(packed, n, axis=0).numpy(), a)
    b = np.array([[-3, 7, 2], [-8, 1, 0]], dtype=np.int8)
    packed, _, n = Q.pack_int4(b, axis=1)
    np.testing.assert_array_equal(packed.numpy(), [[125, 2], [24, 0]])
    np.testing.assert_array_equal(Q.unpack_int4(packed, n, axis=1).numpy(), b)
    rng = np.random.default_rng(0)
    c = rng.integers(-8, 8, size=(5, 7, 3)).astype(np.int8)
    for axis in (0, 1, -1):
        p, _, n = Q.pack_int4(c, axis=axis)
        np.testing.assert_array_equal(Q.unpack_int4(p, n, axis=axis).numpy(), c)
    u = rng.integers(0, 16, size=(4, 3)).astype(np.uint8)
    p, _, n = Q.pack_int4(u, dtype="uint8")
    np.testing.assert_array_equal(Q.unpack_int4(p, n, dtype="uint8").numpy(), u)
    with pytest.raises(TypeError, match="Expected int8"):
        Q.pack_int4(np.zeros(4, np.int32))
    with pytest.raises(ValueError, match="'int8' or 'uint8'"):
        Q.unpack_int4(p, n, dtype="int16")


def _ref_fake_quant(x, lo, hi, bits, narrow):
    """Float64 transcription of TensorFlow's FakeQuantWithMinMaxVars (nudged range)."""
    qmin, qmax = (1 if narrow else 0), 2**bits - 1
    scale = (hi - lo) / (qmax - qmin)
    zero = np.round(np.clip(qmin - lo / scale, qmin, qmax))
    nmin, nmax = (qmin - zero) * scale, (qmax - zero) * scale
    return np.floor((np.clip(x, nmin, nmax) - nmin) / scale + 0.5) * scale + nmin


def test_fake_quant_values_match_keras():
    x = np.linspace(-1.2, 1.3, 11).astype("float32")
    out = Q.fake_quant_with_min_max_vars(x, -1.0, 1.0, num_bits=3).numpy()
    np.testing.assert_allclose(out, [-0.8571429, -0.8571429, -0.5714286, -0.5714286, -0.2857143, 0.0,
                                     0.2857143, 0.5714286, 0.8571429, 1.1428572, 1.1428572], atol=1e-6)  # Keras
    narrow = Q.fake_quant_with_min_max_vars(x, -0.7, 1.1, num_bits=4, narrow_range=True).numpy()
    np.testing.assert_allclose(narrow, [-0.6428571, -0.6428571, -0.6428571, -0.5142857, -0.25714284, 0.0,
                                        0.25714284, 0.5142857, 0.7714285, 1.0285714, 1.1571428], atol=1e-6)
    off_grid = x + np.float32(0.013)  # no value half-way between two grid points (float32 decides ties)
    np.testing.assert_allclose(
        Q.fake_quant_with_min_max_vars(off_grid, -0.7, 1.1, num_bits=4, narrow_range=True).numpy(),
        _ref_fake_quant(off_grid.astype(np.float64), -0.7, 1.1, 4, True), atol=1e-6)


def test_fake_quant_per_channel_and_straight_through_gradient():
    xc = np.linspace(-1.5, 1.5, 12).reshape(4, 3).astype("float32")
    mn = np.array([-1.0, -0.5, -2.0], "float32")
    mx = np.array([1.0, 0.7, 0.3], "float32")
    out = Q.fake_quant_with_min_max_vars(xc, mn, mx, num_bits=2, axis=-1).numpy()
    np.testing.assert_allclose(out, [[-1.3333334, -0.4, -0.76666665], [-0.6666667, -0.4, 0.0],
                                     [0.0, 0.4, 0.0], [0.6666667, 0.8, 0.0]], atol=1e-6)  # Keras
    variables = [lamina.Variable(a) for a in (xc, mn, mx)]
    weights = np.arange(1.0, 13.0, dtype="float32").reshape(4, 3)
    with lamina.GradientTape() as tape:
        y = lamina.ops.sum(Q.fake_quant_with_min_max_vars(*variables, num_bits=2, axis=-1) * weights)
    gx, gmin, gmax = (g.numpy() for g in tape.gradient(y, variables))
    # Keras's gradients (jax.grad of the same sum)
    np.testing.assert_array_equal(gx, [[0, 0, 3], [4, 0, 6], [7, 8, 0], [0, 0, 0]])
    np.testing.assert_array_equal(gmin, [1, 7, 0])
    np.testing.assert_array_equal(gmax, [10, 11, 21])
    # the straight-through rule: x inside the nudged range passes g, the clipped ends feed min/max
    inside = (gx != 0)
    assert np.all(gx[inside] == weights[inside]) and gx.sum() + gmin.sum() + gmax.sum() >= weights.sum() - 12


def test_float8_helpers_match_keras():
    pytest.importorskip("ml_dtypes")
    scale = Q.compute_float8_scale(np.array([2.0, 0.0, np.inf, 0.5], "float32"),
                                   np.array([0.5, 0.25, 2.0, 1.0], "float32"), 448.0, margin=1)
    np.testing.assert_allclose(scale.numpy(), [0.008928572, 0.25, 2.0, 0.002232143], rtol=1e-6)  # Keras
    hist = Q.compute_float8_amax_history(X, np.array([1.0, 2.0, 3.0, 4.0], "float32"))
    np.testing.assert_allclose(hist.numpy(), [2.9749944, 3.0, 4.0, 1.0], rtol=1e-7)
    qdq = Q.quantize_and_dequantize(X, 0.01, "float8_e4m3fn", "float32").numpy()
    np.testing.assert_allclose(qdq, [[0.0, 2.88, -0.8, -2.88], [1.44, 2.4, -2.08, -1.92],
                                     [2.56, 1.2, -2.88, -0.44]], rtol=1e-6)  # Keras
    big = Q.quantize_and_dequantize(X * 300, 0.5, "float8_e5m2", "float32").numpy()
    np.testing.assert_array_equal(big, [[0, 896, -224, -896], [448, 768, -640, -512], [768, 384, -896, -128]])
    with pytest.raises(ValueError, match="float8"):
        Q.quantize_and_dequantize(X, 1.0, "int8", "float32")


def test_configs_round_trip_and_validate():
    for config in (Q.Int8QuantizationConfig(), Q.Int8QuantizationConfig(activation_quantizer=None),
                   Q.Int4QuantizationConfig(block_size=None), Q.Int4QuantizationConfig(block_size=64),
                   Q.Float8QuantizationConfig(), Q.GPTQConfig(None, None, weight_bits=3, group_size=-1),
                   Q.AWQConfig(None, None, num_grid_points=5)):
        again = Q.deserialize(Q.serialize(config))
        assert type(again) is type(config) and again.get_config() == config.get_config()
        assert Q.serialize(config)["module"] == "keras.quantizers"
    int8 = Q.serialize(Q.Int8QuantizationConfig())["config"]
    assert int8["weight_quantizer"] is None  # Keras writes the default activation quantizer:
    assert int8["activation_quantizer"]["config"] == {"value_range": (-127, 127), "epsilon": 1e-7,
                                                      "output_dtype": "int8"}
    assert Q.GPTQConfig(None, None).dtype_policy_string() == "gptq/4/128"
    assert Q.AWQConfig(None, None, group_size=-1).dtype_policy_string() == "awq/4/-1"
    assert isinstance(Q.validate_and_resolve_config("int8", None), Q.Int8QuantizationConfig)
    assert Q.validate_and_resolve_config(None, "int4").block_size == 128
    for args, message in [(("int8", Q.Int4QuantizationConfig()), "Contradictory"),
                          (("int3", None), "Invalid quantization mode"),
                          (("gptq", None), "GPTQConfig"), ((None, None), "either `mode` or `config`"),
                          (("int8", {"x": 1}), "QuantizationConfig")]:
        with pytest.raises(ValueError, match=message):
            Q.validate_and_resolve_config(*args)
    with pytest.raises(ValueError, match="sub-channel"):
        Q.Int4QuantizationConfig(weight_quantizer=Q.AbsMaxQuantizer(value_range=(-8, 7)))
    with pytest.raises(ValueError, match="value_range"):
        Q.Int4QuantizationConfig(weight_quantizer=Q.AbsMaxQuantizer(), block_size=None)
    with pytest.raises(ValueError, match="weight_bits"):
        Q.GPTQConfig(None, None, weight_bits=5)
    with pytest.raises(ValueError, match="4-bit"):
        Q.AWQConfig(None, None, weight_bits=8)
    assert isinstance(Q.get("AbsMaxQuantizer"), Q.AbsMaxQuantizer)
    assert Q.get("abs_max_quantizer", axis=0).axis == (0,)
    with pytest.raises(ValueError, match="Could not interpret"):
        Q.get("nothing")


def test_quantized_dtype_policies():
    policy = dtype_policies.get("int8_from_float32")
    assert type(policy) is dtype_policies.QuantizedDTypePolicy
    assert (policy.name, policy.quantization_mode, policy.compute_dtype) == ("int8_from_float32", "int8", "float32")
    int4 = dtype_policies.get("int4/128_from_float32")
    assert type(int4) is dtype_policies.Int4DTypePolicy and int4.block_size == 128
    assert type(dtype_policies.get("int4_from_float32")) is dtype_policies.QuantizedDTypePolicy
    gptq = dtype_policies.GPTQDTypePolicy("gptq/4/-1", "float32")
    assert (gptq.weight_bits, gptq.group_size, gptq.quantization_mode) == (4, -1, "gptq")
    awq = dtype_policies.AWQDTypePolicy("awq/4/64", "float32")
    f8 = dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32", amax_history_length=16)
    for p in (policy, int4, gptq, awq, f8):
        config = dtype_policies.serialize(p)
        assert config["module"] == "keras.dtype_policies" and config["class_name"] == type(p).__name__
        assert dtype_policies.deserialize(config) == p
    assert dtype_policies.serialize(int4)["config"] == {"mode": "int4/128", "source_name": "float32"}
    assert f8.get_config() == {"mode": "float8", "source_name": "float32", "amax_history_length": 16}
    assert dtype_policies.serialize(dtype_policies.DTypePolicy("float32"))["class_name"] == "DTypePolicy"
    for bad, message in [(lambda: dtype_policies.QuantizedDTypePolicy("int3", "float32"), "Invalid"),
                         (lambda: dtype_policies.Int4DTypePolicy("int4", "float32"), "Expected format"),
                         (lambda: dtype_policies.Int4DTypePolicy("int4/0", "float32"), "block_size"),
                         (lambda: dtype_policies.GPTQDTypePolicy("gptq/5/128", "float32"), "weight_bits"),
                         (lambda: dtype_policies.AWQDTypePolicy("awq/8/128", "float32"), "4-bit"),
                         (lambda: dtype_policies.get("int8_from"), "float")]:
        with pytest.raises(ValueError, match=message):
            bad()
    with pytest.raises(TypeError, match="amax_history_length"):
        dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32", amax_history_length=1.5)
