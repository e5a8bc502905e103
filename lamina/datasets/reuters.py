"""Reuters newswire topic dataset (Keras's `keras.datasets.reuters`).

11,228 newswires labelled over 46 topics, each a list of word indices encoded as IMDB's
(0 padding, 1 start, 2 out-of-vocabulary, word of rank r at r + 3). Keras shuffles all of
them with `RandomState(seed)` and keeps the first `1 - test_split` for training.
"""

import numpy as np

from lamina.datasets import _text
from lamina.datasets._args import check_int, check_num_words, check_split, checked_signature
from lamina.datasets._files import find_file
from lamina.datasets._npz import load_npz

FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
# Keras checks the word index by md5 (4d44cc38712099c9e383dc6e5f11a921); this is the SHA-256
# of the same bytes.
WORD_INDEX_HASH = "9b56000edc4b34a32e89fd5a23b2605594682c74efcf7d8f4e2a5514b771e633"

LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)  # fmt: skip


@checked_signature
def load_data(
    path="reuters.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """`(x_train, y_train), (x_test, y_test)`: 8,982 / 2,246 newswires by default.

    x: 1-D object arrays of Python lists of ints; y: int64 topic indices in [0, 46).
    Arguments as `imdb.load_data`, plus `test_split`, the fraction kept for testing.
    """
    num_words = check_num_words(num_words)
    skip_top = check_int("skip_top", skip_top, minimum=0, allow_none=False)
    maxlen = check_int("maxlen", maxlen, minimum=0)
    test_split = check_split(test_split)
    arrays = load_npz(find_file(path, "reuters.npz", FILE_HASH))
    xs, labels = arrays["x"], arrays["y"]

    order = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(order)
    xs, labels = xs[order], labels[order]

    seqs = _text.add_offsets(_text.Ragged.from_lists(xs), start_char, index_from)
    if maxlen:
        seqs, labels = _text.drop_long(seqs, labels, maxlen)
    seqs = _text.limit_vocabulary(seqs, num_words, skip_top, oov_char)
    cut = int(len(labels) * (1 - test_split))
    train, test = seqs.split(cut)
    return (train.to_object_array(), labels[:cut].copy()), (
        test.to_object_array(),
        labels[cut:].copy(),
    )


@checked_signature
def get_word_index(path="reuters_word_index.json"):
    """dict word -> rank (1 = most frequent); the index in the data is rank + index_from."""
    return _text.read_word_index(find_file(path, "reuters_word_index.json", WORD_INDEX_HASH))


def get_label_names():
    """The 46 topic names, indexed by label."""
    return LABEL_NAMES


def decode(sequence, word_index=None, index_from=3):
    """A newswire back as text: `" ".join` of its words, "?" for indices 0-2 and unknown ones.

    `word_index` defaults to `get_word_index()` (read once, then cached).
    """
    return _text.decode(sequence, word_index, index_from, load=get_word_index)
