"""Unique default names (`dense`, `dense_1`, ...) as Keras makes them."""
import re

_COUNTS = {}


def to_snake_case(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    return re.sub(r"_+", "_", s).strip("_")


def uniquify(base):
    """`base` the first time, then `base_1`, `base_2`, ... (until `clear_session`)."""
    n = _COUNTS.get(base, 0)
    _COUNTS[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def reset():
    _COUNTS.clear()
