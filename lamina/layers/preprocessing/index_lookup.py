"""`IndexLookup`: the vocabulary table behind `StringLookup`, `IntegerLookup` and
`TextVectorization` (Keras 3's internal base class; not exported).

Index layout (output_mode="int"): [mask token (if set)] [num_oov_indices OOV buckets]
[vocabulary...]. In the other output modes the mask token takes no index (masked inputs
are dropped) and the outputs are vectors of `vocabulary_size()` (or `max_tokens` with
pad_to_max_tokens). `adapt` orders the vocabulary by decreasing count, ties broken by
decreasing token (Keras's lexsort), truncated to `max_tokens`.

dtypes: "int" gives int64; the vector modes give float32, the dtype Keras declares for them
in its output spec (TensorFlow computes int64 counts there, which downstream layers cast
anyway; float32 avoids promoting a following Dense layer to float64).

Saving, as Keras: a vocabulary passed to the constructor is in the config; an adapted or
`set_vocabulary` one is the asset `vocabulary.txt` (one token a line, special tokens first)
of the `.keras` archive; TF-IDF weights are the layer's saved variables (`vocabulary_io`).
"""
import collections

import numpy as np

from lamina.engine.tensor import Tensor
from lamina.layers.preprocessing import encoding
from lamina.layers.preprocessing.data_layer import (
    DataLayer, as_int_array, is_array_like, iterate_batches, raw,
)
from lamina.layers.preprocessing.hash_functions import fingerprint64
from lamina.layers.preprocessing.vocabulary_io import VocabularyIO
from lamina.symbolic.keras_tensor import KerasTensor

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class IndexLookup(VocabularyIO, DataLayer):
    """Maps tokens to indices (or back, with invert=True); see the module docstring."""

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, name=None, **kwargs):
        kind = type(self).__name__
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        self.oov_method = kwargs.pop("oov_method", "floormod")
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"{kind}: if set, `max_tokens` must be greater than 1 (it counts "
                             f"the mask and OOV indices). Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{kind}: pad_to_max_tokens=True needs `max_tokens`")
        if num_oov_indices < 0:
            raise ValueError(f"{kind}: `num_oov_indices` must be >= 0, got {num_oov_indices}")
        if self.oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{kind}: `oov_method` must be 'floormod' or 'farmhash', got "
                             f"{self.oov_method!r}")
        output_mode = encoding.check_output_mode(output_mode, _MODES, kind)
        if invert and output_mode != "int":
            raise ValueError(f"{kind}: `output_mode` must be 'int' when `invert` is True, got "
                             f"{output_mode!r}")
        if sparse:
            raise NotImplementedError(f"{kind}: sparse=True is not implemented in lamina "
                                      "(outputs are dense NumPy arrays)")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{kind}: `idf_weights` is only used with output_mode='tf_idf', "
                             f"got output_mode={output_mode!r}")
        if output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None:
            raise ValueError(f"{kind}: with a `vocabulary` and output_mode='tf_idf', pass "
                             "`idf_weights` too (or adapt the layer instead)")
        super().__init__(name=name, **kwargs)
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.input_vocabulary = None if isinstance(vocabulary, str) else vocabulary
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._frozen_vocab_size = vocabulary_size
        self._tokens = None  # the vocabulary without special tokens, once set
        self._index = {}
        self.idf_weights = None
        self.reset_state()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # --- token conversions (StringLookup / IntegerLookup) ------------------------------

    def _to_keys(self, data):
        """An array (object of str, or int64) of the tokens in `data`."""
        raise NotImplementedError

    def _parse_token(self, line):
        raise NotImplementedError

    def _oov_bucket(self, token):
        """The OOV bucket (0 .. num_oov_indices - 1) of a token, with num_oov_indices > 1."""
        n = self.num_oov_indices
        if isinstance(token, str):
            return fingerprint64(token.encode("utf-8")) % n
        if self.oov_method == "farmhash":
            return fingerprint64(str(token).encode("utf-8")) % n
        return token % n

    # --- vocabulary ------------------------------------------------------------------

    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary; with the special tokens a term's position is its index."""
        tokens = list(self._tokens or [])
        if not include_special_tokens:
            return tokens
        return ([self.mask_token] * self._oov_start_index()
                + [self.oov_token] * self.num_oov_indices + tokens)

    def vocabulary_size(self):
        """The number of indices: special tokens plus vocabulary."""
        if self._tokens is None and self._frozen_vocab_size is not None:
            return self._frozen_vocab_size
        return self._token_start_index() + len(self._tokens or [])

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (a list/array of tokens, or a text file path with one token a
        line) and, for output_mode="tf_idf", its IDF weights (same length)."""
        kind = type(self).__name__
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{kind}: `idf_weights` must be set when output_mode='tf_idf'")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"{kind}: `idf_weights` is only used with output_mode='tf_idf', "
                             f"got output_mode={self.output_mode!r}")
        if isinstance(vocabulary, str):
            vocabulary = self._read_vocabulary_file(vocabulary)
        vocab = self._to_keys(raw(vocabulary)).ravel().tolist()
        if not vocab:
            raise ValueError(f"{kind}: cannot set an empty vocabulary")
        specials = self.get_vocabulary()[:self._token_start_index()]
        found_specials = vocab[:len(specials)] == specials
        tokens = vocab[len(specials):] if found_specials else vocab
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(f"{kind}: the vocabulary repeats the term(s) {repeated[:10]}; "
                             "each term may appear once")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                f"{kind}: the mask token {self.mask_token!r} is inside the vocabulary (at "
                f"index {vocab.index(self.mask_token)}); remove it, or put the special tokens "
                f"{specials} first, in that order")
        if self.invert and self.oov_token is not None and self.oov_token in tokens:
            raise ValueError(
                f"{kind}: the OOV token {self.oov_token!r} is inside the vocabulary; remove "
                f"it, or put the special tokens {specials} first, in that order")
        size = self._token_start_index() + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"{kind}: the vocabulary has {size} entries (with special "
                             f"tokens), more than max_tokens={self.max_tokens}")
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            weights = np.asarray(raw(idf_weights), dtype=np.float64)
            if weights.ndim != 1 or len(weights) != len(vocab):
                raise ValueError(f"{kind}: `idf_weights` must be 1-D and as long as the "
                                 f"vocabulary ({len(vocab)}), got shape {weights.shape}")
            front = 0 if found_specials else self._token_start_index()
            fill = 0.0 if found_specials else float(np.average(weights))
            back = (self.max_tokens - front - len(weights)
                    if self.pad_to_max_tokens and self.max_tokens is not None else 0)
            self.idf_weights = np.concatenate(
                [np.full(front, fill), weights, np.zeros(max(back, 0))]).astype(np.float32)

    def _set_tokens(self, tokens):
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index = {t: start + i for i, t in enumerate(self._tokens)}
        self._frozen_vocab_size = self.vocabulary_size()

    # --- adapt -----------------------------------------------------------------------

    def reset_state(self):
        self._counts = collections.Counter()
        self._doc_counts = collections.Counter()
        self._num_docs = 0

    def adapt(self, data, steps=None):
        """Build the vocabulary from `data`: an array or list (each element of a 1-D one is a
        document), or a PyDataset / iterable of batches ((x, y) batches use x)."""
        self.reset_state()
        if is_array_like(data):
            keys = self._to_keys(raw(data))
            self.update_state(keys[:, None] if keys.ndim == 1 else keys)
        else:
            for batch in iterate_batches(data, steps):
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        """Count the tokens of one batch: rank 0 or 1 is one document, rank 2 one per row."""
        keys = self._to_keys(data)
        if keys.ndim == 0:
            keys = keys.reshape(1)
        rows = [keys.ravel().tolist()] if keys.ndim == 1 else [
            r.ravel().tolist() for r in keys.reshape(keys.shape[0], -1)]
        self._update_rows(rows)

    def _update_rows(self, rows):
        """Count tokens in documents given as lists of tokens (ragged)."""
        if self._has_input_vocabulary:
            raise ValueError(f"cannot adapt layer {self.name!r}: its vocabulary was set by "
                             "the `vocabulary` argument")
        for row in rows:
            self._counts.update(row)
            if self.output_mode == "tf_idf":
                self._doc_counts.update(set(row))
        self._num_docs += len(rows)

    def finalize_state(self):
        if self._has_input_vocabulary or not self._counts:
            return
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                self._counts.pop(special, None)
        ordered = sorted(self._counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens:
            ordered = ordered[:self.max_tokens - self._token_start_index()]
        tokens = [t for t, _ in ordered]
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            df = np.array([self._doc_counts[t] for t in tokens], dtype=np.float64)
            idf = np.log(1.0 + self._num_docs / (1.0 + df)).astype(np.float32)
            front = np.full(self._token_start_index(), idf.mean() if idf.size else 0.0,
                            dtype=np.float32)
            weights = np.concatenate([front, idf])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                weights = np.pad(weights, (0, self.max_tokens - weights.size))
            self.idf_weights = weights.astype(np.float32)
        self.reset_state()

    # --- calling ---------------------------------------------------------------------

    def _depth(self):
        if self.pad_to_max_tokens:
            return self.max_tokens
        if self._tokens is None and self._frozen_vocab_size is None:
            raise RuntimeError(
                f"{type(self).__name__} layer {self.name!r}: with output_mode="
                f"{self.output_mode!r} and pad_to_max_tokens=False the vocabulary must be set "
                "before calling the layer: pass `vocabulary=` or call adapt() on some data")
        return self.vocabulary_size()

    def call(self, inputs):
        if self.invert:
            return Tensor(self._invert(inputs))
        return Tensor(self.lookup(self._to_keys(raw(inputs))))

    def lookup(self, keys, depth=None):
        """Indices of a key array (int mode) or its encoding (other modes)."""
        flat = keys.ravel().tolist()
        get = self._index.get
        idx = np.fromiter((get(t, -1) for t in flat), dtype=np.int64, count=len(flat))
        masked = np.zeros(len(flat), dtype=bool)
        if self.mask_token is not None:
            masked = np.asarray(keys.ravel() == self.mask_token, dtype=bool)
        oov = (idx < 0) & ~masked
        if oov.any():
            idx[oov] = self._oov_indices([flat[i] for i in np.flatnonzero(oov)])
        idx[masked] = 0 if self.output_mode == "int" else -1  # -1: dropped by the encoding
        idx = idx.reshape(keys.shape)
        if self.output_mode == "int":
            return idx
        out = encoding.encode(idx, "count" if self.output_mode == "tf_idf" else self.output_mode,
                              depth or self._depth(), dtype=np.float32)
        if self.output_mode == "tf_idf":
            out = out * self.idf_weights[:out.shape[-1]]
        return out

    def _oov_indices(self, tokens):
        if self.num_oov_indices == 0:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: with num_oov_indices=0 every input "
                f"must be in the vocabulary; found out-of-vocabulary values "
                f"{sorted(set(map(str, tokens)))[:10]}; set num_oov_indices=1 to map them to an "
                "OOV index")
        start = self._oov_start_index()
        if self.num_oov_indices == 1:
            return start
        return np.array([start + self._oov_bucket(t) for t in tokens], dtype=np.int64)

    def _invert(self, inputs):
        idx = as_int_array(inputs, type(self).__name__)
        vocab = self.get_vocabulary()
        table = np.array(vocab + [self.oov_token],
                         dtype=object if self.vocabulary_dtype == "string" else np.int64)
        pos = np.where((idx >= 0) & (idx < len(vocab)), idx, len(vocab))
        out = table[pos]
        return out.astype(str) if self.vocabulary_dtype == "string" else out

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        return encoding.encoded_shape(input_shape, self.output_mode, depth)

    def compute_output_spec(self, inputs, *args, **kwargs):
        if self.output_mode != "int":
            dtype = "float32"
        elif self.invert:
            dtype = self.vocabulary_dtype
        else:
            dtype = "int64"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    def get_config(self):
        vocab = self.input_vocabulary
        idf = self.input_idf_weights
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                "mask_token": self.mask_token, "output_mode": self.output_mode,
                "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary_dtype": self.vocabulary_dtype,
                "idf_weights": np.asarray(raw(idf)).tolist() if idf is not None else None,
                "vocabulary": np.asarray(raw(vocab)).tolist() if vocab is not None else None,
                "vocabulary_size": self.vocabulary_size() if self._tokens is not None
                else self._frozen_vocab_size}

    @classmethod
    def from_config(cls, config):
        return cls(**dict(config))

