"""`lamina.layers` reshaping layers: Flatten, Reshape, Permute, RepeatVector, cropping, padding, upsampling."""
