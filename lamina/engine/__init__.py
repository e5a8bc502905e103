"""The autodiff engine: tensors, variables, the recorded graph and GradientTape."""
