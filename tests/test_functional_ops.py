"""keras.ops and Python operators on symbolic tensors inside functional models (Keras 3)."""
import inspect
import json
import math
import zipfile

import numpy as np
import pytest

import lamina as keras
from lamina import layers, ops
from lamina.codec.serialization import UnknownObjectError
from lamina.utils import check_gradients


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)


def textbook_model():
    """The functional model of the brief (Deep Learning with Python, 3rd ed. style)."""
    inputs = keras.Input(shape=(32,))
    x = layers.Dense(64, activation="relu")(inputs)
    y = keras.ops.concatenate([x, inputs], axis=-1)
    y = keras.ops.relu(y) * 2.0 + 1.0
    s = keras.ops.mean(y, axis=-1, keepdims=True)
    outputs = layers.Dense(1)(keras.ops.sqrt(keras.ops.abs(s)))
    return keras.Model(inputs, outputs)


def _relu(a):
    return np.maximum(a, 0)


def textbook_reference(model, x):
    """The same computation written with NumPy and the model's weights."""
    w1, b1, w2, b2 = [np.asarray(w.numpy(), np.float64) for w in model.weights]
    h = _relu(x @ w1 + b1)
    y = _relu(np.concatenate([h, x], axis=-1)) * 2.0 + 1.0
    s = y.mean(axis=-1, keepdims=True)
    return np.sqrt(np.abs(s)) @ w2 + b2


# --- building: shapes, dtypes, summary ----------------------------------------------------

def test_textbook_model_builds_with_symbolic_shapes():
    inputs = keras.Input(shape=(32,))
    x = layers.Dense(64, activation="relu")(inputs)
    y = keras.ops.concatenate([x, inputs], axis=-1)
    assert isinstance(y, keras.KerasTensor) and y.shape == (None, 96) and y.dtype == "float32"
    z = keras.ops.relu(y) * 2.0 + 1.0
    assert z.shape == (None, 96)
    s = keras.ops.mean(z, axis=-1, keepdims=True)
    assert s.shape == (None, 1)
    model = keras.Model(inputs, layers.Dense(1)(keras.ops.sqrt(keras.ops.abs(s))))
    assert model.output_shape == (None, 1)
    # only Layers are model.layers, as in Keras; the ops are graph nodes
    assert [layer.name for layer in model.layers] == ["input_layer", "dense", "dense_1"]
    assert model.count_params() == 32 * 64 + 64 + 1 + 1


def test_summary_lists_operations_as_keras_names_them():
    model = textbook_model()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    rows = [line for line in lines if line.startswith("│")]
    names = [row.split("│")[1].strip() for row in rows]
    assert names == ["input_layer (InputLayer)", "dense (Dense)", "concatenate (Concatenate)",
                     "relu (Relu)", "multiply (Multiply)", "add (Add)", "mean (Mean)",
                     "absolute (Absolute)", "sqrt (Sqrt)", "dense_1 (Dense)"]
    cells = {row.split("│")[1].strip(): [c.strip() for c in row.split("│")[2:-1]] for row in rows}
    assert cells["concatenate (Concatenate)"][:3] == ["(None, 96)", "0", "dense[0][0], input_layer[0][0]"]
    assert cells["mean (Mean)"][:2] == ["(None, 1)", "0"]
    assert cells["dense (Dense)"][1] == "2,112"
    assert "Total params: 2,114 (8.26 KB)" in text


def test_operation_names_share_the_layer_counter():
    a = keras.Input(shape=(3,))
    first = a + 1.0
    merged = layers.Add()([a, first])
    second = merged + a
    assert first._keras_history[0].layer.name == "add"
    assert merged._keras_history[0].layer.name == "add_1"
    assert second._keras_history[0].layer.name == "add_2"
    assert type(second._keras_history[0].layer).__name__ == "Add"


