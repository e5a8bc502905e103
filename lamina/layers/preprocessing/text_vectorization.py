"""`TextVectorization`: raw strings -> token indices or bag-of-words vectors."""
import numpy as np

from lamina.engine.tensor import Tensor
from lamina.layers.preprocessing import encoding as categorical
from lamina.layers.preprocessing import text_ops
from lamina.layers.preprocessing.data_layer import (
    DataLayer,
    as_string_array,
    is_array_like,
    iterate_batches,
    raw,
)
from lamina.layers.preprocessing.string_lookup import StringLookup
from lamina.layers.symbolic import KerasTensor

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _check_string_arg(value, allowed, name):
    if value is None or callable(value) or value in allowed:
        return value
    raise ValueError(f"TextVectorization: `{name}` must be None, a callable or one of "
                     f"{allowed}, got {value!r}")


class TextVectorization(DataLayer):
    """Standardize, split and index text, with a vocabulary learned by `adapt` (or given).

    Steps: standardize ("lower_and_strip_punctuation" by default, see `text_ops`), split
    ("whitespace" or "character"; None: each string is one token), ngrams (an int n for
    widths 1..n, or a tuple of widths), then a `StringLookup` with mask token "" and OOV
    token "[UNK]": get_vocabulary() starts ["", "[UNK]", ...] in "int" mode and
    ["[UNK]", ...] in the other modes. `max_tokens` bounds the vocabulary, special tokens
    included.

    Inputs: strings of shape (batch,) or (batch, 1) (or one string). Outputs:
    - "int": int64 (batch, output_sequence_length), padded with 0 / truncated (without
      output_sequence_length: padded to the longest text of the batch);
    - "multi_hot", "count", "tf_idf" (and "one_hot"): float32 (batch, vocabulary_size()),
      or (batch, max_tokens) with pad_to_max_tokens=True.
    A custom `standardize` / `split` callable receives a NumPy array of Python strings
    (split returns one list of tokens per string), not TensorFlow tensors.
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        _check_string_arg(standardize, _STANDARDIZE, "standardize")
        _check_string_arg(split, _SPLIT, "split")
        output_mode = categorical.check_output_mode(output_mode, _MODES, "TextVectorization")
        if not (ngrams is None or isinstance(ngrams, int) or (
                isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))):
            raise ValueError("TextVectorization: `ngrams` must be None, an integer or a tuple of "
                             f"integers, got {ngrams!r}")
        if output_mode == "int" and not (output_sequence_length is None
                                         or isinstance(output_sequence_length, int)):
            raise ValueError("TextVectorization: `output_sequence_length` must be None or an "
                             f"integer, got {output_sequence_length!r}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("TextVectorization: `output_sequence_length` is only used with "
                             f"output_mode='int', got output_mode={output_mode!r}")
        if ragged:
            raise NotImplementedError("TextVectorization: ragged=True is not implemented in "
                                      "lamina; outputs are padded arrays")
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            sparse=sparse, has_input_vocabulary=has_input_vocabulary, encoding=encoding,
            vocabulary_size=vocabulary_size)

    # --- text processing -------------------------------------------------------------

    def _tokens(self, inputs):
        """(rows, scalar): one list of tokens per input string (split), or the standardized
        strings as an array (split=None)."""
        strings = as_string_array(inputs, f"TextVectorization layer {self.name!r}", self._encoding)
        scalar = strings.ndim == 0
        if scalar:
            strings = strings.reshape(1)
        strings = text_ops.standardize(strings, self._standardize)
        if self._split is None:
            if strings.ndim <= 1:
                strings = strings.reshape(-1, 1)
            rows = [r.tolist() for r in strings.reshape(-1, strings.shape[-1])]
        else:
            if strings.ndim > 1:
                if strings.shape[-1] != 1 or strings.ndim > 2:
                    raise ValueError(
                        f"TextVectorization layer {self.name!r}: to split strings the input "
                        f"must have shape (batch,) or (batch, 1), got {strings.shape}")
                strings = strings[:, 0]
            rows = text_ops.split(strings, self._split)
        if self._ngrams is not None:
            rows = [text_ops.ngrams(r, self._ngrams) for r in rows]
        return rows, scalar

    def _pad_rows(self, rows, length):
        keys = np.full((len(rows), length), "", dtype=object)
        for i, row in enumerate(rows):
            row = row[:length]
            keys[i, :len(row)] = row
        return keys

    def call(self, inputs):
        rows, scalar = self._tokens(raw(inputs))
        length = self._output_sequence_length
        if length is None:
            length = max((len(r) for r in rows), default=0)
        # pads are the mask token "": index 0 in "int" mode, dropped from the other encodings
        out = self._lookup_layer.lookup(self._pad_rows(rows, length))
        return Tensor(out[0] if scalar else out)

    # --- vocabulary ------------------------------------------------------------------

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and IDF weights) from texts: a list/array of strings, or a
        PyDataset / iterable of batches of strings ((x, y) batches use x)."""
        self.reset_state()
        if is_array_like(data):
            strings = as_string_array(data, f"TextVectorization layer {self.name!r}", self._encoding)
            self.update_state(strings.reshape(-1, 1) if strings.ndim == 1 else strings)
        else:
            for batch in iterate_batches(data, steps):
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        self._lookup_layer._update_rows(self._tokens(data)[0])

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens=True):
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # --- shapes, saving, config ----------------------------------------------------------

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return input_shape[:1] + (self._output_sequence_length,)
        if self._split is None and len(input_shape) <= 1:
            shape = input_shape + (1,)
        else:
            shape = input_shape[:1] + (None,)
        return self._lookup_layer.compute_output_shape(shape)

    def compute_output_spec(self, inputs, *args, **kwargs):
        dtype = "int64" if self._output_mode == "int" else "float32"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def _asset_files(self):
        return self._lookup_layer._asset_files()

    def _load_asset_files(self, files):
        self._lookup_layer._load_asset_files(files)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)

    def get_config(self):
        lookup = self._lookup_layer
        lookup_config = lookup.get_config()
        return {**super().get_config(), "max_tokens": lookup.max_tokens,
                "standardize": self._standardize, "split": self._split,
                "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": lookup.sparse,
                "ragged": self._ragged, "vocabulary": lookup_config["vocabulary"],
                "idf_weights": lookup_config["idf_weights"], "encoding": self._encoding,
                "vocabulary_size": lookup_config["vocabulary_size"]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("standardize", "split"):
            if isinstance(config.get(key), dict):  # a registered or custom function
                from lamina import registry  # noqa: PLC0415

                config[key] = registry.deserialize(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)
