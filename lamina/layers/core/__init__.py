"""`lamina.layers` core layers: Dense, Embedding, Input, Lambda, Masking."""
