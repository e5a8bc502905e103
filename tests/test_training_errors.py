"""Bad input gets a clear error before any training step, and likely mistakes warn."""
import warnings

import numpy as np
import pytest

import lamina as keras
from lamina import layers


def mlp(n_in=784, units=10, activation="softmax"):
    return keras.Sequential([keras.Input(shape=(n_in,)), layers.Dense(8, activation="relu"),
                             layers.Dense(units, activation=activation)])


def compiled(loss="sparse_categorical_crossentropy", **kw):
    model = mlp(**kw)
    model.compile(optimizer="rmsprop", loss=loss, metrics=["accuracy"])
    return model


def test_fit_before_compile():
    with pytest.raises(RuntimeError, match="compile the model before fit"):
        mlp().fit(np.zeros((4, 784)), np.zeros(4))


def test_images_into_a_dense_model_suggest_flatten():
    model = compiled()
    w_before = model.get_weights()
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, 784\), got \(60, 28, 28\).*reshape"):
        model.fit(np.zeros((60, 28, 28), np.float32), np.zeros(60))
    for a, b in zip(w_before, model.get_weights()):  # nothing trained
        np.testing.assert_array_equal(a, b)


def test_direct_call_with_wrong_features_names_layer_and_shapes():
    model = mlp()
    with pytest.raises(ValueError, match=r"Dense layer 'dense.*expected input of shape \(None, 784\), got \(5, 28, 28\).*flatten"):
        model.layers[0](np.zeros((5, 28, 28), np.float32))


def test_length_mismatch():
    with pytest.raises(ValueError, match="same number of samples.*x: 10, y: 9"):
        compiled().fit(np.zeros((10, 784)), np.zeros(9))


def test_labels_out_of_range_for_sparse_ce():
    with pytest.raises(ValueError, match="label 10 is out of range.*10 output units"):
        compiled().fit(np.zeros((4, 784)), np.array([0, 3, 10, 2]))


def test_one_hot_labels_with_sparse_loss_and_integers_with_categorical():
    one_hot = np.eye(10, dtype="float32")[[1, 2, 3, 4]]
    with pytest.raises(ValueError, match="looks one-hot.*categorical_crossentropy"):
        compiled().fit(np.zeros((4, 784)), one_hot)
    with pytest.raises(ValueError, match="integer labels.*sparse_categorical_crossentropy.*to_categorical"):
        compiled(loss="categorical_crossentropy").fit(np.zeros((4, 784)), np.array([1, 2, 3, 4]))


@pytest.mark.parametrize("bad", [(57, 3, np.nan), (99, 0, np.inf)])
def test_a_big_array_is_checked_in_blocks_on_two_threads(monkeypatch, bad):
    from lamina.trainers import input_checks
    monkeypatch.setattr(input_checks, "_PARALLEL_SUM_BYTES", 0)  # every array "big"
    x = np.zeros((100, 784), np.float32)
    x[bad[:2]] = bad[2]
    kind = "NaN" if np.isnan(bad[2]) else "inf"
    with pytest.raises(ValueError, match=rf"x contains 1 NaN/inf.*{kind} at index \({bad[0]}, {bad[1]}\)"):
        compiled().fit(x, np.zeros(100, int), verbose=0)
    # +inf and -inf in two blocks: their partial sums add up to NaN, still caught
    x[bad[:2]], x[5, 5], x[95, 5] = 0, np.inf, -np.inf
    with pytest.raises(ValueError, match="x contains 2 NaN/inf"):
        compiled().fit(x, np.zeros(100, int), verbose=0)
    # finite values whose block sums overflow when added: the exact check lets them pass
    x[5, 5], x[95, 5] = 3e38, 3e38
    compiled().fit(x, np.zeros(100, int), verbose=0)


def test_nan_in_x_says_where():
    x = np.zeros((6, 784), np.float32)
    x[4, 17] = np.nan
    with pytest.raises(ValueError, match=r"x contains 1 NaN/inf.*NaN at index \(4, 17\)"):
        compiled().fit(x, np.zeros(6))
    y = np.zeros(6)
    y[2] = np.inf
    with pytest.raises(ValueError, match=r"y contains .*inf at index \(2,\)"):
        compiled().fit(np.zeros((6, 784)), y)


def test_object_arrays_suggest_multi_hot_or_padding():
    reviews = np.empty(3, dtype=object)
    reviews[:] = [[1, 2], [3], [4, 5, 6]]
    with pytest.raises(TypeError, match="multi_hot.*pad_sequences"):
        compiled().fit(reviews, np.zeros(3))


def test_empty_data():
    with pytest.raises(ValueError, match="empty"):
        compiled().fit(np.zeros((0, 784)), np.zeros(0))


def test_unknown_names_suggest_the_closest():
    with pytest.raises(ValueError, match="rmsprop"):
        mlp().compile(optimizer="rmsprp", loss="mse")
    with pytest.raises(ValueError, match="mean_squared_error|mse"):
        mlp().compile(optimizer="adam", loss="mean_squared_eror")
    with pytest.raises(ValueError, match="mae|mean_absolute_error"):
        mlp().compile(optimizer="adam", loss="mse", metrics=["mea"])


@pytest.mark.parametrize("units,activation,loss,fragment", [
    (1, "softmax", "binary_crossentropy", "softmax over one unit"),
    (10, "sigmoid", "categorical_crossentropy", "sigmoid output"),
    (10, None, "sparse_categorical_crossentropy", "from_logits=True"),
])
def test_activation_loss_mismatch_warns_once(units, activation, loss, fragment):
    model = mlp(units=units, activation=activation)
    model.compile(optimizer="adam", loss=loss)
    y = np.zeros((8, units), np.float32) if loss == "categorical_crossentropy" else np.zeros(8)
    with pytest.warns(UserWarning, match=fragment):
        model.fit(np.zeros((8, 784), np.float32), y, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(np.zeros((8, 784), np.float32), y, verbose=0)  # only once


def test_good_pairs_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled().fit(np.zeros((8, 784), np.float32), np.zeros(8), verbose=0)
        model = mlp(units=1, activation=None)
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        model.fit(np.zeros((8, 784), np.float32), np.zeros(8), verbose=0)
