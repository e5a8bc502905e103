"""Sequential, functional and subclassed models: building, naming, weights, summary."""
import numpy as np
import pytest

import lamina as keras
from lamina import layers


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def boston_model():
    return keras.Sequential([
        keras.Input(shape=(13,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ])


def test_automatic_unique_names():
    a, b, c = layers.Dense(2), layers.Dense(2), layers.Dropout(0.5)
    assert (a.name, b.name, c.name) == ("dense", "dense_1", "dropout")
    assert keras.Sequential().name == "sequential"
    assert keras.Sequential().name == "sequential_1"


def test_boston_summary_matches_keras(capsys):
    model = boston_model()
    model.summary()
    out = capsys.readouterr().out
    assert 'Model: "sequential"' in out
    for text in ("dense (Dense)", "(None, 64)", "896", "4,160", "(None, 1)", "65",
                 "Total params: 5,121 (20.00 KB)", "Trainable params: 5,121 (20.00 KB)",
                 "Non-trainable params: 0 (0.00 B)"):
        assert text in out, text
    assert "input_layer" not in out  # Sequential summaries do not list the Input


def test_summary_print_fn_and_param_counts():
    model = boston_model()
    lines = []
    model.summary(print_fn=lines.append)
    assert any("Total params: 5,121" in line for line in lines)
    assert model.count_params() == 5121
    assert [w.shape for w in model.weights] == [(13, 64), (64,), (64, 64), (64,), (64, 1), (1,)]
    assert [w.path for w in model.weights[:2]] == ["dense/kernel", "dense/bias"]


def test_input_shape_argument_and_deferred_build():
    m1 = keras.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(2)])
    assert m1.built and m1.output_shape == (None, 2)
    m2 = keras.Sequential([layers.Dense(4), layers.Dense(2)])
    assert not m2.built and m2.weights == []
    out = m2(np.ones((5, 3), np.float32))
    assert m2.built and out.shape == (5, 2) and m2.count_params() == 3 * 4 + 4 + 4 * 2 + 2
    m3 = keras.Sequential()
    m3.add(layers.Dense(4))
    m3.build((None, 7))
    assert m3.layers[0].kernel.shape == (7, 4)


def test_add_pop_and_layers():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4), layers.Dense(2)])
    assert len(model.layers) == 2
    popped = model.pop()
    assert popped.units == 2 and len(model.layers) == 1 and model.output_shape == (None, 4)
    model.add(layers.Dense(5))
    assert model.output_shape == (None, 5)
    with pytest.raises(TypeError, match="expects a layer"):
        model.add("dense")


def test_get_set_weights_round_trip():
    a, b = boston_model(), boston_model()
    x = np.random.default_rng(0).standard_normal((4, 13)).astype("float32")
    assert not np.allclose(a.predict(x, verbose=0), b.predict(x, verbose=0))
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))
    with pytest.raises(ValueError, match="has 6 weights"):
        b.set_weights(a.get_weights()[:2])


def test_predict_and_call_are_float32():
    model = boston_model()
    x = np.random.default_rng(0).standard_normal((10, 13))  # float64 in
    assert model.predict(x, verbose=0).dtype == np.float32
    assert model(x).dtype == np.float32
    np.testing.assert_allclose(model.predict(x, batch_size=3, verbose=0), model(x).numpy(), rtol=1e-5, atol=1e-6)


def test_functional_multi_input_multi_output_shared_layer():
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(4,), name="b")
    shared = layers.Dense(3, activation="relu")
    merged = layers.Concatenate()([shared(a), shared(b)])
    out1 = layers.Dense(1, name="score")(merged)
    out2 = layers.Dense(2, activation="softmax", name="kind")(merged)
    model = keras.Model(inputs=[a, b], outputs=[out1, out2])
    assert isinstance(model, keras.Model) and type(model).__name__ == "Functional"
    assert model.name == "functional"
    assert len(model.trainable_weights) == 2 + 2 + 2  # shared counted once
    xa, xb = np.ones((5, 4), np.float32), np.zeros((5, 4), np.float32)
    p1, p2 = model.predict([xa, xb], verbose=0)
    assert p1.shape == (5, 1) and p2.shape == (5, 2)
    np.testing.assert_allclose(p2.sum(axis=1), 1, rtol=1e-6)
    # shared weights: the same input twice gives equal halves
    inner = keras.Model([a, b], merged)
    m = inner.predict([xa, xa], verbose=0)
    np.testing.assert_array_equal(m[:, :3], m[:, 3:])
    p_dict = model.predict({"a": xa, "b": xb}, verbose=0)
    np.testing.assert_array_equal(p_dict[0], p1)
    assert model.get_layer("score").units == 1


def test_functional_summary_lists_inputs_and_connections(capsys):
    a = keras.Input(shape=(4,))
    b = keras.Input(shape=(4,))
    out = layers.Dense(1)(layers.Add()([layers.Dense(3)(a), layers.Dense(3)(b)]))
    keras.Model([a, b], out).summary()
    text = capsys.readouterr().out
    assert "input_layer (InputLayer)" in text and "Connected to" in text and "add (Add)" in text


def test_graph_disconnected_error():
    a, b = keras.Input(shape=(2,)), keras.Input(shape=(2,))
    out = layers.Add()([a, b])
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(a, out)


