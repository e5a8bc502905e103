"""The stateless metric API of Keras 3: update, read and reset on given variable values."""
from lamina.engine import tree
from lamina.engine.stateless import detached, run_with_values


class StatelessMetricAPI:
    """Mixed into Metric; `metric_variables` are values in the order of `metric.variables`."""

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """The metric variables after `update_state(*args)` from `metric_variables`."""
        _, new = run_with_values(self.variables, metric_variables, lambda: self.update_state(*args, **kwargs),
                                 f"{self.name}.stateless_update_state")
        return new

    def stateless_result(self, metric_variables):
        """`result()` computed from `metric_variables`."""
        result, _ = run_with_values(self.variables, metric_variables, self.result,
                                    f"{self.name}.stateless_result")
        return tree.map_structure(detached, result)

    def stateless_reset_state(self):
        """The metric variables as `reset_state()` would leave them (the metric is unchanged)."""
        _, new = run_with_values(self.variables, [v.data for v in self.variables], self.reset_state,
                                 f"{self.name}.stateless_reset_state")
        return new
