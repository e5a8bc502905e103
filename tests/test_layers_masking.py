"""`Masking`: the mask it computes, the zeroed steps, and RNNs skipping the masked steps."""
import numpy as np
import pytest

import lamina
from lamina import layers
from tests.helpers.layer_test import run_layer_test


def _padded(rng, lengths, steps, features, value=0.0, pre=True):
    x = np.full((len(lengths), steps, features), value, "float32")
    for i, n in enumerate(lengths):
        seq = rng.standard_normal((n, features)).astype("float32")
        if pre:
            x[i, steps - n:] = seq
        else:
            x[i, :n] = seq
    return x


def test_mask_and_output(rng):
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    x[0, 1] = -1.0
    x[1, 3] = -1.0
    x[1, 0, 0] = -1.0  # one feature equal to mask_value does not mask the step
    layer = layers.Masking(mask_value=-1.0)
    y = layer(x)
    want = np.array([[True, False, True, True], [True, True, True, False]])
    np.testing.assert_array_equal(np.asarray(y._keras_mask), want)
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(x)), want)
    np.testing.assert_array_equal(y.numpy(), x * want[..., None])
    assert layer.compute_output_shape((None, 4, 3)) == (None, 4, 3)
    assert layers.Masking.from_config(layer.get_config()).mask_value == -1.0


def test_layer_harness():
    run_layer_test(layers.Masking, {"mask_value": 0.5}, input_shape=(2, 4, 3),
                   expected_output_shape=(2, 4, 3), expected_num_trainable_weights=0)


@pytest.mark.parametrize("pre", [True, False], ids=["pre-padded", "post-padded"])
@pytest.mark.parametrize("rnn", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_rnn_after_masking_equals_rnn_on_unpadded_sequences(rnn, pre, rng):
    lengths = [5, 2, 4]
    x = _padded(rng, lengths, 6, 3, pre=pre)
    recurrent = rnn(4)
    model = lamina.Sequential([layers.Input(shape=(6, 3)), layers.Masking(), recurrent])
    out = model(x).numpy()
    for i, n in enumerate(lengths):
        seq = x[i:i + 1, 6 - n:] if pre else x[i:i + 1, :n]
        np.testing.assert_allclose(out[i], recurrent(seq).numpy()[0], rtol=1e-5, atol=1e-6)


def test_return_sequences_repeat_the_last_output_at_masked_steps(rng):
    x = _padded(rng, [3, 5], 5, 2, pre=False)
    masking, gru = layers.Masking(), layers.GRU(3, return_sequences=True)
    seq = gru(masking(x))
    np.testing.assert_array_equal(np.asarray(seq._keras_mask), [[1, 1, 1, 0, 0], [1] * 5])
    y = seq.numpy()
    np.testing.assert_array_equal(y[0, 3], y[0, 2])
    np.testing.assert_array_equal(y[0, 4], y[0, 2])
    zero = layers.GRU(3, return_sequences=True, zero_output_for_mask=True)
    zero(x)
    zero.set_weights(gru.get_weights())
    z = zero(masking(x)).numpy()
    np.testing.assert_array_equal(z[0, 3:], 0.0)
    np.testing.assert_allclose(z[:, :3], y[:, :3], rtol=1e-6)


def test_mask_flows_through_a_functional_model_and_training(rng):
    x = _padded(rng, [6, 3, 4, 1], 6, 2)
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")
    inputs = layers.Input(shape=(None, 2))
    h = layers.LSTM(4, return_sequences=True)(layers.Masking()(inputs))
    h = layers.Bidirectional(layers.GRU(3))(h)
    model = lamina.Model(inputs, layers.Dense(1, activation="sigmoid")(h))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, verbose=0)
    assert np.isfinite(before) and model.evaluate(x, y, verbose=0) < before
    # more padding (masked steps) does not change the predictions
    longer = np.concatenate([np.zeros((4, 3, 2), "float32"), x], axis=1)
    np.testing.assert_allclose(model.predict(longer, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
