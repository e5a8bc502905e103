"""`lamina.layers` the Layer base class and what every layer shares: input specs, the weight budget, named weight parameters."""
