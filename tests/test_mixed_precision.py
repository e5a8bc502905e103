"""Mixed precision: dtype policies, float16 compute with float32 variables, loss scaling.

Reference behaviour from Keras 3.15 (torch backend, peers venv): `LossScaleOptimizer(SGD(0.1),
dynamic_growth_steps=2)` on v = [1, 2]: an [inf, 1] gradient leaves v, halves the scale to
16384 and the counter to 0; two finite steps with [16384, 32768] give v = [0.9, 1.8]
(counter 1) then [0.8, 1.6] with the scale back at 32768 (counter 0); iterations 0, 1, 2.
"""
import numpy as np
import pytest

import lamina
from lamina import dtype_policies, layers, mixed_precision, ops, optimizers


@pytest.fixture(autouse=True)
def _float32_global_policy():
    yield
    mixed_precision.set_global_policy("float32")


def _mlp(policy=None):
    return lamina.Sequential([
        lamina.Input((8,)),
        layers.Dense(32, activation="relu", dtype=policy),
        layers.Dense(2, dtype=policy),
        layers.Activation("softmax", dtype="float32"),
    ])


def _toy_data(n=512):
    rng = np.random.default_rng(0)
    x = rng.random((n, 8), dtype=np.float32)
    return x, (x[:, :4].sum(1) > x[:, 4:].sum(1)).astype("int32")


# --- policies ------------------------------------------------------------------------


def test_policies_name_their_dtypes_and_round_trip():
    p = lamina.DTypePolicy("mixed_float16")
    assert (p.name, p.compute_dtype, p.variable_dtype, p.quantization_mode) == (
        "mixed_float16", "float16", "float32", None)
    assert repr(p) == '<DTypePolicy "mixed_float16">'
    ser = dtype_policies.serialize(p)
    assert ser == {"module": "keras", "class_name": "DTypePolicy",
                   "config": {"name": "mixed_float16"}, "registered_name": None}
    assert dtype_policies.deserialize(ser) == p == dtype_policies.get("mixed_float16")
    assert mixed_precision.Policy is lamina.DTypePolicy
    with pytest.raises(ValueError, match="mixed_float16"):
        lamina.DTypePolicy("mixed_float15")
    pytest.importorskip("ml_dtypes")
    b = lamina.DTypePolicy("mixed_bfloat16")
    assert (b.compute_dtype, b.variable_dtype) == ("bfloat16", "float32")


def test_global_mixed_policy_reaches_new_layers_but_not_floatx():
    mixed_precision.set_global_policy("mixed_float16")
    assert mixed_precision.global_policy().name == "mixed_float16"
    assert lamina.config.floatx() == "float32"
    dense = layers.Dense(3)
    assert (dense.dtype_policy.name, dense.compute_dtype, dense.variable_dtype, dense.dtype) == (
        "mixed_float16", "float16", "float32", "float32")
    assert dense.get_config()["dtype"] == "mixed_float16"
    assert lamina.Input((4,)).dtype == "float32"  # the first layer casts, as in Keras
    assert dense(lamina.Input((4,))).dtype == "float16"
    mixed_precision.set_global_policy("float32")
    assert layers.Dense(3).compute_dtype == "float32" and dense.compute_dtype == "float16"


def test_dtype_policy_map_looks_up_paths_and_patterns():
    m = dtype_policies.DTypePolicyMap(default_policy="float32")
    m["encoder/dense"] = "mixed_float16"
    m["decoder/.*"] = lamina.DTypePolicy("float16")
    assert m["encoder/dense"].name == "mixed_float16"
    assert m["decoder/attention/query"].name == "float16"
    assert m["decoder"].name == "float32" and m.name == "map_float32"  # fullmatch only
    assert len(m) == 2 and "encoder/dense" in m
    with pytest.raises(ValueError, match="already"):
        m["encoder/dense"] = "float32"
    m["decoder/att.*"] = "float64"
    with pytest.raises(ValueError, match="several keys"):
        m["decoder/attention"]
    del m["decoder/att.*"]
    again = dtype_policies.deserialize(dtype_policies.serialize(m))
    assert isinstance(again, dtype_policies.DTypePolicyMap) and again == m
    layer = layers.Dense(2, dtype=m, name="encoder/dense".replace("/", "_"))
    assert layer.compute_dtype == "float32"  # not in the map: the default policy
    mapped = dtype_policies.DTypePolicyMap(policy_map={"mlp_in": "mixed_float16"})
    layer = layers.Dense(2, dtype=mapped, name="mlp_in")
    assert (layer.compute_dtype, layer.variable_dtype) == ("float16", "float32")
    assert layer(np.ones((1, 3), "float32")).dtype == "float16"


# --- layers ----------------------------------------------------------------------------


