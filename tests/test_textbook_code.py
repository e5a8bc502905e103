"""Course code, written the way the textbook writes it for Keras, runs with `import lamina as
keras` (small real subsets so the suite stays fast)."""
import numpy as np
import pytest

import lamina as keras
from lamina import layers

pytestmark = pytest.mark.data


def vectorize_sequences(sequences, dimension=10000):
    results = np.zeros((len(sequences), dimension))  # the book's float64 array
    for i, sequence in enumerate(sequences):
        for j in sequence:
            results[i, j] = 1.
    return results


def test_imdb_chapter_code(data_dir):
    from lamina.datasets import imdb

    (train_data, train_labels), (test_data, test_labels) = imdb.load_data(num_words=10000)
    word_index = imdb.get_word_index()
    reverse_word_index = dict([(value, key) for (key, value) in word_index.items()])
    decoded_review = " ".join([reverse_word_index.get(i - 3, "?") for i in train_data[0]])
    assert decoded_review.startswith("? this film was just brilliant")
    x_train = vectorize_sequences(train_data[:4000])
    x_test = vectorize_sequences(test_data[:2000])
    y_train = np.asarray(train_labels[:4000]).astype("float32")
    y_test = np.asarray(test_labels[:2000]).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        layers.Dense(16, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    x_val, partial_x_train = x_train[:1000], x_train[1000:]
    y_val, partial_y_train = y_train[:1000], y_train[1000:]
    history = model.fit(partial_x_train, partial_y_train, epochs=4, batch_size=512,
                        validation_data=(x_val, y_val), verbose=0)
    history_dict = history.history
    assert history_dict.keys() == {"accuracy", "loss", "val_accuracy", "val_loss"}
    loss_values = history_dict["loss"]
    epochs = range(1, len(loss_values) + 1)
    assert len(epochs) == 4
    results = model.evaluate(x_test, y_test, verbose=0)
    assert results[1] > 0.80, results
    preds = model.predict(x_test[:5], verbose=0)
    assert preds.shape == (5, 1) and preds.dtype == np.float32


def test_reuters_chapter_code(data_dir):
    from lamina.datasets import reuters
    from lamina.utils import to_categorical

    (train_data, train_labels), (test_data, test_labels) = reuters.load_data(num_words=10000)
    x_train = vectorize_sequences(train_data[:3000])
    x_test = vectorize_sequences(test_data[:1000])
    y_train = to_categorical(train_labels[:3000])
    y_test = to_categorical(test_labels[:1000], num_classes=46)
    assert y_train.dtype == np.float32 and y_train.shape == (3000, 46)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(46, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=6, batch_size=512, verbose=0)
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    assert acc > 0.65, acc
    predictions = model.predict(x_test, verbose=0)
    assert predictions[0].shape == (46,)
    assert np.sum(predictions[0]) == pytest.approx(1.0, rel=1e-5)
    # integer labels with the sparse loss, as the book's alternative
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, np.array(train_labels[:3000]), epochs=1, batch_size=512, verbose=0)


def test_boston_chapter_kfold_code(data_dir):
    from lamina.datasets import boston_housing

    (train_data, train_targets), (test_data, test_targets) = boston_housing.load_data()
    mean = train_data.mean(axis=0)
    train_data -= mean
    std = train_data.std(axis=0)
    train_data /= std
    test_data -= mean
    test_data /= std

    def build_model():
        model = keras.Sequential([
            layers.Dense(64, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(1),
        ])
        model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
        return model

    k = 4
    num_val_samples = len(train_data) // k
    num_epochs = 40
    all_scores = []
    keras.utils.set_random_seed(0)
    for i in range(k):
        val_data = train_data[i * num_val_samples: (i + 1) * num_val_samples]
        val_targets = train_targets[i * num_val_samples: (i + 1) * num_val_samples]
        partial_train_data = np.concatenate(
            [train_data[:i * num_val_samples], train_data[(i + 1) * num_val_samples:]], axis=0)
        partial_train_targets = np.concatenate(
            [train_targets[:i * num_val_samples], train_targets[(i + 1) * num_val_samples:]], axis=0)
        model = build_model()
        model.fit(partial_train_data, partial_train_targets, epochs=num_epochs, batch_size=16, verbose=0)
        val_mse, val_mae = model.evaluate(val_data, val_targets, verbose=0)
        all_scores.append(val_mae)
    assert np.mean(all_scores) < 3.0, all_scores
    predictions = model.predict(test_data, verbose=0)
    assert predictions.shape == (102, 1)
