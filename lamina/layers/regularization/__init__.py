"""`lamina.layers` regularization layers: Dropout, SpatialDropout, Gaussian noise and dropout."""
