"""Keras 3's scopes: `name_scope`, `StatelessScope`, `SymbolicScope` (`keras.*`).

- name_scope("block"): Variables created inside get the path "block/<name>" (nested scopes
  join with "/"), layer weights "block/<layer>/<name>".
- StatelessScope(state_mapping=[(variable, value), ...]): inside, each mapped variable holds
  the given value; assignments made inside are visible there and through
  `scope.get_current_value(variable)`, and every variable assigned or mapped inside gets
  its value from before the scope back on exit (NumPy has no traced state: the values are
  swapped in and out, as lamina's `stateless_call`). collect_losses=True: losses that layers
  add inside are kept in `scope.losses` instead of on the layers.
  Variables written in place without `assign`/`assign_add`/`assign_sub` (the optimizers' fast
  path) are restored only when mapped.
- RematScope(mode="full" | "activations" | "larger_than" | "list_of_layers" | None,
  output_size_threshold=1024, layer_names=None): layers created inside rematerialize their
  calls (`keras.remat`): all of them, only their activation function, those whose output
  has more than output_size_threshold elements, or those named in layer_names.
- SymbolicScope: marks shape-only tracing (`in_symbolic_scope()`), as Keras does around
  `compute_output_spec`; a layer called on KerasTensors computes its output spec inside one.
"""
import numpy as np


class _Stacks:
    names: list = []  # noqa: RUF012  (the open name scopes, outermost first)
    remat: list = []  # noqa: RUF012
    stateless: list = []  # noqa: RUF012
    symbolic: list = []  # noqa: RUF012


class name_scope:  # noqa: N801  (Keras's name)
    """`with name_scope("encoder"):` prefixes the paths of the variables created inside."""

    def __init__(self, name, **kwargs):
        if not isinstance(name, str) or not name:
            raise ValueError(f"name_scope: `name` must be a non-empty string, got {name!r}")
        self.name = name
        self._pushed = False

    def __enter__(self):
        _Stacks.names.append(self.name)
        self._pushed = True
        return self

    def __exit__(self, *exc):
        if self._pushed:
            _Stacks.names.pop()
            self._pushed = False
        return False


def current_path():
    """The joined path of the open name scopes ("" outside any)."""
    return "/".join(_Stacks.names)


def scoped(path):
    """`path` under the open name scopes."""
    prefix = current_path()
    return f"{prefix}/{path}" if prefix else path


class StatelessScope:
    """See the module docstring."""

    def __init__(self, state_mapping=None, collect_losses=False, initialize_variables=True):
        from lamina.engine.tensor import Variable, data_of  # noqa: PLC0415  (tensor imports this module)

        self.collect_losses = bool(collect_losses)
        self.initialize_variables = bool(initialize_variables)
        self.losses = []
        self._mapping = {}  # id(variable) -> (variable, value array)
        for pair in state_mapping or []:
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[0], Variable)):
                raise ValueError("StatelessScope: state_mapping must be a list of (Variable, value) "
                                 f"pairs, got an entry {pair!r}")
            var, value = pair
            arr = np.asarray(data_of(value), dtype=var.data.dtype)
            if arr.shape != var.data.shape:
                raise ValueError(f"StatelessScope: the value for variable {var.path!r} has shape "
                                 f"{arr.shape}, the variable {var.data.shape}")
            self._mapping[id(var)] = (var, arr)
        self._saved = {}  # id -> (variable, value before the scope)
        self._assigned = {}  # id -> variable assigned inside

    def __enter__(self):
        for var, value in self._mapping.values():
            self.save(var)
            np.copyto(var.data, value)
        _Stacks.stateless.append(self)
        return self

    def __exit__(self, *exc):
        _Stacks.stateless.remove(self)
        for var, before in self._saved.values():
            current = np.array(var.data)
            if id(var) in self._mapping or id(var) in self._assigned:
                self._mapping[id(var)] = (var, current)
            np.copyto(var.data, before)
        return False

    def save(self, variable):
        """Keep `variable`'s value from before the scope (first write only)."""
        if id(variable) not in self._saved:
            self._saved[id(variable)] = (variable, np.array(variable.data))

    def note_assignment(self, variable):
        self.save(variable)
        self._assigned[id(variable)] = variable

    def get_current_value(self, variable):
        """The value `variable` has in this scope (mapped or assigned), else None."""
        if _Stacks.stateless and _Stacks.stateless[-1] is self and id(variable) in self._saved:
            return variable.value
        entry = self._mapping.get(id(variable))
        if entry is None:
            return None
        from lamina.engine.tensor import Tensor  # noqa: PLC0415  (tensor imports this module)

        return Tensor(np.array(entry[1]))

    def add_loss(self, loss):
        self.losses.append(loss)


def get_stateless_scope():
    return _Stacks.stateless[-1] if _Stacks.stateless else None


def in_stateless_scope():
    return bool(_Stacks.stateless)


def before_assign(variable):
    """Called by Variable.assign*: the open stateless scope records the variable's value."""
    if _Stacks.stateless:
        _Stacks.stateless[-1].note_assignment(variable)


class SymbolicScope:
    """Marks shape-only (symbolic) tracing; see `in_symbolic_scope`."""

    def __enter__(self):
        _Stacks.symbolic.append(self)
        return self

    def __exit__(self, *exc):
        _Stacks.symbolic.remove(self)
        return False


def in_symbolic_scope():
    return bool(_Stacks.symbolic)


REMAT_MODES = ("full", "activations", "larger_than", "list_of_layers", None)


class RematScope:
    """See the module docstring; `current_remat_mode()` is what a layer created now uses."""

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in REMAT_MODES:
            raise ValueError(f"RematScope: mode must be one of {REMAT_MODES}, got {mode!r}")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = list(layer_names or [])

    def __enter__(self):
        _Stacks.remat.append(self)
        return self

    def __exit__(self, *exc):
        _Stacks.remat.remove(self)
        return False


def current_remat_mode():
    """The innermost RematScope (None outside any, or when its mode is None)."""
    scope = _Stacks.remat[-1] if _Stacks.remat else None
    return scope if scope is not None and scope.mode is not None else None
