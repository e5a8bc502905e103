"""California housing (Keras's `keras.datasets.california_housing`): 20,640 districts of the
1990 census, 8 features (median income, house age, rooms, ...), target the median house
value in dollars. `version="small"` keeps the first 600 rows, for quick experiments."""

import numpy as np

from lamina.datasets._args import check_split, checked_signature
from lamina.datasets._files import find_file
from lamina.datasets._npz import load_npz

FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


@checked_signature
def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """`(x_train, y_train), (x_test, y_test)`: float32 x (n, 8) and y (n,); rows shuffled with
    `RandomState(seed)`, the first `1 - test_split` for training (16,512 / 4,128 rows)."""
    test_split = check_split(test_split)
    if version not in ("small", "large"):
        raise ValueError(
            f"Argument `version` must be one of 'small', 'large'. Received: version={version!r}"
        )
    arrays = load_npz(find_file(path, "california_housing.npz", FILE_HASH))
    x, y = arrays["x"], arrays["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
