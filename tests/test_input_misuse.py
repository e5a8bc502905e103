"""Inputs are never silently misused (issue 11, section 4): each case either does what Keras
does or raises before training, naming the argument, what was given and the fix."""
import warnings

import numpy as np
import pytest

import lamina
from lamina import layers


def _regression(units=1, activation=None, loss="mse", n_in=2):
    model = lamina.Sequential([lamina.Input((n_in,)), layers.Dense(units, activation=activation)])
    model.compile(optimizer="sgd", loss=loss)
    return model


X = np.arange(8, dtype="float32").reshape(4, 2) / 8
Y = np.ones((4, 1), "float32")


# --- functional models given a dict ---------------------------------------------------------


def _difference_model(as_dict):
    a, b = lamina.Input((1,), name="a"), lamina.Input((1,), name="b")
    out = layers.Subtract()([a, b])
    return lamina.Model({"a": a, "b": b} if as_dict else [a, b], out)


@pytest.mark.parametrize("as_dict", [True, False])
def test_dict_inputs_are_matched_by_key_never_by_sorted_order(as_dict):
    model = _difference_model(as_dict)
    xa, xb = np.full((2, 1), 10.0, "float32"), np.full((2, 1), 1.0, "float32")
    np.testing.assert_allclose(model.predict({"b": xb, "a": xa}, verbose=0), 9.0)
    np.testing.assert_allclose(model({"a": xa, "b": xb, "extra": xa}).data, 9.0)  # extras ignored
    with pytest.raises(ValueError, match=r"expects a dict with keys \['a', 'b'\].*got keys \['a', 'B'\].*missing \['b'\]"):
        model.predict({"a": xa, "B": xb}, verbose=0)  # sorted order would have given -9.0
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        model({"a": xa, "B": xb})


# --- the scalar arguments of fit --------------------------------------------------------------


def _weights_after(shuffle):
    lamina.utils.set_random_seed(3)
    model = _regression()
    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    model.fit(x, x[:, :1] * 2 - x[:, 1:], batch_size=8, epochs=2, shuffle=shuffle, verbose=0)
    return model.layers[0].get_weights()[0]


@pytest.mark.parametrize("truthy", [np.True_, 1])
def test_shuffle_accepts_any_truthy_value_as_keras(truthy):
    shuffled, unshuffled = _weights_after(True), _weights_after(False)
    assert not np.allclose(shuffled, unshuffled)
    np.testing.assert_array_equal(_weights_after(truthy), shuffled)
    np.testing.assert_array_equal(_weights_after(np.False_), unshuffled)


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 0}, r"batch_size must be a positive integer.*got 0"),
    ({"batch_size": 2.5}, r"batch_size must be a positive integer.*got 2.5"),
    ({"epochs": 2.5}, r"epochs must be a non-negative integer, got 2.5"),
    ({"validation_freq": 0, "validation_data": (X, Y)}, r"validation_freq must be a positive integer.*got 0"),
    ({"shuffle": "yes"}, r"shuffle must be True, False or 'batch', got 'yes'"),
])
def test_bad_fit_arguments_raise_before_training(kwargs, match):
    model = _regression()
    before = model.layers[0].get_weights()[0].copy()
    with pytest.raises(ValueError, match=match):
        model.fit(X, Y, verbose=0, **kwargs)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], before)


