"""`Optimizer.stateless_apply` (Keras 3): one update on given values, the optimizer unchanged."""
from lamina.engine.stateless import run_with_values


class StatelessOptimizerAPI:
    """Mixed into Optimizer."""

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """(new trainable variable values, new optimizer variable values) after applying
        `grads` to `trainable_variables` with the optimizer state `optimizer_variables`.
        Neither the optimizer nor the variables it was built with change."""
        if not self.built:
            raise ValueError(
                f"stateless_apply: optimizer {self.name!r} must be built first: call "
                "optimizer.build(model.trainable_variables)"
            )
        own = list(self._trainable_variables)
        state = self.variables
        trainable_variables, optimizer_variables = list(trainable_variables), list(optimizer_variables)
        if len(trainable_variables) != len(own):
            raise ValueError(f"stateless_apply: the optimizer was built with {len(own)} variables, got "
                             f"{len(trainable_variables)} trainable_variables")
        grads = list(grads)
        _, new = run_with_values(own + state, trainable_variables + optimizer_variables,
                                 lambda: self.apply(grads, own), f"{self.name}.stateless_apply")
        return new[:len(own)], new[len(own):]
