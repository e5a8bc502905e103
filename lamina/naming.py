"""Unique default names (`dense`, `dense_1`, ...) as Keras makes them."""
import re

_COUNTS = {}


def to_snake_case(name):
    """Keras's rule: `Conv2D` -> `conv2d`, `MaxPooling2D` -> `max_pooling2d`, `SimpleRNN` ->
    `simple_rnn` (a digit does not start a new word)."""
    s = re.sub(r"\W+", "", name)
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", s)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def uniquify(base):
    """`base` the first time, then `base_1`, `base_2`, ... (until `clear_session`)."""
    n = _COUNTS.get(base, 0)
    _COUNTS[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def reset():
    _COUNTS.clear()
    _UIDS.clear()


_UIDS = {}


def next_uid(prefix=""):
    """1, 2, ... per prefix (keras.backend.get_uid); reset with the name counters."""
    _UIDS[prefix] = _UIDS.get(prefix, 0) + 1
    return _UIDS[prefix]
