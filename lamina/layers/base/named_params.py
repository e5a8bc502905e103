"""`NamedParams`: a mixin for layers whose weights each come with Keras's trio of arguments
`<prefix>_initializer`, `<prefix>_regularizer`, `<prefix>_constraint` (kernel, bias, gamma,
beta, depthwise, ...): stored, used to create the weight, and written to the config."""

from lamina import constraints, initializers, regularizers


class NamedParams:
    def _init_params(self, **params):
        """`params`: {prefix: (initializer, regularizer, constraint)}."""
        self._param_prefixes = tuple(params)
        for prefix, (init, reg, constraint) in params.items():
            setattr(self, f"{prefix}_initializer", initializers.get(init))
            setattr(self, f"{prefix}_regularizer", regularizers.get(reg))
            setattr(self, f"{prefix}_constraint", constraints.get(constraint))

    def _add_param(self, prefix, shape, name=None, initializer=None):
        """The weight `name` (default: the prefix) with the prefix's arguments; `initializer`
        overrides the stored one (e.g. LSTM's unit forget bias)."""
        return self.add_weight(
            shape=shape,
            initializer=initializer or getattr(self, f"{prefix}_initializer"),
            regularizer=getattr(self, f"{prefix}_regularizer"),
            constraint=getattr(self, f"{prefix}_constraint"),
            name=name or prefix,
        )

    def _params_config(self):
        prefixes = self._param_prefixes
        return {
            **{f"{p}_initializer": initializers.serialize(getattr(self, f"{p}_initializer"))
               for p in prefixes},
            **{f"{p}_regularizer": regularizers.serialize(getattr(self, f"{p}_regularizer"))
               for p in prefixes},
            **{f"{p}_constraint": constraints.serialize(getattr(self, f"{p}_constraint"))
               for p in prefixes},
        }
