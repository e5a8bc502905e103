"""Keras's encoding of the IMDB / Reuters word-index sequences, vectorised.

The files hold each text as a list of raw word ranks (1 = most frequent). Keras then adds
`index_from`, prepends `start_char`, drops texts with `maxlen` or more tokens and replaces
ranks outside `[skip_top, num_words)` by `oov_char` (or drops them when it is None). Keras
does this with Python list comprehensions over every token; here all texts are flattened
into one int64 array, transformed with whole-array NumPy operations, and split back into
Python lists only at the end. The results are identical element for element.
"""

import gc
import itertools
import json

import numpy as np


class Ragged:
    """Sequences as one flat int64 array of tokens plus per-sequence lengths."""

    def __init__(self, flat, lengths):
        self.flat, self.lengths = flat, lengths

    @classmethod
    def from_lists(cls, seqs):
        lengths = np.fromiter(map(len, seqs), np.int64, count=len(seqs))
        flat = np.fromiter(itertools.chain.from_iterable(seqs), np.int64, count=int(lengths.sum()))
        return cls(flat, lengths)

    def concat(self, other):
        return Ragged(
            np.concatenate([self.flat, other.flat]), np.concatenate([self.lengths, other.lengths])
        )

    def select(self, keep):
        """Keep the sequences where the boolean `keep` is True."""
        return Ragged(self.flat[np.repeat(keep, self.lengths)], self.lengths[keep])

    def mask_tokens(self, keep):
        """Keep the tokens where the boolean per-token `keep` is True."""
        seg = np.repeat(np.arange(len(self.lengths)), self.lengths)
        return Ragged(
            self.flat[keep], np.bincount(seg[keep], minlength=len(self.lengths)).astype(np.int64)
        )

    def split(self, index):
        cut = int(self.lengths[:index].sum())
        return Ragged(self.flat[:cut], self.lengths[:index]), Ragged(
            self.flat[cut:], self.lengths[index:]
        )

    def to_object_array(self):
        """A 1-D object array of Python lists of Python ints (what Keras returns)."""
        ends = np.cumsum(self.lengths).tolist()
        out = np.empty(len(ends), dtype=object)
        enabled = gc.isenabled()
        gc.disable()  # creating ~10^4 lists would trigger many useless collections
        try:
            tokens = self.flat.tolist()
            start = 0
            for i, end in enumerate(ends):
                out[i] = tokens[start:end]
                start = end
        finally:
            if enabled:
                gc.enable()
        return out


def add_offsets(seqs, start_char, index_from):
    """Shift ranks by `index_from` and prepend `start_char` (when not None) to each sequence."""
    if start_char is None:
        return Ragged(seqs.flat + index_from, seqs.lengths)
    lengths = seqs.lengths + 1
    starts = np.cumsum(lengths) - lengths
    flat = np.empty(int(lengths.sum()), np.int64)
    words = np.ones(flat.size, bool)
    words[starts] = False
    flat[starts] = start_char
    flat[words] = seqs.flat + index_from
    return Ragged(flat, lengths)


def drop_long(seqs, labels, maxlen):
    """Keras's `remove_long_seq`: keep sequences strictly shorter than `maxlen`."""
    keep = seqs.lengths < maxlen
    return seqs.select(keep), labels[keep]


def limit_vocabulary(seqs, num_words, skip_top, oov_char):
    """Ranks outside [skip_top, num_words) become `oov_char`, or are dropped when it is None.

    With `num_words` None the bound is the largest index present, which (as in Keras) is
    itself out of range and so becomes `oov_char` too.
    """
    if not num_words:
        if seqs.flat.size == 0:
            raise ValueError("no tokens left to infer `num_words` from; pass num_words")
        num_words = int(seqs.flat.max())
    inside = (seqs.flat >= skip_top) & (seqs.flat < num_words)
    if oov_char is not None:
        return Ragged(np.where(inside, seqs.flat, oov_char), seqs.lengths)
    return seqs.mask_tokens(inside)


def read_word_index(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class InverseIndex:
    """index -> word for a word index shifted by `index_from`, cached for the last dict used."""

    _last = (None, None, None)

    @classmethod
    def get(cls, word_index, index_from):
        cached_index, cached_from, inverse = cls._last
        if cached_index is not word_index or cached_from != index_from:
            inverse = {rank + index_from: word for word, rank in word_index.items()}
            cls._last = (word_index, index_from, inverse)
        return inverse


_LOADED = {}  # word-index loader -> its dict, read once per process


def decode(sequence, word_index, index_from=3, load=None):
    """The words of an index sequence, joined by spaces; reserved and unknown indices -> "?".
    Without `word_index`, `load()` reads it (once: the result is kept)."""
    if word_index is None:
        if load not in _LOADED:
            _LOADED[load] = load()
        word_index = _LOADED[load]
    inverse = InverseIndex.get(word_index, index_from)
    return " ".join(inverse.get(int(i), "?") for i in sequence)
