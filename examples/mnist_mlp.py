"""MNIST digits with a two-layer perceptron (Deep Learning with Python, chapter 2).

    python examples/mnist_mlp.py            # 5 epochs on all 60,000 digits: test accuracy ~0.98

The data comes from $LAMINA_DATASETS, or is downloaded once.
"""
import argparse

import lamina as keras
from lamina import layers


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--limit", type=int,
                        help="use the first N training and N test digits (quick run)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)

    (train_images, train_labels), (test_images, test_labels) = keras.datasets.mnist.load_data()
    train_images = train_images.reshape((len(train_images), 28 * 28)).astype("float32") / 255
    test_images = test_images.reshape((len(test_images), 28 * 28)).astype("float32") / 255
    if args.limit:
        train_images, train_labels = train_images[: args.limit], train_labels[: args.limit]
        test_images, test_labels = test_images[: args.limit], test_labels[: args.limit]

    model = keras.Sequential([
        layers.Dense(512, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(train_images, train_labels, epochs=args.epochs, batch_size=128, verbose=args.verbose)

    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=0)
    print(f"test_acc: {test_acc:.4f}")
    return {"test_accuracy": test_acc, "test_loss": test_loss}


if __name__ == "__main__":
    main()
