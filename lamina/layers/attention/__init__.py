"""`lamina.layers` attention layers: Attention, MultiHeadAttention."""
