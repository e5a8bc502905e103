"""keras.applications.resnet50: the ResNet50 module Keras keeps (same as resnet.ResNet50)."""
from lamina.applications.resnet import ResNet50, decode_predictions, preprocess_input  # noqa: F401
