"""IMDB movie-review sentiment dataset (Keras's `keras.datasets.imdb`).

25,000 training and 25,000 test reviews, each a list of word indices (ranked by frequency
in the training reviews), labelled 1 (positive) or 0 (negative). Index 0 is padding, 1
marks the start of a review, 2 an out-of-vocabulary word; word of rank r has index r + 3.
"""

import numpy as np

from lamina.datasets import _text
from lamina.datasets._args import check_int, check_num_words, checked_signature
from lamina.datasets._files import find_file
from lamina.datasets._npz import load_npz

FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
# Keras checks the word index by md5 (bfafd718b763782e994055a2d397834f); this is the SHA-256
# of the same bytes.
WORD_INDEX_HASH = "027313fe9a320280f3bf0fac5baf58c4a683cf39a7ed9c3d3d3912bde4284cf6"


@checked_signature
def load_data(
    path="imdb.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
    **kwargs,
):
    """`(x_train, y_train), (x_test, y_test)` with Keras's shuffling and encoding.

    x: 1-D object arrays of Python lists of ints (25,000 each without `maxlen`);
    y: int64 arrays of 0/1. `num_words` keeps the most frequent words (others become
    `oov_char`), `skip_top` also maps the most frequent ones to `oov_char`, `maxlen` drops
    reviews with `maxlen` or more tokens, `seed` seeds the `RandomState` shuffle.
    """
    del kwargs  # in Keras's signature; `checked_signature` refuses any name passed in it
    num_words = check_num_words(num_words)
    skip_top = check_int("skip_top", skip_top, minimum=0, allow_none=False)
    maxlen = check_int("maxlen", maxlen, minimum=0)
    arrays = load_npz(find_file(path, "imdb.npz", FILE_HASH))
    x_train, y_train = arrays["x_train"], arrays["y_train"]
    x_test, y_test = arrays["x_test"], arrays["y_test"]

    rng = np.random.RandomState(seed)
    order = np.arange(len(x_train))
    rng.shuffle(order)
    x_train, y_train = x_train[order], y_train[order]
    order = np.arange(len(x_test))
    rng.shuffle(order)
    x_test, y_test = x_test[order], y_test[order]

    train = _text.add_offsets(_text.Ragged.from_lists(x_train), start_char, index_from)
    test = _text.add_offsets(_text.Ragged.from_lists(x_test), start_char, index_from)
    if maxlen:
        train, y_train = _text.drop_long(train, y_train, maxlen)
        test, y_test = _text.drop_long(test, y_test, maxlen)
        if not len(y_train) or not len(y_test):
            raise ValueError(
                f"no review is shorter than maxlen={maxlen}, so nothing was kept; increase maxlen"
            )
    both = _text.limit_vocabulary(train.concat(test), num_words, skip_top, oov_char)
    train, test = both.split(len(y_train))
    return (train.to_object_array(), y_train), (test.to_object_array(), y_test)


@checked_signature
def get_word_index(path="imdb_word_index.json"):
    """dict word -> rank (1 = most frequent); the index in the data is rank + index_from."""
    return _text.read_word_index(find_file(path, "imdb_word_index.json", WORD_INDEX_HASH))


def decode(sequence, word_index=None, index_from=3):
    """A review back as text: `" ".join` of its words, "?" for indices 0-2 and unknown ones.

    `word_index` defaults to `get_word_index()` (read once, then cached).
    """
    return _text.decode(sequence, word_index, index_from, load=get_word_index)
