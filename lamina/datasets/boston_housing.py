"""Boston housing prices (Keras's `keras.datasets.boston_housing`): 506 rows, 13 features.

The targets are median home values in k$. Warning (as Keras's): the "B" feature encodes a
racial statistic; scikit-learn removed the dataset for that reason. lamina ships a copy
(`lamina/datasets/data/boston_housing.npz`: the same values in the same row order as
Keras's file, re-saved) so that the demo runs offline.
"""

import os

import numpy as np

from lamina.datasets._args import check_split, checked_signature
from lamina.datasets._files import find_file
from lamina.datasets._npz import load_npz

FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"
PACKAGED = os.path.join(os.path.dirname(__file__), "data", "boston_housing.npz")


@checked_signature
def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """`(x_train, y_train), (x_test, y_test)`: float64 x (n, 13) and y (n,), 404 / 102 rows.

    Rows are shuffled with `RandomState(seed)` and the first `1 - test_split` go to training.
    The file is taken from `$LAMINA_DATASETS` or the cache, else from the packaged copy.
    """
    test_split = check_split(test_split)
    fallback = PACKAGED if os.path.basename(os.fspath(path)) == "boston_housing.npz" else None
    arrays = load_npz(find_file(path, "boston_housing.npz", FILE_HASH, fallback=fallback))
    x, y = arrays["x"], arrays["y"]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
