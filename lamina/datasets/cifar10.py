"""CIFAR-10 (Keras's `keras.datasets.cifar10`): 50,000 + 10,000 32x32 colour images, 10 classes.

The data is the "python version" archive `cifar-10-python.tar.gz` (from the CIFAR site, as
Keras): five pickled training batches and one test batch, each a dict with `data` (uint8
(10000, 3072), channel-major rows) and `labels`. The batches are read straight from the
archive (nothing is extracted) with the restricted unpickler. A folder
`cifar-10-batches-py/` holding the extracted batches is accepted in `$LAMINA_DATASETS` too.
"""

import os
import tarfile

import numpy as np

from lamina.datasets._args import checked_signature
from lamina.datasets._files import find_file
from lamina.datasets._npz import restricted_loads

ARCHIVE = "cifar-10-python.tar.gz"
FOLDER = "cifar-10-batches-py"
ORIGIN = "https://www.cs.toronto.edu/~kriz/"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
BATCHES = (
    "data_batch_1",
    "data_batch_2",
    "data_batch_3",
    "data_batch_4",
    "data_batch_5",
    "test_batch",
)
LABEL_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip


def parse_batch(raw, label_key="labels"):
    """(data uint8 (n, 3, 32, 32), labels list) from the bytes of one pickled batch."""
    batch = restricted_loads(raw, encoding="bytes")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data = np.asarray(batch["data"], dtype=np.uint8)
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]


def read_members(archive, folder, names, file_hash, origin=ORIGIN):
    """{name: bytes} of the files `names` of a CIFAR archive: from the extracted `folder` in
    $LAMINA_DATASETS when present, else straight from the .tar.gz (found or downloaded)."""
    root = os.environ.get("LAMINA_DATASETS")
    extracted = os.path.join(os.path.expanduser(root), folder) if root else None
    raw = {}
    if extracted and os.path.isdir(extracted):
        for name in names:
            with open(os.path.join(extracted, name), "rb") as f:
                raw[name] = f.read()
        return raw
    with tarfile.open(find_file(archive, archive, file_hash, default_base=origin), "r:gz") as tar:
        for member in tar:
            name = os.path.basename(member.name)
            if member.isfile() and name in names:
                raw[name] = tar.extractfile(member).read()
    missing = [n for n in names if n not in raw]
    if missing:
        raise ValueError(f"{archive} lacks the files {missing}; the archive is incomplete")
    return raw


def _read_batches():
    return read_members(ARCHIVE, FOLDER, BATCHES, FILE_HASH)


@checked_signature
def load_data():
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (50000, 32, 32, 3) / (10000, 32,
    32, 3) (channels last), uint8 labels (50000, 1) / (10000, 1); names in `LABEL_NAMES`."""
    raw = _read_batches()
    parts = [parse_batch(raw[name]) for name in BATCHES[:-1]]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([np.asarray(p[1], dtype=np.uint8) for p in parts])
    x_test, test_labels = parse_batch(raw[BATCHES[-1]])
    y_test = np.asarray(test_labels).astype(np.uint8)
    x_train = np.ascontiguousarray(x_train.transpose(0, 2, 3, 1))
    x_test = np.ascontiguousarray(x_test.transpose(0, 2, 3, 1))
    return (x_train, y_train.reshape(-1, 1)), (x_test, y_test.reshape(-1, 1))
