"""The text steps of `TextVectorization`, on NumPy arrays of Python strings, with
TensorFlow's semantics (which Keras 3 uses):

- "lower": `tf.strings.lower` without an encoding, which lowercases ASCII letters only;
- "strip_punctuation": removes the characters of Keras's regex
  `[!"#$%&()\\*\\+,-\\./:;<=>?@\\[\\\\\\]^_`{|}~\\']`, i.e. Python's `string.punctuation`;
- "whitespace" split: `tf.strings.split` with no separator, i.e. runs of ASCII whitespace,
  no empty tokens; "character": one token per Unicode code point;
- ngrams: `tf.strings.ngrams(tokens, widths, separator=" ")`, all n-grams of the first
  width, then of the next, ...
"""
import re
import string

import numpy as np

_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ASCII_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")


def lower(text):
    return text.translate(_LOWER)


def strip_punctuation(text):
    return text.translate(_PUNCTUATION)


def split_whitespace(text):
    return [t for t in _ASCII_WHITESPACE.split(text) if t]


def split_characters(text):
    return list(text)


def ngrams(tokens, widths):
    """All n-grams of `tokens` for each width in `widths`, joined with spaces."""
    out = []
    for n in widths:
        out += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return out


def standardize(strings, mode):
    """Apply a standardize mode (or a callable on the whole array) elementwise."""
    if mode is None:
        return strings
    if callable(mode):
        out = mode(strings)
        out = np.asarray(out.numpy() if hasattr(out, "numpy") else out)
        if out.shape != strings.shape:
            raise ValueError(f"TextVectorization: the custom `standardize` function returned "
                             f"shape {out.shape} for inputs of shape {strings.shape}")
        return out.astype(object)
    steps = []
    if mode in ("lower", "lower_and_strip_punctuation"):
        steps.append(lower)
    if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
        steps.append(strip_punctuation)
    out = np.empty(strings.shape, dtype=object)
    for i, text in enumerate(strings.ravel().tolist()):
        for step in steps:
            text = step(text)
        out.flat[i] = text
    return out


def split(strings, mode):
    """One list of tokens per string of a 1-D array."""
    if callable(mode):
        rows = mode(strings)
        return [[str(t) for t in row] for row in rows]
    fn = split_whitespace if mode == "whitespace" else split_characters
    return [fn(text) for text in strings.tolist()]
