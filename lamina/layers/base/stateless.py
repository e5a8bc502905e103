"""`Layer.stateless_call` (Keras 3): call a layer on given variable values without changing it."""
from lamina.engine.stateless import run_with_values


class StatelessLayerAPI:
    """Mixed into Layer."""

    def stateless_call(self, trainable_variables, non_trainable_variables, *args, return_losses=False,
                       **kwargs):
        """Call the layer with these variable values; returns (outputs, non_trainable_variables)
        (+ losses with `return_losses=True`). The layer's own variables are unchanged.

        The values are copied into the variables for the call, so a tape sees the layer's
        variables, not the given tensors: differentiate with respect to the variables.
        """
        if not self.built:
            raise ValueError(
                f"stateless_call: layer {self.name!r} must be built (its variables created) first; "
                "build it by calling it once on some data"
            )
        own_t, own_nt = self.trainable_variables, self.non_trainable_variables
        trainable_variables, non_trainable_variables = list(trainable_variables), list(non_trainable_variables)
        for given, own, kind in ((trainable_variables, own_t, "trainable_variables"),
                                 (non_trainable_variables, own_nt, "non_trainable_variables")):
            if len(given) != len(own):
                raise ValueError(
                    f"stateless_call: layer {self.name!r} has {len(own)} {kind}, got {len(given)} "
                    f"values; pass layer.{kind} (or values in that order)"
                )

        def call():
            outputs = self(*args, **kwargs)
            return outputs, list(self.losses)

        (outputs, losses), new = run_with_values(
            own_t + own_nt, trainable_variables + non_trainable_variables, call,
            f"{self.name}.stateless_call")
        new_non_trainable = new[len(own_t):]
        return (outputs, new_non_trainable, losses) if return_losses else (outputs, new_non_trainable)
