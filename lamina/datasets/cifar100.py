"""CIFAR-100 (Keras's `keras.datasets.cifar100`): 50,000 + 10,000 32x32 colour images in 100
fine classes (20 coarse superclasses).

The data is the "python version" archive `cifar-100-python.tar.gz` (as Keras): pickled
`train` and `test` dicts with `data` (uint8 (n, 3072), channel-major rows), `fine_labels` and
`coarse_labels`, read straight from the archive with the restricted unpickler. A folder
`cifar-100-python/` holding the extracted files is accepted in `$LAMINA_DATASETS` too.
"""

import os
import tarfile

import numpy as np

from lamina.datasets._args import checked_signature
from lamina.datasets._files import find_file
from lamina.datasets.cifar10 import parse_batch

ARCHIVE = "cifar-100-python.tar.gz"
FOLDER = "cifar-100-python"
ORIGIN = "https://www.cs.toronto.edu/~kriz/"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
PARTS = ("train", "test")


def _read_parts():
    root = os.environ.get("LAMINA_DATASETS")
    folder = os.path.join(os.path.expanduser(root), FOLDER) if root else None
    raw = {}
    if folder and os.path.isdir(folder):
        for name in PARTS:
            with open(os.path.join(folder, name), "rb") as f:
                raw[name] = f.read()
        return raw
    with tarfile.open(find_file(ARCHIVE, ARCHIVE, FILE_HASH, default_base=ORIGIN), "r:gz") as tar:
        for member in tar:
            name = os.path.basename(member.name)
            if member.isfile() and name in PARTS:
                raw[name] = tar.extractfile(member).read()
    missing = [p for p in PARTS if p not in raw]
    if missing:
        raise ValueError(f"{ARCHIVE} lacks the files {missing}; the archive is incomplete")
    return raw


@checked_signature
def load_data(label_mode="fine"):
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (50000, 32, 32, 3) / (10000, 32,
    32, 3) (channels last) and uint8 labels (n, 1): the 100 fine classes, or the 20 coarse
    ones with label_mode="coarse"."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'`label_mode` must be one of "fine", "coarse". Received: label_mode={label_mode!r}'
        )
    raw = _read_parts()
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
