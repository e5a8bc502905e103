"""Fighting overfitting on IMDB: the original model vs L2 weight decay vs dropout (chapter 5).

    python examples/imdb_regularization.py --output regularization.png

Three models train for 20 epochs on 60% of the training reviews and validate on the other
40% (`validation_split=0.4`); the figure compares their validation loss: the original
overfits after a few epochs, the regularized ones later and less.
"""
import argparse

import numpy as np

import lamina as keras
from lamina import layers, regularizers


def original():
    return [layers.Dense(16, activation="relu"), layers.Dense(16, activation="relu"),
            layers.Dense(1, activation="sigmoid")]


def l2_regularized():
    return [layers.Dense(16, kernel_regularizer=regularizers.l2(0.002), activation="relu"),
            layers.Dense(16, kernel_regularizer=regularizers.l2(0.002), activation="relu"),
            layers.Dense(1, activation="sigmoid")]


def dropout_regularized():
    return [layers.Dense(16, activation="relu"), layers.Dropout(0.5),
            layers.Dense(16, activation="relu"), layers.Dropout(0.5),
            layers.Dense(1, activation="sigmoid")]


MODELS = {"Original model": original, "L2-regularized model": l2_regularized,
          "Dropout-regularized model": dropout_regularized}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--limit", type=int, help="use the first N training reviews (quick run)")
    parser.add_argument("--output", default="imdb_regularization.png",
                        help="PNG comparing the validation losses ('' to skip)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args(argv)

    (train_data, train_labels), _ = keras.datasets.imdb.load_data(num_words=10000)
    if args.limit:
        train_data, train_labels = train_data[: args.limit], train_labels[: args.limit]
    x_train = keras.utils.multi_hot(train_data, 10000, sparse=True)
    y_train = np.asarray(train_labels).astype("float32")

    histories = {}
    for name, layer_stack in MODELS.items():
        keras.utils.set_random_seed(args.seed)  # same initial weights where shapes agree
        model = keras.Sequential(layer_stack())
        model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
        histories[name] = model.fit(x_train, y_train, epochs=args.epochs,
                                    batch_size=args.batch_size,
                                    validation_split=0.4, verbose=args.verbose)
        val_loss = histories[name].history["val_loss"]
        print(f"{name}: final val_loss {val_loss[-1]:.4f}, lowest {min(val_loss):.4f} "
              f"at epoch {int(np.argmin(val_loss)) + 1}")

    if args.output:
        from lamina.plot import have_matplotlib, plot_comparison

        if have_matplotlib():
            plot_comparison(histories, metric="val_loss", path=args.output)
            print(f"saved {args.output}")
        else:
            print("matplotlib is not installed: no figure")
    return {name: h.history for name, h in histories.items()}


if __name__ == "__main__":
    main()