def test_evaluate_and_predict_refuse_batch_size_zero():
    model = _regression()
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        model.evaluate(X, Y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        model.predict(X, batch_size=0, verbose=0)


def test_nan_in_sample_weight_or_class_weight_raises_like_nan_in_x():
    model = _regression()
    sw = np.ones(4)
    sw[1] = np.nan
    with pytest.raises(ValueError, match=r"sample_weight contains 1 NaN/inf value\(s\); the first is NaN at index \(1,\)"):
        model.fit(X, Y, sample_weight=sw, verbose=0)
    with pytest.raises(ValueError, match=r"class_weight\[1\] is nan: every class weight must be a finite number"):
        model.fit(X, Y, class_weight={0: 1.0, 1: float("nan")}, verbose=0)
    with pytest.raises(ValueError, match="sample_weight contains"):
        model.evaluate(X, Y, sample_weight=sw, verbose=0)


def test_two_dimensional_sample_weight_names_the_shapes():
    with pytest.raises(ValueError, match=r"sample_weight has shape \(4, 2\) but y has shape \(4, 1\): give one weight per sample, a 1-D array of shape \(4,\)"):
        _regression().fit(X, Y, sample_weight=np.ones((4, 2)), verbose=0)
    # (n, 1) weights are per sample, as in Keras: same loss as (n,)
    model = _regression()
    column = model.evaluate(X, Y, sample_weight=np.arange(1.0, 5.0).reshape(4, 1), verbose=0)
    assert column == pytest.approx(model.evaluate(X, Y, sample_weight=np.arange(1.0, 5.0), verbose=0))


# --- the loss describes the model that was declared ------------------------------------------

# Keras 3.15 (torch backend) on the same weights: evaluate == the loss of predict's output.
_RNG = np.random.default_rng(0)
_X4 = _RNG.normal(size=(8, 4)).astype("float32")


def _declared(units, activation, loss):
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(units, activation=activation)])
    model.compile(optimizer="sgd", loss=loss)
    kernel = np.ones((4, 1), "float32") if units == 1 else np.linspace(-1, 1, 4 * units).reshape(4, units)
    model.layers[0].set_weights([kernel.astype("float32"), np.zeros(units, "float32")])
    return model


@pytest.mark.parametrize("units, activation, loss, y, keras_value", [
    (1, "softmax", "binary_crossentropy", (np.arange(8) % 2).reshape(8, 1), 7.971192359924316),
    (10, "sigmoid", "categorical_crossentropy", np.eye(10)[np.arange(8)], 2.3138089179992676),
    (10, "sigmoid", "sparse_categorical_crossentropy", np.arange(8), 2.3138089179992676),
    (10, "softmax", "categorical_crossentropy", np.eye(10)[np.arange(8)], 2.3617424964904785),
    (10, "sigmoid", "binary_crossentropy", np.eye(10)[np.arange(8)], 0.9597890377044678),
])
def test_evaluate_scores_the_declared_output_as_keras(units, activation, loss, y, keras_value):
    model = _declared(units, activation, loss)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the activation/loss warning is tested below
        value = model.evaluate(_X4, y.astype("float32"), verbose=0)
    of_predict = float(np.mean(lamina.losses.get(loss)(y.astype("float32"), model.predict(_X4, verbose=0)).data))
    assert value == pytest.approx(keras_value, rel=1e-5)
    assert value == pytest.approx(of_predict, rel=1e-5)


def test_mismatched_pair_still_warns_and_metrics_score_the_declared_output():
    model = _declared(10, "sigmoid", "categorical_crossentropy")
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["categorical_crossentropy"])
    y = np.eye(10, dtype="float32")[np.arange(8)]
    with pytest.warns(UserWarning, match="a sigmoid output with categorical_crossentropy"):
        logs = model.evaluate(_X4, y, verbose=0, return_dict=True)
    assert logs["categorical_crossentropy"] == pytest.approx(2.3138089179992676, rel=1e-5)


def test_gradient_of_a_mismatched_pair_is_the_gradient_of_the_declared_loss():
    # softmax over one unit is constant: the declared model has no gradient to follow
    model = _declared(1, "softmax", "binary_crossentropy")
    before = model.layers[0].get_weights()[0].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(_X4, (np.arange(8) % 2).reshape(8, 1).astype("float32"), epochs=2, verbose=0)
    np.testing.assert_allclose(model.layers[0].get_weights()[0], before, atol=1e-6)


# --- the messages a student meets most ----------------------------------------------------


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_one_sigmoid_unit_with_a_categorical_loss_points_to_binary_crossentropy(loss):
    model = _regression(1, "sigmoid", loss, n_in=4)
    with pytest.raises(ValueError, match=r"1 output unit.*use loss='binary_crossentropy' and Dense\(1, activation='sigmoid'\)"):
        model.fit(np.ones((4, 4), "float32"), np.array([0, 1, 1, 0]), verbose=0)


