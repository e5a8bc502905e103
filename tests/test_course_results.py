"""The course's results on the real data (MNIST's is in test_textbook_training.py).

IMDB: 16-16-1 on multi-hot reviews (sparse CSR), rmsprop, 4 epochs of batch 512 -> test
accuracy >= 0.875 (the book reports ~0.88). Boston: 13-64-64-1, rmsprop, 4-fold
cross-validation, 100 epochs of batch 16 -> mean validation MAE <= 2.7 (the book: ~2.4-2.6).
"""
import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.preprocessing import Standardizer
from lamina.validation import cross_validate

pytestmark = pytest.mark.slow


def build_boston_model():
    model = keras.Sequential([layers.Dense(64, activation="relu"),
                              layers.Dense(64, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    return model


@pytest.mark.data
def test_imdb_sparse_multi_hot_reaches_875(data_dir):
    (train_data, y_train), (test_data, y_test) = keras.datasets.imdb.load_data(num_words=10000)
    x_train = keras.utils.multi_hot(train_data, 10000, sparse=True)
    x_test = keras.utils.multi_hot(test_data, 10000, sparse=True)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([layers.Dense(16, activation="relu"),
                              layers.Dense(16, activation="relu"),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train.astype("float32"), epochs=4, batch_size=512, verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test.astype("float32"), verbose=0)
    assert test_acc >= 0.875, test_acc
    assert test_loss < 0.32, test_loss


def test_boston_four_fold_mae():
    """The data ships with lamina: no LAMINA_DATASETS needed."""
    (x_train, y_train), _ = keras.datasets.boston_housing.load_data()
    x_train = Standardizer().fit_transform(x_train)
    result = cross_validate(build_boston_model, x_train, y_train, k=4,
                            fit_kwargs={"epochs": 100, "batch_size": 16}, seed=0)
    mae = result.scores["val_mae"]
    assert mae.shape == (4,)
    assert result.mean["val_mae"] <= 2.7, result.summary()
    assert np.all(mae < 3.5), mae
    # the averaged curve falls: the last 10 epochs beat the first 10 by far
    curve = result.curves["val_mae"]
    assert curve[-10:].mean() < 0.75 * curve[:10].mean()
