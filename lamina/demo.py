"""`python -m lamina demo [boston|mnist|imdb]`: a course workflow from data to figure.

boston (default; the data ships with lamina, so it runs offline): the course's 13-64-64-1
regression network (rmsprop, mse, mae) on standardized features (training statistics
only), 4-fold cross-validation (per-fold validation MAE, mean ± std), a final model
trained on all training data with the progress bar, its test MAE, and the mean ± std
validation-MAE-by-epoch curve saved to a PNG.
mnist: the 512-unit MLP (5 epochs, batch 128), its test accuracy and training curves.
imdb: the 16-16-1 network on sparse multi-hot reviews: 20 epochs with a 10,000-review
hold-out (the overfitting figure), then retrained for the best epoch count; test accuracy.
mnist and imdb read `$LAMINA_DATASETS` or download the Keras files once.
Without matplotlib the demo says so and skips the figure.
"""
import difflib
import os
import tempfile
import time

import numpy as np

import lamina as keras
from lamina import layers
from lamina.plot import have_matplotlib
from lamina.preprocessing import Standardizer
from lamina.utils import multi_hot
from lamina.validation import cross_validate, process_pool

DATASETS = ("boston", "mnist", "imdb")


def build_boston_model():
    """The course's Boston housing network (module-level so worker processes can build it)."""
    model = keras.Sequential([
        keras.Input(shape=(13,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    return model


def _figure_path(output, dataset):
    """`output`, or lamina_demo_<dataset>.png here, or in the temp folder if here is read-only."""
    if output:
        return os.path.abspath(output)
    name = f"lamina_demo_{dataset}.png"
    here = os.getcwd()
    folder = here if os.access(here, os.W_OK) else tempfile.gettempdir()
    return os.path.join(folder, name)


def _save_figure(draw, path):
    """Call `draw(path)` if matplotlib is available; print what happened."""
    if not have_matplotlib():
        print("matplotlib is not installed: skipping the figure (pip install matplotlib)")
        return None
    draw(path)
    print(f"Saved the figure to {path}")
    return path


def run_boston(epochs=100, final_epochs=130, folds=4, batch_size=16, seed=0, output=None,
               workers=0):
    """The Boston demo; returns a dict of the numbers it printed."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.boston_housing.load_data()
    print(f"Boston housing: {len(x_train)} training and {len(x_test)} test houses, "
          f"{x_train.shape[1]} features; targets are prices in k$")
    scaler = Standardizer().fit(x_train)  # statistics from the training data only
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    print("Features standardized with the training data's mean and std.\n")

    keras.utils.set_random_seed(seed)
    build_boston_model().summary()

    print(f"\n{folds}-fold cross-validation: {epochs} epochs per fold, batch size {batch_size}"
          + (f", {workers} worker processes" if workers else ""))
    fit_kwargs = {"epochs": epochs, "batch_size": batch_size}
    if workers:
        with process_pool(workers) as pool:
            cv = cross_validate(build_boston_model, x_train, y_train, k=folds,
                                fit_kwargs=fit_kwargs, seed=seed, executor=pool)
    else:
        cv = cross_validate(build_boston_model, x_train, y_train, k=folds, fit_kwargs=fit_kwargs,
                            seed=seed)
    for i, mae in enumerate(cv.scores["val_mae"]):
        print(f"  fold {i + 1}: validation MAE {mae:.2f}")
    mean, std = cv.mean["val_mae"], cv.std["val_mae"]
    print(f"Validation MAE: {mean:.2f} ± {std:.2f} (mean ± std over {folds} folds, "
          f"{cv.seconds:.1f}s)\n")

    print(f"Final model: all {len(x_train)} training houses, {final_epochs} epochs")
    keras.utils.set_random_seed(seed)
    model = build_boston_model()
    model.fit(x_train, y_train, epochs=final_epochs, batch_size=batch_size, verbose=1)
    _, test_mae = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test MAE: {test_mae:.2f} (predictions are off by ${test_mae * 1000:,.0f} on average)")

    def draw(path):
        cv.plot("val_mae", path=path, skip_first=min(10, epochs // 10), show_folds=True)

    path = _save_figure(draw, _figure_path(output, "boston"))
    return {"fold_mae": cv.scores["val_mae"], "mean_mae": mean, "std_mae": std,
            "test_mae": float(test_mae), "figure": path}


def run_mnist(epochs=5, batch_size=128, seed=0, output=None):
    """The course's first network: 784-512-10 on MNIST digits."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train.reshape((len(x_train), 28 * 28)).astype("float32") / 255
    x_test = x_test.reshape((len(x_test), 28 * 28)).astype("float32") / 255
    print(f"MNIST: {len(x_train)} training and {len(x_test)} test digits, 28x28 pixels\n")
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(28 * 28,)),
        layers.Dense(512, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=1)
    _, test_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {test_acc:.4f}")
    path = _save_figure(lambda p: history.plot(("loss", "accuracy"), path=p),
                        _figure_path(output, "mnist"))
    return {"test_accuracy": float(test_acc), "figure": path}


def run_imdb(epochs=20, batch_size=512, seed=0, output=None):
    """The course's IMDB classifier on sparse multi-hot reviews (10,000 most frequent words)."""
    (train_data, y_train), (test_data, y_test) = keras.datasets.imdb.load_data(num_words=10000)
    x_train = multi_hot(train_data, 10000, sparse=True)
    x_test = multi_hot(test_data, 10000, sparse=True)
    y_train, y_test = y_train.astype("float32"), y_test.astype("float32")
    print(f"IMDB: {x_train.shape[0]} training and {x_test.shape[0]} test reviews as sparse "
          "multi-hot vectors of the 10,000 most frequent words\n")

    def build():
        model = keras.Sequential([
            keras.Input(shape=(10000,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(16, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    keras.utils.set_random_seed(seed)
    model = build()
    model.summary()
    print(f"\nTraining on 15,000 reviews, validating on 10,000, {epochs} epochs")
    history = model.fit(x_train[10000:], y_train[10000:], epochs=epochs, batch_size=batch_size,
                        validation_data=(x_train[:10000], y_train[:10000]), verbose=1)
    best = int(np.argmin(history.history["val_loss"])) + 1
    print(f"\nLowest validation loss at epoch {best}: retraining on all {x_train.shape[0]} "
          f"reviews for {best} epochs")
    keras.utils.set_random_seed(seed)
    model = build()
    model.fit(x_train, y_train, epochs=best, batch_size=batch_size, verbose=1)
    _, test_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {test_acc:.4f}")
    path = _save_figure(lambda p: history.plot(("loss", "accuracy"), path=p),
                        _figure_path(output, "imdb"))
    return {"best_epoch": best, "test_accuracy": float(test_acc), "figure": path}


def main(dataset="boston", **kwargs):
    """Run one demo and print its total time; returns the demo's numbers."""
    runners = {"boston": run_boston, "mnist": run_mnist, "imdb": run_imdb}
    if dataset not in runners:
        close = difflib.get_close_matches(dataset, DATASETS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "."
        raise ValueError(f"unknown demo {dataset!r}{hint} Choose from: {', '.join(DATASETS)}")
    start = time.perf_counter()
    out = runners[dataset](**kwargs)
    print(f"Done in {time.perf_counter() - start:.1f}s")
    return out
