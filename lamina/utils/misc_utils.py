"""keras.utils helpers: (x, y, sample_weight) packing, a model graph's source inputs, and
`Config` (an attribute-access dict that can be frozen)."""

import json


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """(x,), (x, y) or (x, y, sample_weight), leaving out trailing Nones; a lone x that is a
    tuple or list is returned as (x,) so unpacking gives it back whole."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """(x, y, sample_weight) from what a data pipeline yields (missing parts are None)."""
    from lamina.trainers.data_adapter import unpack_x_y_sample_weight as unpack  # noqa: PLC0415  (trainers sit above utils)

    return unpack(data)


def get_source_inputs(tensor):
    """The `keras.Input` tensors that `tensor` (a symbolic tensor) was computed from, in
    first-reached order; a tensor with no history is its own source."""
    from lamina.layers.core.input_layer import InputLayer  # noqa: PLC0415  (layers sit above utils)

    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return [tensor]
    sources, seen, stack = [], set(), [tensor]
    while stack:
        t = stack.pop()
        node = t._keras_history[0] if getattr(t, "_keras_history", None) else None
        if node is None or isinstance(node.layer, InputLayer):
            if id(t) not in seen:
                seen.add(id(t))
                sources.append(t)
            continue
        stack.extend(reversed(node.parents))
    return sources


class Config:
    """A dict with attribute access (`config.learning_rate`), frozen by `freeze()`."""

    __reserved = ("_config", "_frozen")

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self):
        return self._frozen

    def freeze(self):
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        object.__setattr__(self, "_frozen", False)

    def _check(self, name):
        if self._frozen:
            raise ValueError(f"Config is frozen: cannot set {name!r}; call unfreeze() first")

    def __setattr__(self, name, value):
        self._check(name)
        self._config[name] = value

    def __getattr__(self, name):
        try:
            return self._config[name]
        except KeyError:
            raise AttributeError(
                f"Config has no key {name!r}; it has {sorted(self._config)}"
            ) from None

    def __delattr__(self, name):
        self._check(name)
        del self._config[name]

    def __setitem__(self, key, value):
        self.__setattr__(key, value)

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._check(key)
        del self._config[key]

    def __contains__(self, key):
        return key in self._config

    def __len__(self):
        return len(self._config)

    def __iter__(self):
        return iter(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def get(self, key, default=None):
        return self._config.get(key, default)

    def pop(self, key, *default):
        self._check(key)
        return self._config.pop(key, *default)

    def update(self, *args, **kwargs):
        self._check("update")
        self._config.update(*args, **kwargs)

    def setdefault(self, key, default=None):
        if key not in self._config:
            self._check(key)
        return self._config.setdefault(key, default)

    def as_dict(self):
        return dict(self._config)

    def to_json(self):
        return json.dumps(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"
