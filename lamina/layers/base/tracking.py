"""`LayerTrackingAPI`, what `Layer` tracks: its weights (`add_weight`, the `weights` and
`variables` lists, trainable or not, its sublayers' included), the `trainable` flag passed down
to sublayers, and the losses (weight-regularization penalties and the activity losses of the
last call).

Mixed into `Layer`, which fills `_own_variables`, `_layers` (sublayers assigned as attributes),
`_regularized`, `_losses` and `_autocast_variables` in its constructor.
"""
import numpy as np

from lamina import constraints, initializers, regularizers
from lamina.engine import dtypes, scopes
from lamina.engine.tensor import Variable
from lamina.layers.base.call_api import CallContext
from lamina.layers.base.weight_budget import WeightBudget


class LayerTrackingAPI:
    """`trainable`, `weights`/`variables` (all, trainable, non-trainable), `layers`, `add_weight`,
    `get_weights`/`set_weights`, `count_params`, `losses`, `add_loss`."""

    # --- weights and sublayers ------------------------------------------------------

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self._trainable = value
        for layer in self._layers:
            layer.trainable = value

    @property
    def variables(self):
        return _unique(self._own_variables + [v for layer in self._layers for v in layer.variables])

    @property
    def weights(self):
        own = [v for v in self._own_variables if v.trainable] + [
            v for v in self._own_variables if not v.trainable
        ]
        return _unique(own + [w for layer in self._layers for w in layer.weights])

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        own = [v for v in self._own_variables if v.trainable]
        return _unique(own + [w for layer in self._layers for w in layer.trainable_weights])

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return self.weights
        own = [v for v in self._own_variables if not v.trainable]
        return _unique(own + [w for layer in self._layers for w in layer.non_trainable_weights])

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def layers(self):
        return list(self._layers)

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", name=None):
        """Create and track a Variable (glorot_uniform for floats by default, as Keras)."""
        shape = () if shape is None else tuple(int(s) for s in shape)
        dtype = dtypes.standardize(dtype) if dtype is not None else self.variable_dtype
        if initializer is None:
            initializer = "glorot_uniform" if np.dtype(dtype).kind == "f" else "zeros"
        init = initializers.get(initializer)
        if WeightBudget.current is not None:  # rebuilding a saved model: check before allocating
            size = int(np.prod(shape, dtype=np.float64)) * np.dtype(dtype).itemsize
            WeightBudget.current.take(size, f"layer {self.name!r}: weight {name!r} of shape {shape}")
        var = Variable(init, shape=shape, dtype=dtype, trainable=trainable,
                       name=name or "variable", constraint=constraints.get(constraint))
        var.path = scopes.scoped(f"{self.name}/{var.name}")
        reg = regularizers.get(regularizer)
        if reg is not None:
            var.regularizer = reg
            self._regularized.append((var, reg))
        self._own_variables.append(var)
        if autocast and trainable and dtypes.is_float(dtype):
            self._autocast_variables.append(var)
        return var

    def add_variable(self, shape, initializer, dtype=None, trainable=True, name=None, **kwargs):
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, name=name, **kwargs)

    def count_params(self):
        if not self.built:
            raise ValueError(
                f"layer {self.name!r} is not built yet, so its weights do not exist: call it on "
                "data or build it (e.g. model.build(input_shape)) before count_params()"
            )
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    def get_weights(self):
        return [np.array(v.data) for v in self.weights]

    def set_weights(self, weights):
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(
                f"layer {self.name!r} has {len(params)} weights, but set_weights got "
                f"{len(weights)} arrays"
            )
        for v, w in zip(params, weights):
            w = np.asarray(w)
            if w.shape != v.shape:
                raise ValueError(
                    f"layer {self.name!r}: weight {v.name!r} has shape {v.shape}, got an array of "
                    f"shape {w.shape}"
                )
            v.assign(w)

    # --- losses ----------------------------------------------------------------------

    @property
    def losses(self):
        """Weight-regularization penalties (computed now) and activity losses of the last call."""
        out = [reg(v) for v, reg in self._regularized]
        out += self._losses
        for layer in self._layers:
            out += layer.losses
        return out

    def add_loss(self, loss):
        """Add a loss term (e.g. an activity penalty) to this call's losses (inside a
        StatelessScope: to the scope's losses with collect_losses=True, else dropped, as Keras)."""
        scope = scopes.get_stateless_scope()
        if scope is not None:
            if scope.collect_losses:
                scope.add_loss(loss)
            return
        self._losses.append(loss)
        CallContext.holders.add(self)

    def _clear_losses(self):
        if self._losses:
            self._losses = []
            CallContext.holders.discard(self)
        for layer in self._layers:
            layer._clear_losses()


def _unique(vs):
    out, seen = [], set()
    for v in vs:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out
