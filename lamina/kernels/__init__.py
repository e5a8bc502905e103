"""Fused kernels for the training hot path: several ops as ONE graph node, with a hand-written
backward, bitwise-equal (or float-equal) to the composition of the public ops they replace.

- `linear.py`: relu?(x @ kernel + bias) (Dense, attention projections).
- `conv.py`: relu?(conv(x, kernel) + bias), channels-last (the convolution layers).
- `pool.py`: 2x2 stride-2 max pooling (the convnet case of MaxPooling2D).
- `batch_norm.py`: training-mode BatchNormalization over all axes but the channels.
- `layer_norm.py`: LayerNormalization over the last axis.
- `rnn_sequence.py` + `rnn_cells.py`: a whole recurrent sequence with backward through time,
  and the SimpleRNN / LSTM / GRU step kernels it drives.

A floor with the building blocks: kernels compute with `lamina.ops` and the engine (and the
activations' NumPy forms); layers call them; they know nothing of layers or models.
"""
