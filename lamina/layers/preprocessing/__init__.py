"""Keras 3's preprocessing layers: image augmentation and resizing, text vectorization,
lookups, category encoding, hashing and discretization (one module each)."""
from lamina import lazy as _lazy

# each layer's module is imported on first use (keeps `import lamina` fast)
__getattr__, __dir__ = _lazy.exports(__name__, globals(), {
    "CategoryEncoding": "lamina.layers.preprocessing.category_encoding",
    "Discretization": "lamina.layers.preprocessing.discretization",
    "Hashing": "lamina.layers.preprocessing.hashing",
    "IntegerLookup": "lamina.layers.preprocessing.integer_lookup",
    "RandomBrightness": "lamina.layers.preprocessing.random_color",
    "RandomContrast": "lamina.layers.preprocessing.random_color",
    "RandomFlip": "lamina.layers.preprocessing.random_flip",
    "RandomRotation": "lamina.layers.preprocessing.random_rotation",
    "RandomTranslation": "lamina.layers.preprocessing.random_translation",
    "RandomZoom": "lamina.layers.preprocessing.random_zoom",
    "CenterCrop": "lamina.layers.preprocessing.resizing",
    "RandomCrop": "lamina.layers.preprocessing.resizing",
    "Resizing": "lamina.layers.preprocessing.resizing",
    "StringLookup": "lamina.layers.preprocessing.string_lookup",
    "TextVectorization": "lamina.layers.preprocessing.text_vectorization",
    "Normalization": "lamina.layers.preprocessing.normalization",
    "Rescaling": "lamina.layers.preprocessing.rescaling",
    "Pipeline": "lamina.layers.preprocessing.pipeline",
    "STFTSpectrogram": "lamina.layers.preprocessing.stft_spectrogram",
    "MelSpectrogram": "lamina.layers.preprocessing.mel_spectrogram",
    "RandomGrayscale": "lamina.layers.preprocessing.color_transforms",
    "RandomInvert": "lamina.layers.preprocessing.color_transforms",
    "Solarization": "lamina.layers.preprocessing.color_transforms",
    "AutoContrast": "lamina.layers.preprocessing.color_transforms",
    "MixUp": "lamina.layers.preprocessing.mix_up",
})