@pytest.mark.parametrize("build, shape, dtype", [
    # reductions
    (lambda x: ops.sum(x, axis=1), (None, 5), "float32"),
    (lambda x: ops.mean(x, axis=0), (None, 5), "float32"),
    (lambda x: ops.sum(x, axis=(1, 2), keepdims=True), (None, 1, 1), "float32"),
    (lambda x: ops.max(x), (), "float32"),
    (lambda x: ops.argmax(x, axis=-1), (None, None), "int32"),
    # concatenation along a known and an unknown axis
    (lambda x: ops.concatenate([x, x], axis=1), (None, None, 5), "float32"),
    (lambda x: ops.concatenate([x, x * 2.0], axis=-1), (None, None, 10), "float32"),
    # reshape with -1
    (lambda x: ops.reshape(x, (-1, 5)), (None, 5), "float32"),
    (lambda x: ops.reshape(x[:, 0, :], (-1, 1, 5)), (None, 1, 5), "float32"),
    # slicing: a slice of an unknown dimension stays unknown
    (lambda x: x[:, :3], (None, None, 5), "float32"),
    (lambda x: x[..., 1:4], (None, None, 3), "float32"),
    (lambda x: x[:, 0], (None, 5), "float32"),
    (lambda x: x[:, None, -1, ::2], (None, 1, 3), "float32"),
    # matmul and broadcasting
    (lambda x: x @ np.ones((5, 2), np.float32), (None, None, 2), "float32"),
    (lambda x: ops.matmul(x, ops.transpose(x, (0, 2, 1))), (None, None, None), "float32"),
    (lambda x: x[:, :1, :] + np.ones((4, 1), np.float32), (None, 4, 5), "float32"),
    (lambda x: ops.transpose(x), (5, None, None), "float32"),
    (lambda x: ops.expand_dims(x, 1), (None, 1, None, 5), "float32"),
    # dtypes
    (lambda x: x > 0.5, (None, None, 5), "bool"),
    (lambda x: ops.cast(x, "int32"), (None, None, 5), "int32"),
])
def test_output_shapes_keep_unknown_dims(build, shape, dtype):
    x = keras.Input(shape=(None, 5))
    out = build(x)
    assert isinstance(out, keras.KerasTensor)
    assert out.shape == shape and out.dtype == dtype


def test_known_batch_size_and_several_outputs():
    x = keras.Input(shape=(6,), batch_size=4)
    assert ops.reshape(x, (2, -1)).shape == (2, 12)
    values, indices = ops.top_k(x, 2)
    assert values.shape == (4, 2) and indices.shape == (4, 2) and indices.dtype == "int32"
    parts = ops.split(keras.Input(shape=(6,)), 3, axis=-1)
    assert [p.shape for p in parts] == [(None, 2)] * 3
    assert ops.shape(keras.Input(shape=(None, 3))) == (None, None, 3)
    assert ops.ndim(x) == 2 and ops.dtype(x) == "float32"


# --- running: values equal the eager composition -----------------------------------------

def test_predictions_equal_the_eager_composition():
    model = textbook_model()
    x = np.random.default_rng(1).standard_normal((7, 32)).astype(np.float32)
    got = model.predict(x, verbose=0)
    assert got.shape == (7, 1) and got.dtype == np.float32
    np.testing.assert_allclose(got, textbook_reference(model, x.astype(np.float64)), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(model(x)), got)  # eager call, same numbers


def test_python_operators_on_symbolic_tensors():
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(4,), name="b")
    outs = {
        "add": a + b, "radd": 1.0 + a, "sub": a - b, "rsub": 3.0 - a, "mul": a * b,
        "div": a / 2.0, "rdiv": 1.0 / (b * b + 1.0), "pow": a ** 2, "neg": -a, "abs": abs(b),
        "matmul": a @ np.arange(8, dtype=np.float32).reshape(4, 2), "item": a[..., :3],
        "lt": a < b, "np_left": np.full(4, 2.0, np.float32) * b,
    }
    model = keras.Model([a, b], outs)
    rng = np.random.default_rng(2)
    xa, xb = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    got = model.predict([xa, xb], verbose=0)
    expected = {
        "add": xa + xb, "radd": 1 + xa, "sub": xa - xb, "rsub": 3 - xa, "mul": xa * xb,
        "div": xa / 2, "rdiv": 1 / (xb * xb + 1), "pow": xa ** 2, "neg": -xa, "abs": np.abs(xb),
        "matmul": xa @ np.arange(8.0).reshape(4, 2), "item": xa[:, :3], "lt": xa < xb,
        "np_left": 2 * xb,
    }
    for key, value in expected.items():
        np.testing.assert_allclose(np.asarray(got[key], np.float64), value, rtol=1e-6, err_msg=key)
    assert outs["item"].shape == (None, 3) and outs["matmul"].shape == (None, 2)
    assert got["lt"].dtype == np.bool_


