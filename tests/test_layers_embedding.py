"""Embedding: lookup values, the scatter-add gradient (repeated tokens accumulate), masks,
Keras's defaults and parameter counts, and errors for out-of-range indices."""

import warnings

import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.engine.tape import GradientTape
from lamina.layers.core.embedding import embedding_lookup
from tests.helpers.layer_test import run_layer_test


def test_embedding_layer_harness():
    run_layer_test(
        layers.Embedding,
        {"input_dim": 10, "output_dim": 3},
        (2, 5),
        input_dtype="int64",
        expected_output_shape=(2, 5, 3),
        expected_num_params=30,
    )
    run_layer_test(
        layers.Embedding,
        {"input_dim": 10, "output_dim": 4, "mask_zero": True},
        (3, 4),
        input_dtype="int32",
        expected_output_shape=(3, 4, 4),
    )


def test_lookup_values_and_default_initializer():
    layer = layers.Embedding(1000, 8)
    tokens = np.array([[3, 999, 3], [0, 1, 2]])
    out = layer(tokens).numpy()
    table = layer.embeddings.numpy()
    np.testing.assert_array_equal(out, table[tokens])
    assert out.dtype == np.float32 and table.shape == (1000, 8)
    assert (
        table.min() >= -0.05 and table.max() <= 0.05 and table.std() > 0.02
    )  # uniform(-0.05, 0.05)


def test_gradient_is_a_scatter_add_of_repeated_tokens(rng):
    layer = layers.Embedding(7, 3, dtype="float64")
    tokens = np.array([[1, 4, 1, 1], [6, 4, 0, 1]])
    g = rng.standard_normal((2, 4, 3))
    with GradientTape() as tape:
        out = layer(tokens)
        loss = keras.ops.sum(out * g)
    grad = tape.gradient(loss, layer.embeddings).numpy()
    ref = np.zeros((7, 3))
    for (i, j), t in np.ndenumerate(tokens):
        ref[t] += g[i, j]  # float64 reference, one token at a time
    np.testing.assert_allclose(grad, ref, atol=1e-12)
    assert not grad[[2, 3, 5]].any()


def test_lookup_op_gradient_for_float32_any_index_shape(rng):
    table = keras.Variable(rng.standard_normal((5, 2)).astype("float32"))
    idx = np.array([[[0, 4], [4, 4]]])
    with GradientTape() as tape:
        y = embedding_lookup(table, idx)
    grad = tape.gradient(y, table).numpy()
    assert y.shape == (1, 2, 2, 2) and grad.dtype == np.float32
    np.testing.assert_array_equal(grad[:, 0], [1, 0, 0, 0, 3])


def test_mask_zero_produces_mask():
    layer = layers.Embedding(5, 2, mask_zero=True)
    out = layer(np.array([[1, 2, 0], [0, 0, 3]]))
    np.testing.assert_array_equal(
        out._keras_mask.numpy(), [[True, True, False], [False, False, True]]
    )
    assert layers.Embedding(5, 2).compute_mask(np.array([[0, 1]])) is None


def test_float_indices_are_accepted_when_integral():
    layer = layers.Embedding(5, 2)
    out = layer(np.array([[1.0, 4.0]], "float32"))
    np.testing.assert_array_equal(out.numpy(), layer.embeddings.numpy()[[[1, 4]]])
    with pytest.raises(ValueError, match="integer indices"):
        layer(np.array([[1.5]], "float32"))


def test_index_too_large_names_the_largest_index():
    layer = layers.Embedding(100, 4, name="emb")
    with pytest.raises(
        ValueError, match=r"input_dim=100.*largest index found is 250.*at least 251"
    ):
        layer(np.array([[5, 250, 101]]))


def test_negative_index_is_refused():
    with pytest.raises(ValueError, match=r"largest index found is 3 and the smallest -2"):
        layers.Embedding(10, 2)(np.array([[3, -2]]))


def test_summary_param_count_and_imdb_style_model(capsys):
    model = keras.Sequential(
        [
            keras.Input(shape=(200,), dtype="int32"),
            layers.Embedding(10000, 32),
            layers.GlobalAveragePooling1D(),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    assert model.layers[0].count_params() == 320000
    assert model.output_shape == (None, 1)
    model.summary()
    assert "320,000" in capsys.readouterr().out


def test_embedding_model_learns_token_sentiment(rng):
    """Label = whether token 1 occurs: the embedding must learn to separate it."""
    x = rng.integers(2, 50, size=(256, 12))
    y = rng.integers(0, 2, size=256)
    x[y == 1, rng.integers(0, 12, size=int(y.sum()))] = 1
    model = keras.Sequential(
        [
            layers.Embedding(50, 8),
            layers.GlobalMaxPooling1D(),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"]
    )
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.95


def test_keras_compatibility_arguments():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = layers.Embedding(10, 3, input_length=20)
    assert any("input_length" in str(w.message) for w in caught)
    weights = np.arange(30, dtype="float32").reshape(10, 3)
    preset = layers.Embedding(10, 3, weights=[weights])
    np.testing.assert_array_equal(preset(np.array([[2]])).numpy()[0, 0], weights[2])
    config = layer.get_config()
    for key in (
        "input_dim",
        "output_dim",
        "embeddings_initializer",
        "embeddings_regularizer",
        "activity_regularizer",
        "embeddings_constraint",
        "mask_zero",
    ):
        assert key in config
    with pytest.raises(ValueError, match="input_dim must be a positive integer"):
        layers.Embedding(0, 3)
