"""The one codec of lamina's files: `serialization` turns objects into Keras's
`{"module", "class_name", "config", "registered_name"}` dicts and back through `lamina.registry`
(never importing a module named in a file), `errors` holds the errors it raises. It sits below
the layers (which use it for nested values in their configs) and below `lamina.saving`, which
writes and reads the files."""
