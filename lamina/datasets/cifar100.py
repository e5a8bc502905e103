"""CIFAR-100 (Keras's `keras.datasets.cifar100`): 50,000 + 10,000 32x32 colour images in 100
fine classes (20 coarse superclasses).

The data is the "python version" archive `cifar-100-python.tar.gz` (as Keras): pickled
`train` and `test` dicts with `data` (uint8 (n, 3072), channel-major rows), `fine_labels` and
`coarse_labels`, read straight from the archive with the restricted unpickler. A folder
`cifar-100-python/` holding the extracted files is accepted in `$LAMINA_DATASETS` too.
"""

import numpy as np

from lamina.datasets._args import checked_signature
from lamina.datasets.cifar10 import parse_batch, read_members

ARCHIVE = "cifar-100-python.tar.gz"
FOLDER = "cifar-100-python"
ORIGIN = "https://www.cs.toronto.edu/~kriz/"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
PARTS = ("train", "test")


@checked_signature
def load_data(label_mode="fine"):
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (50000, 32, 32, 3) / (10000, 32,
    32, 3) (channels last) and uint8 labels (n, 1): the 100 fine classes, or the 20 coarse
    ones with label_mode="coarse"."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'`label_mode` must be one of "fine", "coarse". Received: label_mode={label_mode!r}'
        )
    raw = read_members(ARCHIVE, FOLDER, PARTS, FILE_HASH, ORIGIN)
    out = []
    for name in PARTS:
        images, labels = parse_batch(raw[name], label_key=f"{label_mode}_labels")
        out.append(
            (
                np.ascontiguousarray(images.transpose(0, 2, 3, 1)),
                np.asarray(labels, dtype=np.uint8).reshape(-1, 1),
            )
        )
    return out[0], out[1]
