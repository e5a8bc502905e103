"""`keras.preprocessing.sequence`: `pad_sequences` (and lamina's `multi_hot`)."""

from lamina.utils.sequence_utils import multi_hot, pad_sequences  # noqa: F401