def test_multi_input_multi_output_mixed_graph():
    left = keras.Input(shape=(3,), name="left")
    right = keras.Input(shape=(5,), name="right")
    h = layers.Dense(4, activation="tanh")(ops.concatenate([left, right], axis=-1))
    gate = ops.sigmoid(layers.Dense(4)(right))
    mixed = layers.Add()([h * gate, ops.square(h)])
    score = ops.sum(mixed, axis=-1, keepdims=True)
    probs = ops.softmax(layers.Dense(2)(mixed))
    model = keras.Model({"left": left, "right": right}, [score, probs])
    assert model.output_names == ["sum", "softmax"]
    rng = np.random.default_rng(3)
    xl, xr = rng.standard_normal((5, 3)), rng.standard_normal((5, 5))
    got_score, got_probs = model.predict({"left": xl, "right": xr}, verbose=0)
    # Keras's order (map_graph: deepest first): the gate's Dense, the concat's Dense, the last one
    assert [w.shape for w in model.weights] == [(5, 4), (4,), (8, 4), (4,), (4, 2), (2,)]
    k = [np.asarray(w.numpy(), np.float64) for w in model.weights]
    hh = np.tanh(np.concatenate([xl, xr], -1) @ k[2] + k[3])
    g = 1 / (1 + np.exp(-(xr @ k[0] + k[1])))
    m = hh * g + hh ** 2
    logits = m @ k[4] + k[5]
    e = np.exp(logits - logits.max(-1, keepdims=True))
    np.testing.assert_allclose(got_score, m.sum(-1, keepdims=True), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_probs, e / e.sum(-1, keepdims=True), rtol=1e-5, atol=1e-6)