def test_mixed_dense_keeps_float32_weights_and_float32_gradients():
    dense = layers.Dense(4, dtype="mixed_float16")
    x = np.random.default_rng(1).standard_normal((5, 3)).astype("float32")
    y = dense(x)
    assert y.dtype == "float16" and dense.kernel.dtype == "float32" and dense.bias.dtype == "float32"
    w = dense.kernel.numpy().astype("float64")
    np.testing.assert_allclose(y.numpy(), x.astype("float64") @ w, rtol=2e-3, atol=2e-3)
    with lamina.GradientTape() as tape:
        loss = ops.sum(ops.cast(dense(x), "float32") ** 2)
    gk, gb = tape.gradient(loss, [dense.kernel, dense.bias])
    assert gk.dtype == "float32" and gb.dtype == "float32"
    ref = x.astype("float64").T @ (2 * (x.astype("float64") @ w))  # d/dW sum((xW)^2)
    np.testing.assert_allclose(gk.numpy(), ref, rtol=1e-2, atol=1e-2)
    assert dense.kernel.numpy().dtype == "float32"  # the float16 view is gone after the call


def test_cast_gradient_is_cast_back():
    x = lamina.Variable(np.array([1.5, -2.0], "float32"))
    with lamina.GradientTape() as tape:
        y = ops.sum(ops.cast(x, "float16") * np.float16(3))
    g = tape.gradient(y, x)
    assert g.dtype == "float32" and g.numpy().tolist() == [3.0, 3.0]


@pytest.mark.parametrize("make, shape", [
    (lambda: layers.Conv2D(2, 3), (2, 6, 6, 3)),
    (lambda: layers.LSTM(4), (2, 5, 3)),
    (lambda: layers.BatchNormalization(), (4, 3)),
    (lambda: layers.LayerNormalization(), (4, 3)),
    (lambda: layers.Embedding(10, 4), None),
])
def test_mixed_layers_output_float16(make, shape):
    mixed_precision.set_global_policy("mixed_float16")
    layer = make()
    rng = np.random.default_rng(2)
    x = np.array([[1, 2], [3, 4]]) if shape is None else rng.random(shape, dtype=np.float32)
    with lamina.GradientTape() as tape:
        out = layer(x, training=True)
        loss = ops.sum(ops.cast(out, "float32"))
    assert out.dtype == "float16"
    assert all(w.dtype == "float32" for w in layer.weights)
    grads = tape.gradient(loss, layer.trainable_weights)
    assert grads and all(g is not None and g.dtype == "float32" for g in grads)
    assert all(np.isfinite(g.numpy()).all() for g in grads)


def test_float32_output_layer_and_float32_loss():
    mixed_precision.set_global_policy("mixed_float16")
    model = _mlp()
    x, y = _toy_data(16)
    assert model.layers[1](model.layers[0](x)).dtype == "float16"
    assert model(x).dtype == "float32" and model.layers[-1].compute_dtype == "float32"
    loss = lamina.losses.MeanSquaredError()(np.zeros((2, 2)), lamina.Tensor(np.ones((2, 2), "float16")))
    assert loss.dtype == "float32"


# --- loss scaling ------------------------------------------------------------------------


def test_loss_scale_optimizer_skips_inf_steps_and_rescales():
    opt = optimizers.LossScaleOptimizer(optimizers.SGD(0.1), dynamic_growth_steps=2)
    assert mixed_precision.LossScaleOptimizer is optimizers.LossScaleOptimizer
    v = lamina.Variable(np.array([1.0, 2.0], "float32"))
    opt.build([v])
    assert float(opt.scale_loss(2.0)) == 65536.0
    opt.apply([np.array([np.inf, 1.0], "float32")], [v])
    assert v.numpy().tolist() == [1.0, 2.0]
    assert (float(opt.dynamic_scale.numpy()), int(opt.step_counter.numpy()), int(opt.iterations.numpy())) == (
        16384.0, 0, 0)
    opt.apply([np.array([16384.0, 32768.0], "float32")], [v])
    np.testing.assert_allclose(v.numpy(), [0.9, 1.8], rtol=1e-6)
    assert (float(opt.dynamic_scale.numpy()), int(opt.step_counter.numpy()), int(opt.iterations.numpy())) == (
        16384.0, 1, 1)
    opt.apply([np.array([16384.0, 32768.0], "float32")], [v])
    np.testing.assert_allclose(v.numpy(), [0.8, 1.6], rtol=1e-6)
    assert (float(opt.dynamic_scale.numpy()), int(opt.step_counter.numpy()), int(opt.iterations.numpy())) == (
        32768.0, 0, 2)
    opt.apply([np.array([np.nan, 0.0], "float32")], [v])
    assert float(opt.dynamic_scale.numpy()) == 16384.0 and int(opt.iterations.numpy()) == 2
    assert [x.path for x in opt.variables][:4] == [
        f"{opt.name}/iteration", f"{opt.name}/learning_rate", f"{opt.name}/step_counter",
        f"{opt.name}/dynamic_scale"]


