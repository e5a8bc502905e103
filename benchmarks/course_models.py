"""The five models of issue 15 section 2, written once against the Keras 3 API.

Each `build_*(keras)` takes the Keras-compatible module to build with (lamina, or Keras in
the peers' environment), so lamina and Keras-JAX train the very same definitions. Nothing
here imports lamina or a peer: `course_rows.py` (lamina) and `course_peers.py` (run in the
peers' interpreter as a subprocess) import it. The PyTorch twins are in `course_peers.py`.
Each row trains from a seed for its epochs and reports the wall time of the last one.
"""
import numpy as np

VOCAB, MAXLEN = 10000, 200
SERIES_FEATURES, WINDOW, DELAY = 14, 120, 24

ROWS = {
    # name: (label, batch size, epochs run (the last one is timed), metric name)
    "imdb_lstm": ("IMDB LSTM(32), 5,000 reviews, b128, epoch 2", 128, 2, "accuracy"),
    "imdb_bigru": ("IMDB Bidirectional(GRU(32)), 5,000 reviews, b128, epoch 2", 128, 2, "loss"),
    "text_transformer": ("text Transformer encoder, 5,000 reviews, b64, 1 epoch", 64, 1, "loss"),
    "mnist_bn_convnet": ("MNIST BN convnet, 10,000 images, b64, 1 epoch", 64, 1, "accuracy"),
    "timeseries_gru": ("timeseries GRU(32), 10,000 windows x 120, b256, epoch 2", 256, 2, "mae"),
    "timeseries_gru_rdrop": ("timeseries GRU(32, recurrent_dropout=0.25), 10,000 x 120, b256, "
                             "epoch 2", 256, 2, "mae"),
}


def jena_like(n_windows=10000, seed=0):
    """A Jena-climate-like hourly series of 14 correlated, standardized features, cut into
    `n_windows` windows of 120 steps; the target is feature 1 (temperature) 24 h after each
    window's end. Returns (x (n, 120, 14) float32, y (n,) float32)."""
    rng = np.random.default_rng(seed)
    length = n_windows + WINDOW + DELAY
    t = np.arange(length, dtype=np.float64)
    noise = np.zeros((length, SERIES_FEATURES))
    eps = rng.standard_normal((length, SERIES_FEATURES))
    for i in range(1, length):  # AR(1) weather fluctuations
        noise[i] = 0.95 * noise[i - 1] + 0.3 * eps[i]
    daily, yearly = np.sin(2 * np.pi * t / 24), np.sin(2 * np.pi * t / (24 * 365))
    mix = rng.standard_normal((3, SERIES_FEATURES))
    series = daily[:, None] * mix[0] + 3 * yearly[:, None] * mix[1] + noise @ np.diag(1 + np.abs(mix[2]))
    series[:, 1] = 8 * yearly + 4 * daily + noise[:, 1]  # "T (degC)"
    series = (series - series.mean(0)) / series.std(0)
    idx = np.arange(n_windows)[:, None] + np.arange(WINDOW)
    x = series[idx].astype(np.float32)
    y = series[np.arange(n_windows) + WINDOW + DELAY - 1, 1].astype(np.float32)
    return x, y


def build_imdb_lstm(keras):
    layers = keras.layers
    model = keras.Sequential([keras.Input(shape=(MAXLEN,), dtype="int32"),
                              layers.Embedding(VOCAB, 32), layers.LSTM(32),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build_imdb_bigru(keras):
    layers = keras.layers
    model = keras.Sequential([keras.Input(shape=(MAXLEN,), dtype="int32"),
                              layers.Embedding(VOCAB, 32), layers.Bidirectional(layers.GRU(32)),
                              layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    return model


def build_text_transformer(keras):
    layers, ops = keras.layers, keras.ops

    class TokenAndPosition(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.tokens = layers.Embedding(VOCAB, 64)
            self.positions = layers.Embedding(MAXLEN, 64)

        def call(self, x):
            return self.tokens(x) + self.positions(ops.arange(MAXLEN))

    inputs = keras.Input(shape=(MAXLEN,), dtype="int32")
    x = TokenAndPosition()(inputs)
    attn = layers.MultiHeadAttention(num_heads=2, key_dim=32)(x, x)
    x = layers.LayerNormalization(epsilon=1e-6)(layers.add([x, attn]))
    ffn = layers.Dense(64)(layers.Dense(128, activation="relu")(x))
    x = layers.LayerNormalization(epsilon=1e-6)(layers.add([x, ffn]))
    x = layers.Dropout(0.1)(layers.GlobalAveragePooling1D()(x))
    model = keras.Model(inputs, layers.Dense(1)(x))
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    return model


def build_mnist_bn_convnet(keras):
    layers = keras.layers
    stack = [keras.Input(shape=(28, 28, 1))]
    for filters in (32, 64):
        for _ in range(2):
            stack += [layers.Conv2D(filters, 3, padding="same"), layers.BatchNormalization(),
                      layers.ReLU()]
        stack.append(layers.MaxPooling2D(2))
    stack += [layers.GlobalAveragePooling2D(), layers.Dropout(0.25), layers.Dense(10)]
    model = keras.Sequential(stack)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def build_timeseries_gru(keras, recurrent_dropout=0.0):
    model = keras.Sequential([keras.Input(shape=(WINDOW, SERIES_FEATURES)),
                              keras.layers.GRU(32, recurrent_dropout=recurrent_dropout),
                              keras.layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    return model


BUILDERS = {
    "imdb_lstm": build_imdb_lstm, "imdb_bigru": build_imdb_bigru,
    "text_transformer": build_text_transformer, "mnist_bn_convnet": build_mnist_bn_convnet,
    "timeseries_gru": build_timeseries_gru,
    # the course's regularized GRU (Keras: one recurrent mask per sequence and gate)
    "timeseries_gru_rdrop": lambda keras: build_timeseries_gru(keras, recurrent_dropout=0.25),
}


def train_timed(keras, name, x, y):
    """Train row `name` (seeded) and return (seconds of the last epoch, its metric)."""
    import time  # noqa: PLC0415 - keep the module's top imports NumPy only

    _, batch, epochs, metric = ROWS[name]
    keras.utils.set_random_seed(0)
    model = BUILDERS[name](keras)
    seconds, value = None, None
    for _ in range(epochs):
        t = time.perf_counter()
        hist = model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        seconds = time.perf_counter() - t
        value = float(hist.history[metric][-1])
    return seconds, value
