"""`lamina.layers` normalization layers: BatchNormalization, LayerNormalization, GroupNormalization."""
