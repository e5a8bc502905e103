"""Binary image classification with a shallow CNN (the course's day/night case study).

The binary task is built from real data: MNIST digits 4 and 9, two classes that are easily
confused (label 1 = "9"). A shallow convnet (two Conv2D + MaxPooling2D blocks, then one
sigmoid unit) is trained with binary cross-entropy, evaluated on the held-out test digits,
and a figure of test images with their predicted probability is saved.

    python examples/day_night_cnn.py            # all ~11,800 training images, 5 epochs: ~0.99
    python examples/day_night_cnn.py --quick    # 2,000 training images, 3 epochs (~10 s)

The data comes from $LAMINA_DATASETS, or is downloaded once.
"""

import argparse
import os

import numpy as np

import lamina as keras
from lamina import layers

CLASSES = (4, 9)  # negative, positive


def binary_subset(images, labels, limit=None):
    """Images of the two classes scaled to [0, 1] with a channel axis, and 0/1 labels."""
    keep = np.isin(labels, CLASSES)
    x = images[keep].astype("float32").reshape(-1, 28, 28, 1) / 255.0
    y = (labels[keep] == CLASSES[1]).astype("float32")
    if limit:
        x, y = x[:limit], y[:limit]
    return x, y


def build_model():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(8, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(1, activation="sigmoid"),
        ]
    )


def save_predictions(path, x, y, p):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 8, figsize=(10, 3))
    for ax, img, label, prob in zip(axes.ravel(), x, y, p):
        ax.imshow(img[..., 0], cmap="gray")
        ok = (prob > 0.5) == bool(label)
        ax.set_title(f"p(9)={prob:.2f}", fontsize=8, color="black" if ok else "red")
        ax.axis("off")
    fig.suptitle(f"digits {CLASSES[0]} vs {CLASSES[1]}: predicted probability of a {CLASSES[1]}")
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 training images, 3 epochs")
    parser.add_argument("--epochs", type=int)
    parser.add_argument(
        "--limit", type=int, help="use the first N training images of the two classes"
    )
    parser.add_argument(
        "--output", default="day_night_predictions.png", help="where to save the figure"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    epochs = args.epochs or (3 if args.quick else 5)
    limit = args.limit or (2000 if args.quick else None)

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train, y_train = binary_subset(x_train, y_train, limit)
    x_test, y_test = binary_subset(x_test, y_test)
    print(
        f"training images: {len(x_train)} ({int(y_train.sum())} nines), test images: {len(x_test)}"
    )

    model = build_model()
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(
        x_train, y_train, epochs=epochs, batch_size=32, validation_split=0.1, verbose=args.verbose
    )
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    probs = model.predict(x_test[:16], verbose=0)[:, 0]
    save_predictions(args.output, x_test[:16], y_test[:16], probs)
    print(
        f"val_accuracy per epoch: {' '.join(f'{a:.4f}' for a in history.history['val_accuracy'])}"
    )
    print(f"saved test predictions to {os.path.abspath(args.output)}")
    print(f"test_loss: {test_loss:.4f}")
    print(f"test_accuracy: {test_acc:.4f}")
    return {
        "test_accuracy": test_acc,
        "test_loss": test_loss,
        "history": history.history,
        "figure": os.path.abspath(args.output),
    }


if __name__ == "__main__":
    main()
