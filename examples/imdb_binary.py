"""IMDB review sentiment: binary classification of multi-hot word vectors (chapter 4).

    python examples/imdb_binary.py                  # sparse inputs (CSR, ~26 MB)
    python examples/imdb_binary.py --input dense    # dense float32 (1 GB per 25,000 reviews)

First 10,000 training reviews are held out for validation while training up to 20
epochs; EarlyStopping stops once the validation loss has not improved for 3 epochs and
tells the best epoch. As in the book, a fresh model is then trained on all 25,000 reviews
for that many epochs and evaluated on the test set (accuracy ~0.88).
"""
import argparse

import numpy as np

import lamina as keras
from lamina import layers


def vectorize(sequences, num_words, sparse):
    """Multi-hot: row i has 1.0 at every word index present in review i."""
    return keras.utils.multi_hot(sequences, num_words, sparse=sparse)


def build_model():
    model = keras.Sequential([
        layers.Dense(16, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", choices=("sparse", "dense"), default="sparse")
    parser.add_argument("--epochs", type=int, default=20, help="most epochs of the first run")
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--limit", type=int,
                        help="use the first N training and N test reviews (quick run)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)

    (train_data, train_labels), (test_data, test_labels) = keras.datasets.imdb.load_data(
        num_words=10000)
    if args.limit:
        train_data, train_labels = train_data[: args.limit], train_labels[: args.limit]
        test_data, test_labels = test_data[: args.limit], test_labels[: args.limit]
    sparse = args.input == "sparse"
    x_train = vectorize(train_data, 10000, sparse)
    x_test = vectorize(test_data, 10000, sparse)
    y_train = np.asarray(train_labels).astype("float32")
    y_test = np.asarray(test_labels).astype("float32")

    n_val = min(10000, x_train.shape[0] * 2 // 5)
    x_val, partial_x_train = x_train[:n_val], x_train[n_val:]
    y_val, partial_y_train = y_train[:n_val], y_train[n_val:]

    model = build_model()
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=args.patience)
    history = model.fit(partial_x_train, partial_y_train, epochs=args.epochs, batch_size=512,
                        validation_data=(x_val, y_val), callbacks=[stop], verbose=args.verbose)
    val_loss = history.history["val_loss"]
    best_epoch = int(np.argmin(val_loss)) + 1
    print(f"best epoch: {best_epoch} (val_loss {min(val_loss):.4f}, "
          f"{len(val_loss)} epochs run)")

    model = build_model()  # retrain from scratch on all the training data
    model.fit(x_train, y_train, epochs=best_epoch, batch_size=512, verbose=args.verbose)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test_acc: {test_acc:.4f}")
    return {"best_epoch": best_epoch, "test_accuracy": test_acc, "test_loss": test_loss,
            "history": history.history}


if __name__ == "__main__":
    main()
