"""Argument checks shared by the `load_data` functions (clear errors for bad arguments)."""

import difflib
import functools
import inspect
import numbers


def checked_signature(fn):
    """Wrap `fn` so a wrong argument name raises TypeError listing the valid ones.

    Names caught by a `**kwargs` (kept only to match Keras's signature) are refused too.
    The wrapper keeps `fn`'s exact signature (`inspect.signature` follows `__wrapped__`).
    """
    sig = inspect.signature(fn)
    name = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"
    named = [p for p, v in sig.parameters.items() if v.kind != v.VAR_KEYWORD]

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        unknown = [k for k in kwargs if k not in named]
        try:
            sig.bind(*args, **kwargs)
            if unknown:  # swallowed by a `**kwargs` kept for Keras's signature
                raise TypeError(f"got an unexpected keyword argument {unknown[0]!r}")
        except TypeError as e:
            hint = ""
            if unknown:
                close = difflib.get_close_matches(unknown[0], named, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TypeError(f"{name}(): {e}{hint}. Valid arguments: {', '.join(named)}.") from None
        return fn(*args, **kwargs)

    return wrapper


def check_int(name, value, minimum=None, allow_none=True):
    """`value` as an int (None passes when allowed); ValueError naming `name` otherwise."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"`{name}` must be an integer{' or None' if allow_none else ''}, got {value!r}"
        )
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {value}")
    return value


def check_num_words(num_words):
    """None or an integer >= 4 (0 padding, 1 start, 2 out-of-vocabulary, 3 unused, words...)."""
    if num_words is None:
        return None
    if isinstance(num_words, bool) or not isinstance(num_words, numbers.Integral):
        raise ValueError(f"`num_words` must be an integer >= 4 or None, got {num_words!r}")
    if num_words < 4:
        raise ValueError(
            f"`num_words` must be >= 4 (indices 0-2 are reserved for padding, start and "
            f"out-of-vocabulary), got {num_words}; e.g. num_words=10000 keeps the most "
            "frequent words"
        )
    return int(num_words)


def check_split(test_split):
    """A float in [0, 1)."""
    if not isinstance(test_split, numbers.Real) or not 0 <= test_split < 1:
        raise ValueError(f"`test_split` must be a fraction in [0, 1), got {test_split!r}")
    return test_split
