"""MNIST handwritten digits (Keras's `keras.datasets.mnist`): 60,000 + 10,000 28x28 images."""

from lamina.datasets._args import checked_signature
from lamina.datasets._files import find_file
from lamina.datasets._npz import load_npz

FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


@checked_signature
def load_data(path="mnist.npz"):
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (60000, 28, 28) / (10000, 28, 28)
    with pixel values 0-255, uint8 digit labels (60000,) / (10000,)."""
    arrays = load_npz(find_file(path, "mnist.npz", FILE_HASH))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
