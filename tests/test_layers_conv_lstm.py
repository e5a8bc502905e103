"""ConvLSTM1D/2D/3D: outputs equal Keras 3.15's for the same weights on fixed inputs
(tests/data/keras_extra_reference.npz, made by tests/fixtures/make_extra_reference.py),
float64 gradients against finite differences, masks, dropout, stateful, configs."""
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import layers
from tests.fixtures.make_extra_reference import (
    CONV_LSTM_CASES, conv_lstm_shapes, inputs, weight_arrays,
)
from tests.helpers.layer_test import run_layer_test

REF = np.load(Path(__file__).parent / "data" / "keras_extra_reference.npz")


@pytest.mark.parametrize("case", list(CONV_LSTM_CASES))
def test_conv_lstm_matches_keras(case):
    i = list(CONV_LSTM_CASES).index(case)
    rank, kwargs, shape = CONV_LSTM_CASES[case]
    layer = getattr(layers, f"ConvLSTM{rank}D")(**kwargs)
    layer.build(shape)
    layer.set_weights(weight_arrays(conv_lstm_shapes(rank, kwargs, shape), seed=100 + i))
    y = layer(inputs(shape, seed=i))
    outs = y if isinstance(y, tuple) else (y,)
    assert len(outs) == len([k for k in REF.files if k.startswith(case + "/")])
    for j, t in enumerate(outs):
        np.testing.assert_allclose(t.numpy(), REF[f"{case}/{j}"], rtol=1e-5, atol=1e-6)
    computed = layer.compute_output_shape(shape)
    computed = computed if isinstance(computed, list) else [computed]
    assert [tuple(c) for c in computed] == [o.shape for o in outs]


def test_conv_lstm_layer_harness():
    # float64 gradients of inputs and all three weights; config round trip; a training step
    run_layer_test(layers.ConvLSTM2D, {"filters": 2, "kernel_size": 2, "padding": "same"},
                   input_shape=(2, 2, 3, 3, 1), expected_output_shape=(2, 3, 3, 2),
                   expected_num_trainable_weights=3, expected_num_params=2 * 2 * 1 * 8 + 2 * 2 * 2 * 8 + 8)
    run_layer_test(layers.ConvLSTM1D, {"filters": 2, "kernel_size": 2, "return_sequences": True},
                   input_shape=(2, 3, 4, 2), expected_output_shape=(2, 3, 3, 2))


def test_conv_lstm3d_shapes_and_params():
    run_layer_test(layers.ConvLSTM3D, {"filters": 1, "kernel_size": 2}, input_shape=(1, 2, 3, 3, 3, 1),
                   expected_output_shape=(1, 2, 2, 2, 1), expected_num_params=8 * 4 + 8 * 4 + 4,
                   check_gradient=False)


def test_param_count_and_forget_bias():
    layer = layers.ConvLSTM2D(8, 3)
    layer.build((None, 4, 10, 10, 3))
    assert layer.count_params() == 3 * 3 * 3 * 32 + 3 * 3 * 8 * 32 + 32  # Keras: 3,200
    b = layer.cell.bias.numpy()
    np.testing.assert_array_equal(b, np.r_[np.zeros(8), np.ones(8), np.zeros(16)])


def test_mask_repeats_previous_state():
    x = inputs((2, 3, 4, 4, 1), seed=5)
    layer = layers.ConvLSTM2D(2, 2, padding="same", return_sequences=True)
    mask = np.array([[True, False, True], [True, True, True]])
    y = layer(x, mask=mask).numpy()
    np.testing.assert_array_equal(y[0, 1], y[0, 0])  # masked step repeats the output
    full = layer(x[:, [0, 2]]).numpy()
    np.testing.assert_allclose(y[0, 2], full[0, 1], rtol=1e-6)  # and keeps the states


def test_dropout_only_in_training_and_stateful():
    x = inputs((2, 3, 4, 4, 2), seed=6)
    layer = layers.ConvLSTM2D(2, 3, padding="same", dropout=0.5, recurrent_dropout=0.3, seed=1)
    a, b = layer(x).numpy(), layer(x).numpy()
    np.testing.assert_array_equal(a, b)
    t = layer(x, training=True).numpy()
    assert np.abs(t - a).max() > 1e-3
    # stateful: two halves of a sequence give the same result as the whole sequence
    st = layers.ConvLSTM2D(2, 3, padding="same", stateful=True)
    whole = layers.ConvLSTM2D(2, 3, padding="same")
    st.build(x.shape)
    whole.build(x.shape)
    whole.set_weights(st.get_weights())
    st(x[:, :2])
    np.testing.assert_allclose(st(x[:, 2:]).numpy(), whole(x).numpy(), rtol=1e-5, atol=1e-6)
    st.reset_state()
    np.testing.assert_array_equal(st.states[0].numpy(), 0)


def test_in_a_model_and_errors():
    model = lamina.Sequential([layers.Input((3, 6, 6, 1)),
                               layers.ConvLSTM2D(3, 3, return_sequences=True),
                               layers.ConvLSTM2D(2, 3), layers.Flatten(), layers.Dense(1)])
    assert model.output_shape == (None, 1)
    assert model.layers[0].output.shape == (None, 3, 4, 4, 3)
    with pytest.raises(ValueError, match="rank 5"):
        layers.ConvLSTM2D(2, 3)(np.zeros((2, 6, 6, 1), "float32"))
    with pytest.raises(ValueError, match="dilation_rate"):
        layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    config = layers.ConvLSTM2D(4, 3, padding="same").get_config()
    assert config["filters"] == 4 and config["kernel_size"] == (3, 3)
    keras_keys = {  # keras.layers.ConvLSTM2D(2, 3).get_config() in Keras 3.15.1
        "activation", "activity_regularizer", "bias_constraint", "bias_initializer",
        "bias_regularizer", "data_format", "dilation_rate", "dropout", "dtype", "filters",
        "go_backwards", "kernel_constraint", "kernel_initializer", "kernel_regularizer",
        "kernel_size", "name", "padding", "recurrent_activation", "recurrent_constraint",
        "recurrent_dropout", "recurrent_initializer", "recurrent_regularizer", "return_sequences",
        "return_state", "seed", "stateful", "strides", "trainable", "unit_forget_bias", "unroll",
        "use_bias", "zero_output_for_mask"}
    assert set(config) == keras_keys
