"""`lamina.layers` convolution layers (1-D to 3-D, transposed, depthwise, separable) and their window arithmetic."""
