"""Keras 3's preprocessing layers: image augmentation and resizing, text vectorization,
lookups, category encoding, hashing and discretization (one module each)."""
from lamina.layers.preprocessing.category_encoding import CategoryEncoding  # noqa: F401
from lamina.layers.preprocessing.discretization import Discretization  # noqa: F401
from lamina.layers.preprocessing.hashing import Hashing  # noqa: F401
from lamina.layers.preprocessing.integer_lookup import IntegerLookup  # noqa: F401
from lamina.layers.preprocessing.random_color import RandomBrightness, RandomContrast  # noqa: F401
from lamina.layers.preprocessing.random_flip import RandomFlip  # noqa: F401
from lamina.layers.preprocessing.random_rotation import RandomRotation  # noqa: F401
from lamina.layers.preprocessing.random_translation import RandomTranslation  # noqa: F401
from lamina.layers.preprocessing.random_zoom import RandomZoom  # noqa: F401
from lamina.layers.preprocessing.resizing import CenterCrop, RandomCrop, Resizing  # noqa: F401
from lamina.layers.preprocessing.string_lookup import StringLookup  # noqa: F401
from lamina.layers.preprocessing.text_vectorization import TextVectorization  # noqa: F401