@pytest.mark.parametrize("call", ["fit", "evaluate", "predict"])
def test_python_list_of_lists_as_x_is_refused_with_the_fix_as_keras(call):
    model = _regression()
    args = ([[0.1, 0.2], [0.3, 0.4]],) + (() if call == "predict" else ([0.0, 1.0],))
    with pytest.raises(TypeError, match=r"x is a Python list of lists \(2 items, the first \[0.1, 0.2\]\): convert it to a NumPy array first, e.g. x = np.array\(x"):
        getattr(model, call)(*args, verbose=0)
    with pytest.raises(TypeError, match=r"x is a Python list \(2 items"):
        model.predict([0.1, 0.2], verbose=0)


def test_python_list_as_y_is_refused_and_a_list_of_arrays_stays_multi_input():
    with pytest.raises(TypeError, match=r"y is a Python list \(4 items, the first 0.0\)"):
        _regression().fit(X, [0.0, 1.0, 1.0, 0.0], verbose=0)
    a, b = lamina.Input((2,)), lamina.Input((2,))
    model = lamina.Model([a, b], layers.Add()([a, b]))
    np.testing.assert_allclose(model.predict([X, X], verbose=0), 2 * X)


def test_validation_data_without_targets_names_the_fix():
    with pytest.raises(ValueError, match=r"validation_data is a single array of shape \(4, 2\): pass the targets too, validation_data=\(x_val, y_val\)"):
        _regression().fit(X, Y, validation_data=X, verbose=0)
    with pytest.raises(ValueError, match=r"validation_data must be \(x_val, y_val\).*got a tuple of 1 item"):
        _regression().fit(X, Y, validation_data=(X,), verbose=0)


def test_y_none_with_a_compiled_loss_names_the_fix():
    with pytest.raises(ValueError, match=r"fit: y is None but the model was compiled with loss='mse'"):
        _regression().fit(X, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: y is None but the model was compiled with loss='mse'"):
        _regression().evaluate(X, verbose=0)


def test_y_none_is_fine_when_a_custom_train_step_needs_no_targets():
    class AutoEncoder(lamina.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return lamina.ops.mean(lamina.ops.square(y_pred - x))

    model = AutoEncoder()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(X, epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_string_features_and_labels_name_the_fix():
    model = _regression()
    with pytest.raises(TypeError, match=r"x holds strings \(such as np.str_\('a'\), dtype <U1\).*TextVectorization"):
        model.fit(np.array([["a", "b"]] * 4), Y, verbose=0)
    with pytest.raises(TypeError, match=r"y holds strings \(such as np.str_\('cat'\)\).*np.unique\(y, return_inverse=True\)"):
        model.fit(X, np.array(["cat", "dog", "cat", "dog"]), verbose=0)
    with pytest.raises(TypeError, match=r"x is a Python list \(2 items, the first 'a b'\).*e.g. x = np.array\(x\)\. "):
        model.predict(["a b", "c"], verbose=0)


def test_string_features_pass_when_the_model_starts_with_text_preprocessing():
    vectorizer = layers.TextVectorization(max_tokens=10, output_mode="count")
    texts = np.array(["a b", "b c", "a a", "c"])
    vectorizer.adapt(texts)
    model = lamina.Sequential([vectorizer, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert model.evaluate(texts, np.ones(4, "float32"), verbose=0) >= 0


def test_complex_inputs_name_the_fix():
    with pytest.raises(TypeError, match=r"x holds complex numbers \(dtype complex128\).*np.abs\(x\)"):
        _regression().fit(X.astype(complex), Y, verbose=0)


def test_input_shape_given_as_an_int_is_one_axis_like_input():
    model = lamina.Sequential([layers.Dense(16, input_shape=10000)])
    assert model.input_shape == (None, 10000) and model.count_params() == 160_016
    with pytest.raises(TypeError, match=r"input_shape must be a tuple of axis sizes.*got 'abc'"):
        layers.Dense(16, input_shape="abc")
