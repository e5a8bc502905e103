"""`lamina.datasets`: Keras's small datasets with Keras's `load_data` signatures and results.

Files are read from the folder named by `$LAMINA_DATASETS`, then lamina's cache
(`$LAMINA_HOME/datasets`, default `~/.lamina/datasets`), else downloaded from Keras's public
origin (override with `$LAMINA_DATASETS_ORIGIN`) and verified by hash. Pickled contents are
read with a restricted unpickler, so a tampered file cannot run code.
"""

import difflib

from lamina.datasets import (
    boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters,
)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist", "imdb", "mnist",
           "reuters"]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    close = difflib.get_close_matches(name, __all__, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    raise AttributeError(
        f"lamina.datasets has no dataset {name!r}{hint} Available: {', '.join(__all__)}"
    )
