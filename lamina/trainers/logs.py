"""What the training loops report: `LazyLogs`, per-batch logs whose metric values are
computed only when read (a progress bar or callback reading them), and `pythonify`, the
logs as Keras 3 gives them to `History` and `evaluate` (sorted keys, float values)."""
from collections.abc import Mapping

from lamina.engine.tensor import Tensor


class LazyLogs(Mapping):
    """Per-batch logs whose metric values are computed only if someone reads them."""

    __slots__ = ("_compute", "_values")

    def __init__(self, compute):
        self._compute = compute  # () -> {name: value}, called once, on the first read
        self._values = None

    def _get(self):
        if self._values is None:
            self._values = self._compute()
        return self._values

    def __getitem__(self, key):
        return self._get()[key]

    def __iter__(self):
        return iter(self._get())

    def __len__(self):
        return len(self._get())

    def __repr__(self):
        return repr(self._get())


def pythonify(logs):
    """Sorted keys, float values (as Keras 3's logs)."""
    out = {}
    for k, v in sorted(dict(logs).items()):
        if isinstance(v, dict):
            out.update(pythonify(v))
            continue
        try:
            v = float(v.data if isinstance(v, Tensor) else v)
        except (TypeError, ValueError):
            pass
        out[k] = v
    return out
