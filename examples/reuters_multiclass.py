"""Reuters newswires: single-label classification into 46 topics (chapter 4).

    python examples/reuters_multiclass.py       # test accuracy ~0.79

Multi-hot word vectors (sparse CSR by default, which lamina's Dense multiplies without
densifying; `--input dense` for the book's dense arrays), one-hot labels and categorical
cross-entropy. The first 1,000
training newswires validate a 20-epoch run; a fresh model is then trained on all of them
for the epoch count with the lowest validation loss (9 in the book) and tested.
"""
import argparse

import numpy as np

import lamina as keras
from lamina import layers


def build_model():
    model = keras.Sequential([
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(46, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", choices=("sparse", "dense"), default="sparse")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--limit", type=int,
                        help="use the first N training and N test newswires (quick run)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)

    (train_data, train_labels), (test_data, test_labels) = keras.datasets.reuters.load_data(
        num_words=10000)
    if args.limit:
        train_data, train_labels = train_data[: args.limit], train_labels[: args.limit]
        test_data, test_labels = test_data[: args.limit], test_labels[: args.limit]
    sparse = args.input == "sparse"
    x_train = keras.utils.multi_hot(train_data, 10000, sparse=sparse)
    x_test = keras.utils.multi_hot(test_data, 10000, sparse=sparse)
    y_train = keras.utils.to_categorical(train_labels, 46)
    y_test = keras.utils.to_categorical(test_labels, 46)

    x_val, partial_x_train = x_train[:1000], x_train[1000:]
    y_val, partial_y_train = y_train[:1000], y_train[1000:]
    history = build_model().fit(partial_x_train, partial_y_train, epochs=args.epochs,
                                batch_size=512, validation_data=(x_val, y_val),
                                verbose=args.verbose)
    best_epoch = int(np.argmin(history.history["val_loss"])) + 1
    print(f"best epoch: {best_epoch}")

    model = build_model()
    model.fit(x_train, y_train, epochs=best_epoch, batch_size=512, verbose=args.verbose)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test_acc: {test_acc:.4f}")
    return {"best_epoch": best_epoch, "test_accuracy": test_acc, "test_loss": test_loss}


if __name__ == "__main__":
    main()