def test_loss_scale_optimizer_config_round_trip_and_errors():
    opt = optimizers.LossScaleOptimizer(optimizers.Adam(0.01), initial_scale=1024.0, dynamic_growth_steps=10)
    config = optimizers.serialize(opt)
    assert config["class_name"] == "LossScaleOptimizer"
    assert config["config"]["inner_optimizer"]["class_name"] == "Adam"
    again = optimizers.deserialize(config)
    assert isinstance(again.inner_optimizer, optimizers.Adam)
    assert (again.initial_scale, again.dynamic_growth_steps) == (1024.0, 10)
    assert again.get_config() == opt.get_config()
    assert float(again.learning_rate.numpy()) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="inner_optimizer"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(TypeError, match="inner_optimizer"):
        optimizers.LossScaleOptimizer("adam")


def test_compile_wraps_the_optimizer_under_mixed_float16():
    assert not isinstance(_compiled(_mlp()).optimizer, optimizers.LossScaleOptimizer)
    mixed_precision.set_global_policy("mixed_float16")
    model = _compiled(_mlp())
    assert isinstance(model.optimizer, optimizers.LossScaleOptimizer)
    assert model.optimizer.name == "loss_scale_optimizer"
    assert not isinstance(_compiled(_mlp(), auto_scale_loss=False).optimizer, optimizers.LossScaleOptimizer)


def _compiled(model, **kw):
    model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], **kw)
    return model


def test_a_huge_loss_overflows_float16_and_the_step_is_skipped(recwarn):
    mixed_precision.set_global_policy("mixed_float16")
    model = _compiled(_mlp())
    x, y = _toy_data(32)
    model.optimizer.build(model.trainable_weights)
    model.optimizer.dynamic_scale.assign(2.0**40)  # float16 gradients overflow to inf
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch(x, y)
    assert float(model.optimizer.dynamic_scale.numpy()) == 2.0**39
    assert int(model.optimizer.iterations.numpy()) == 0
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]  # expected overflow


def test_mixed_float16_training_toy_and_save_load(tmp_path):
    mixed_precision.set_global_policy("mixed_float16")
    model = _compiled(_mlp())
    x, y = _toy_data()
    history = model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.95
    assert all(w.dtype == "float32" for w in model.weights)
    assert int(model.optimizer.iterations.numpy()) == 160
    path = tmp_path / "mixed.keras"
    model.save(path)
    mixed_precision.set_global_policy("float32")
    loaded = lamina.saving.load_model(path)
    assert [lay.dtype_policy.name for lay in loaded.layers] == ["mixed_float16", "mixed_float16", "float32"]
    assert loaded.layers[0](x[:2]).dtype == "float16"
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert isinstance(loaded.optimizer, optimizers.LossScaleOptimizer)
    assert float(loaded.optimizer.dynamic_scale.numpy()) == float(model.optimizer.dynamic_scale.numpy())


def _mnist_mlp_accuracy(policy, x_train, y_train, x_test, y_test):
    mixed_precision.set_global_policy(policy)
    lamina.utils.set_random_seed(1234)
    model = lamina.Sequential([
        lamina.Input((784,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10),
        layers.Activation("softmax", dtype="float32"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=4, batch_size=64, verbose=0)
    assert model.layers[0].kernel.dtype == "float32"
    return model.evaluate(x_test, y_test, verbose=0)[1]


@pytest.mark.slow  # real data (about 1 s)
def test_mixed_float16_mnist_mlp(data_dir):
    (x_train, y_train), (x_test, y_test) = lamina.datasets.mnist.load_data()
    data = (x_train[:2000].reshape(-1, 784).astype("float32") / 255, y_train[:2000],
            x_test[:1000].reshape(-1, 784).astype("float32") / 255, y_test[:1000])
    mixed = _mnist_mlp_accuracy("mixed_float16", *data)
    full = _mnist_mlp_accuracy("float32", *data)
    assert mixed > 0.84  # 0.857 here (float32: 0.855)
    assert abs(mixed - full) < 0.02


def test_mixed_bfloat16_mlp_trains():
    pytest.importorskip("ml_dtypes")
    model = _compiled(_mlp("mixed_bfloat16"))
    assert not isinstance(model.optimizer, optimizers.LossScaleOptimizer)  # bfloat16: no scaling
    x, y = _toy_data()
    assert model.layers[0](x[:2]).dtype == "bfloat16" and model(x[:2]).dtype == "float32"
    history = model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.95
