"""Fashion-MNIST (Keras's `keras.datasets.fashion_mnist`): 28x28 images of 10 clothing classes.

The four gzip'd IDX files are looked up in a `fashion-mnist/` sub-folder of
`$LAMINA_DATASETS` and of the cache (their names clash with MNIST's raw files). Keras gives
no hash for them; downloads are checked against the md5 sums published by Zalando Research.
"""

import gzip

import numpy as np

from lamina.datasets._args import checked_signature
from lamina.datasets._files import find_file

SUBDIR = "fashion-mnist"
FILES = {  # name -> md5 published in zalandoresearch/fashion-mnist's README
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
}
LABEL_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


def read_idx(path):
    """A uint8 array from a gzip'd IDX file (big-endian header: magic 0x08<ndim>, dims)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not a uint8 IDX file (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    offset = 4 + 4 * ndim
    if len(raw) - offset != int(np.prod(shape)):
        raise ValueError(
            f"{path}: header says shape {shape} ({int(np.prod(shape))} bytes), but the file "
            f"holds {len(raw) - offset} bytes of data; it is truncated or corrupted"
        )
    return np.frombuffer(raw, np.uint8, offset=offset).reshape(shape).copy()


@checked_signature
def load_data():
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (60000, 28, 28) / (10000, 28, 28),
    uint8 labels (60000,) / (10000,); names in `LABEL_NAMES`."""
    y_train, x_train, y_test, x_test = (
        read_idx(find_file(name, name, md5, subdir=SUBDIR)) for name, md5 in FILES.items()
    )
    return (x_train, y_train), (x_test, y_test)
