"""`lamina.preprocessing`: preparing arrays for a network (Keras's `keras.preprocessing`).

`sequence.pad_sequences` (Keras's path), `multi_hot` (bag of words), `Standardizer`
(feature-wise z-scores with training statistics only) and `fill_missing` (NaN -> value,
with optional missing-value indicator columns).
"""

from lamina.preprocessing import image, sequence  # noqa: F401
from lamina.utils.directory_dataset import (  # noqa: F401
    image_dataset_from_directory, text_dataset_from_directory)
from lamina.utils.timeseries_dataset import timeseries_dataset_from_array  # noqa: F401
from lamina.preprocessing.missing import fill_missing, missing_features  # noqa: F401
from lamina.preprocessing.standardize import Standardizer  # noqa: F401
from lamina.utils.sequence_utils import multi_hot, pad_sequences  # noqa: F401
