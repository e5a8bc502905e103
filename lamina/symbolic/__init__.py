"""Symbolic tracing for the functional API: `KerasTensor`, call nodes and `keras.ops` operations.

The floor between the engine and the ops: it imports only `lamina.engine` (and `lamina.naming`),
never `lamina.ops` or anything above.

- `keras_tensor.py`: `KerasTensor` (a shape and dtype, no values) and `CallNode` (one recorded call).
- `operation.py`: `Operation`, a `keras.ops` call recorded as a node of a functional model.
- `output_spec.py`: output shapes and dtypes of an op called on KerasTensors.
- `dispatch.py`: wraps the public `lamina.ops` functions once (at `import lamina.ops`) so that
  KerasTensor arguments build nodes while the eager path is unchanged.
"""
