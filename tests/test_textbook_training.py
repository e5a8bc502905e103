"""The course's models trained on the real datasets reach the course's results."""
import numpy as np
import pytest

import lamina as keras
from lamina import layers

pytestmark = [pytest.mark.slow, pytest.mark.data]


def test_mnist_mlp_reaches_975(data_dir):
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train.reshape((60000, 28 * 28)).astype("float32") / 255
    x_test = x_test.reshape((10000, 28 * 28)).astype("float32") / 255
    keras.utils.set_random_seed(0)
    model = keras.Sequential([layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=5, batch_size=128, verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    assert test_acc >= 0.975, test_acc
    assert test_loss < 0.09


def test_boston_regression_validation_mae(data_dir):
    (x_train, y_train), (x_test, y_test) = keras.datasets.boston_housing.load_data()
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    keras.utils.set_random_seed(0)
    model = keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(64, activation="relu"),
                              layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    h = model.fit(x_train, y_train, epochs=80, batch_size=32, validation_data=(x_test, y_test), verbose=0)
    best = min(h.history["val_mae"])
    assert best <= 3.0, best
    assert h.history["val_mae"][-1] <= 3.3
