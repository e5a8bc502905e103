"""keras.applications.vgg19: VGG19 (Simonyan & Zisserman, 2014), 143.7M parameters: VGG16
with four convolutions in each of the last three blocks. Expects caffe-mode preprocessing."""
from lamina.applications.vgg16 import decode_predictions, preprocess_input, vgg  # noqa: F401


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,  # noqa: N802
          classes=1000, classifier_activation="softmax", name="vgg19"):
    """VGG19; `weights` None, "imagenet" or a path; input 224x224x3 with the top."""
    return vgg((2, 2, 4, 4, 4), "vgg19", include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name)

