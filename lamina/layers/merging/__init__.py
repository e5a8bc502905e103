"""`lamina.layers` merging layers: Add, Concatenate, Dot, ...."""
