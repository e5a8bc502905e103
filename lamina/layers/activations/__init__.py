"""`lamina.layers` activation layers: Activation, ReLU, LeakyReLU, Softmax."""
