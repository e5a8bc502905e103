"""`lamina.layers` max, average and global pooling layers."""