def test_nested_functional_model_with_ops():
    inner_in = keras.Input(shape=(4,))
    inner = keras.Model(inner_in, ops.tanh(layers.Dense(3)(inner_in)) * 0.5, name="inner")
    outer_in = keras.Input(shape=(4,))
    outer = keras.Model(outer_in, ops.mean(inner(outer_in), axis=-1) - ops.min(outer_in, axis=-1))
    x = np.random.default_rng(4).standard_normal((6, 4)).astype(np.float32)
    w, b = [np.asarray(v.numpy(), np.float64) for v in inner.weights]
    expected = (np.tanh(x @ w + b) * 0.5).mean(-1) - x.min(-1)
    np.testing.assert_allclose(outer.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert outer.output_shape == (None,)


# --- gradients and training ---------------------------------------------------------------

def test_gradients_through_ops_match_finite_differences():
    keras.backend.set_floatx("float64")
    try:
        inputs = keras.Input(shape=(3,))
        dense = layers.Dense(4)
        h = dense(inputs)
        y = ops.concatenate([ops.tanh(h) * h, inputs[:, :2] ** 2], axis=-1)
        out = ops.logsumexp(y / 3.0 - ops.mean(y, axis=-1, keepdims=True), axis=-1)
        model = keras.Model(inputs, out)
        x = np.random.default_rng(5).standard_normal((4, 3))
        assert dense.kernel.dtype == np.float64
        err = check_gradients(lambda t, kernel, bias: model(t), x, dense.kernel, dense.bias)
        assert err < 1e-6
    finally:
        keras.backend.set_floatx("float32")


def _regression_run():
    keras.utils.set_random_seed(0)
    keras.backend.clear_session()
    rng = np.random.default_rng(6)
    x = rng.uniform(-1, 1, (256, 4)).astype(np.float32)
    y = (np.abs(x[:, :1]) + 0.5 * x[:, 1:2] * x[:, 2:3]).astype(np.float32)
    inputs = keras.Input(shape=(4,))
    h = layers.Dense(32, activation="relu")(inputs)
    features = ops.concatenate([h, ops.abs(inputs), inputs[:, 1:2] * inputs[:, 2:3]], axis=-1)
    outputs = layers.Dense(1)(features * 0.5)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    history = model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    return model, history.history["loss"], x, y


def test_training_reaches_a_low_loss_and_is_deterministic():
    model, losses, x, y = _regression_run()
    assert losses[0] > 0.05
    assert losses[-1] < 1e-3  # from ~0.12 (the targets' variance is 0.11)
    assert model.evaluate(x, y, verbose=0) < 1e-3
    _, again, _, _ = _regression_run()
    assert again == losses  # same seed, same numbers


# --- saving ---------------------------------------------------------------------------------

def test_save_and_load_round_trip(tmp_path):
    model = textbook_model()
    inputs = model.inputs[0]
    extra = keras.Model(inputs, [model.outputs[0], inputs[..., 1:3] - 1.0])
    x = np.random.default_rng(7).standard_normal((5, 32)).astype(np.float32)
    before = extra.predict(x, verbose=0)
    path = tmp_path / "ops.keras"
    extra.save(path)
    config = json.loads(zipfile.ZipFile(path).read("config.json"))
    entries = {e["name"]: e for e in config["config"]["layers"]}
    assert entries["mean"]["module"] == "keras.src.ops"
    assert entries["mean"]["class_name"] == "Mean"
    assert entries["mean"]["config"] == {"name": "mean", "axis": -1, "keepdims": True}
    assert entries["multiply"]["inbound_nodes"][0]["args"][1] == 2.0
    key = entries["get_item"]["inbound_nodes"][0]["args"][1]
    assert key == [{"class_name": "__ellipsis__", "config": {}},
                   {"class_name": "__slice__", "config": {"start": 1, "stop": 3, "step": None}}]
    loaded = keras.models.load_model(path)
    after = loaded.predict(x, verbose=0)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    assert after[1].shape == (5, 2)
    lines = []
    loaded.summary(print_fn=lines.append)
    assert any("mean (Mean)" in line and "(None, 1)" in line for line in lines)


def keras_style_config():
    """A functional config as Keras 3 writes it for `mean(concatenate([a, a * 2]), axis=-1)`:
    ops in their own modules, static arguments in the op's config."""
    def tensor(layer, shape):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": shape, "dtype": "float32", "keras_history": [layer, 0, 0]}}

    return {
        "name": "functional", "trainable": True,
        "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
             "name": "input_layer", "inbound_nodes": [],
             "config": {"batch_shape": [None, 3], "dtype": "float32", "sparse": False,
                        "name": "input_layer"}},
            {"module": "keras.src.ops.numpy", "class_name": "Multiply", "registered_name": "Multiply",
             "name": "multiply", "config": {"name": "multiply"},
             "inbound_nodes": [{"args": [tensor("input_layer", [None, 3]), 2.0], "kwargs": {}}]},
            {"module": "keras.src.ops.numpy", "class_name": "Concatenate",
             "registered_name": "Concatenate", "name": "concatenate",
             "config": {"name": "concatenate", "axis": -1},
             "inbound_nodes": [{"args": [[tensor("input_layer", [None, 3]),
                                          tensor("multiply", [None, 3])]], "kwargs": {}}]},
            {"module": "keras.src.ops.numpy", "class_name": "Mean", "registered_name": "Mean",
             "name": "mean", "config": {"name": "mean", "axis": -1, "keepdims": False},
             "inbound_nodes": [{"args": [tensor("concatenate", [None, 6])], "kwargs": {}}]},
        ],
        "input_layers": [["input_layer", 0, 0]],
        "output_layers": ["mean", 0, 0],
    }


def test_reads_keras_written_operation_nodes():
    model = keras.Model.from_config(keras_style_config())
    x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]], np.float32)
    # mean of [x, 2x] over 6 values = 1.5 * mean(x): 1.5 * 2 and 1.5 * 1
    np.testing.assert_allclose(model.predict(x, verbose=0), [3.0, 1.5], rtol=1e-6)
    assert model.output_shape == (None,)


@pytest.mark.parametrize("class_name", ["SystemCall", "Install", "OpFunction", "_Raw"])
def test_loading_never_reaches_anything_but_public_ops(class_name):
    config = keras_style_config()
    config["layers"][3]["class_name"] = class_name
    with pytest.raises(UnknownObjectError, match="lamina does not have"):
        keras.Model.from_config(config)


# --- errors -----------------------------------------------------------------------------------

def test_incompatible_shapes_name_the_op_and_the_shapes():
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(4,))
    with pytest.raises(ValueError, match=r"keras\.ops\.add .*\(None, 3\), \(None, 4\)"):
        ops.add(a, b)
    with pytest.raises(ValueError, match=r"keras\.ops\.matmul"):
        a @ b
    with pytest.raises(ValueError, match=r"keras\.ops\.reshape .*\(None, 3\)"):
        ops.reshape(a, (2, 2))


def test_bad_indexing_raises_index_error():
    x = keras.Input(shape=(3,))
    with pytest.raises(IndexError, match="too many indices"):
        x[:, 0, 1]
    with pytest.raises(IndexError, match="out of bounds"):
        x[:, 3]