def test_subclassed_model():
    class TwoLayer(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(8, activation="relu")
            self.out = layers.Dense(1)

        def call(self, inputs, training=False):
            return self.out(self.hidden(inputs))

    model = TwoLayer()
    y = model(np.ones((3, 5), np.float32))
    assert y.shape == (3, 1) and len(model.weights) == 4 and model.count_params() == 5 * 8 + 8 + 8 + 1
    model.compile(optimizer="adam", loss="mse")
    h = model.fit(np.ones((16, 5), np.float32), np.ones((16, 1), np.float32), epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2


def test_training_flag_reaches_dropout():
    model = keras.Sequential([keras.Input(shape=(1000,)), layers.Dropout(0.5)])
    x = np.ones((2, 1000), np.float32)
    np.testing.assert_array_equal(model(x).numpy(), x)
    y = model(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6


def test_custom_layer_by_subclassing():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, inputs):
            return inputs * self.w

    model = keras.Sequential([keras.Input(shape=(3,)), Scale(), layers.Dense(1)])
    assert model.layers[0].w.path == "scale/w" and model.count_params() == 3 + 4
    assert model.output_shape == (None, 1)  # shape inferred by running the layer


def test_layer_trainable_flag_freezes_weights():
    model = boston_model()
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 2
    model.compile(optimizer="sgd", loss="mse")
    before = model.layers[0].get_weights()
    model.fit(np.ones((8, 13), np.float32), np.ones(8, np.float32), verbose=0)
    np.testing.assert_array_equal(before[0], model.layers[0].get_weights()[0])


def test_unknown_layer_argument_suggests():
    with pytest.raises(TypeError, match="did you mean 'activation'|Did you mean 'activation'"):
        layers.Dense(3, activaton="relu")


def test_activity_losses_belong_to_the_last_call_only():
    reg = keras.regularizers.l2(0.1)
    gen = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2, activity_regularizer=reg)])
    other = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    x = np.ones((4, 3), np.float32)
    with keras.GradientTape():
        out = gen(x)
        assert len(gen.losses) == 1
        other(x)  # calling an unrelated model must not clear gen's losses
        assert len(gen.losses) == 1
        gen(x)  # a new call of gen replaces its losses instead of adding up
        assert len(gen.losses) == 1
    expected = 0.1 * np.sum(out.numpy() ** 2)  # Keras 3 does not divide by the batch size
    assert float(gen.losses[0]) == pytest.approx(expected, rel=1e-5)


def test_default_names_follow_keras_snake_case():
    assert layers.Conv2D(2, 3).name == "conv2d"
    assert layers.MaxPooling2D().name == "max_pooling2d"
    assert layers.LSTM(2).name == "lstm" and layers.SimpleRNN(2).name == "simple_rnn"
    assert layers.Conv2DTranspose(2, 3).name == "conv2d_transpose"


def test_feature_extraction_from_a_sequential_model():
    """The course's pattern: a Model from model.input to every layer's output."""
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)), layers.Conv2D(2, 3, activation="relu"),
                              layers.Flatten(), layers.Dense(3)])
    x = np.random.default_rng(0).random((2, 8, 8, 1)).astype("float32")
    extractor = keras.Model(inputs=model.input, outputs=[layer.output for layer in model.layers])
    feats = extractor.predict(x, verbose=0)
    assert [f.shape for f in feats] == [(2, 6, 6, 2), (2, 72), (2, 3)]
    np.testing.assert_allclose(feats[-1], model.predict(x, verbose=0), rtol=1e-6)
    assert model.output.shape == (None, 3) and model.input.shape == (None, 8, 8, 1)


def test_layer_output_follows_the_latest_build_of_a_growing_sequential():
    model = keras.Sequential()
    model.add(layers.Dense(4, input_shape=(3,)))  # builds
    model.add(layers.Dense(2))  # rebuilds: layer 0 is called again
    sub = keras.Model(model.inputs, model.layers[0].output)
    assert sub.predict(np.ones((1, 3), np.float32), verbose=0).shape == (1, 4)


def test_calling_build_directly_marks_the_layer_built_as_keras_3():
    import lamina

    dense = lamina.layers.Dense(3)
    dense.build((None, 4))
    assert dense.built and dense.count_params() == 15
    assert dense.get_build_config() == {"input_shape": (None, 4)}

    class Scale(lamina.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    layer = Scale()
    layer.build((None, 5))
    assert layer.built and layer.count_params() == 5
    # a subclass calling super().build() is marked once, after its own build finishes
    class Twice(Scale):
        def build(self, input_shape):
            super().build(input_shape)
            self.b = self.add_weight(shape=(1,), initializer="zeros")

    twice = Twice()
    twice.build((None, 2))
    assert twice.built and twice.count_params() == 3


def test_functional_layers_and_weights_in_keras_map_graph_order():
    # Keras 3.15 (map_graph: by depth from the outputs, ties by first visit from the outputs)
    # gives layers [x, b, a, c, add] and weights b, a, c; Keras's legacy weight files are
    # filled layer by layer in this order
    inp = keras.Input((3,), name="x")
    a = layers.Dense(4, name="a")(inp)
    b = layers.Dense(5, name="b")(inp)
    c = layers.Dense(4, name="c")(b)
    model = keras.Model(inp, layers.Add(name="add")([a, c]))
    assert [layer.name for layer in model.layers] == ["x", "b", "a", "c", "add"]
    assert [w.path for w in model.weights] == ["b/kernel", "b/bias", "a/kernel", "a/bias", "c/kernel", "c/bias"]
    img = keras.Input((8, 8, 4), name="img")
    pre = layers.ReLU(name="pre")(img)
    shortcut = layers.Conv2D(8, 1, name="c0")(pre)
    y = layers.Conv2D(8, 1, name="c3")(layers.Conv2D(2, 1, name="c1")(pre))
    block = keras.Model(img, layers.Add(name="out")([shortcut, y]))
    assert [layer.name for layer in block.layers] == ["img", "pre", "c1", "c0", "c3", "out"]