def test_ops_that_cannot_be_symbolic_say_what_to_do_instead():
    x = keras.Input(shape=(4,))
    with pytest.raises(NotImplementedError, match="depends on the values"):
        ops.nonzero(x)
    with pytest.raises(NotImplementedError, match="depends on the values"):
        ops.where(x > 0)
    with pytest.raises(NotImplementedError, match="custom Layer"):
        ops.cond(x, lambda: x, lambda: -x)
    with pytest.raises(TypeError, match="cannot be converted to a NumPy array"):
        ops.convert_to_numpy(x)
    with pytest.raises(ValueError, match="number of results depends on an unknown"):
        ops.unstack(x)
    with pytest.raises(TypeError, match="no truth value"):
        bool(x)
    with pytest.raises(TypeError, match="symbolic placeholder"):
        np.asarray(x)


# --- the eager path is untouched ----------------------------------------------------------

def test_eager_ops_unchanged():
    out = ops.add(np.ones(2, np.float32), np.ones(2, np.float32))
    assert isinstance(out, keras.Tensor) and out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [2.0, 2.0])
    with pytest.raises(ValueError, match=r"add: shapes \(2,\) and \(3,\)"):
        ops.add(np.ones(2), np.ones(3))
    assert inspect.signature(ops.mean) == inspect.signature(ops.mean.__wrapped__)
    assert ops.mean.__name__ == "mean" and ops.mean.__doc__ == ops.mean.__wrapped__.__doc__


def test_keras_ops_sub_namespaces_and_activations_on_symbolic_tensors():
    """keras.ops.linalg.inv / keras.ops.nn.relu / keras.ops.numpy.add and keras.activations
    build graph nodes too, and compute the same numbers as the flat ops."""
    inputs = keras.Input((3, 3))
    a = keras.ops.linalg.inv(keras.ops.numpy.add(inputs, keras.ops.eye(3) * 4.0))
    b = keras.ops.nn.relu(keras.activations.gelu(inputs))
    model = keras.Model(inputs, [a, b])
    assert a.shape == (None, 3, 3) and b.shape == (None, 3, 3)
    x = np.random.default_rng(0).standard_normal((2, 3, 3)).astype("float32")
    got_a, got_b = model.predict(x, verbose=0)
    np.testing.assert_allclose(got_a, np.linalg.inv(x + 4 * np.eye(3)), rtol=1e-5, atol=1e-6)
    gelu = 0.5 * x * (1 + np.vectorize(math.erf)(x / np.sqrt(2)))
    np.testing.assert_allclose(got_b, np.maximum(gelu, 0), rtol=1e-5, atol=1e-6)


def test_keras_ops_image_on_symbolic_tensors_trains_saves_and_loads(tmp_path):
    inputs = keras.Input((8, 8, 3))
    small = keras.ops.image.resize(inputs, (4, 4))
    gray = keras.ops.image.rgb_to_grayscale(small)
    padded = keras.ops.image.pad_images(gray, 1, 1, target_height=6, target_width=6)
    outputs = layers.Dense(1)(layers.Flatten()(padded))
    model = keras.Model(inputs, outputs)
    assert [small.shape, gray.shape, padded.shape] == [(None, 4, 4, 3), (None, 4, 4, 1),
                                                       (None, 6, 6, 1)]
    names = [type(op).__name__ for op in model._operations]
    assert names[1:4] == ["Resize", "RGBToGrayscale", "PadImages"]  # Keras's class names
    x = np.random.default_rng(0).random((3, 8, 8, 3)).astype("float32")
    # 2x2 block means (bilinear halving), then the TF grayscale weights
    expected = x.reshape(3, 4, 2, 4, 2, 3).mean(axis=(2, 4)) @ np.array([0.2989, 0.5870, 0.1140])
    feature = keras.Model(inputs, padded).predict(x, verbose=0)
    np.testing.assert_allclose(feature[:, 1:5, 1:5, 0], expected, rtol=1e-5)
    assert not feature[:, 0].any() and not feature[:, :, 5].any()
    model.compile("sgd", "mse")
    model.fit(x, np.ones((3, 1)), epochs=2, verbose=0)
    path = tmp_path / "image_ops.keras"
    model.save(path)
    np.testing.assert_array_equal(keras.models.load_model(path).predict(x, verbose=0),
                                  model.predict(x, verbose=0))
