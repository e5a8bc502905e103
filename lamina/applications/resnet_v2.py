"""keras.applications.resnet_v2: ResNet50V2/101V2/152V2 (He et al., 2016, "Identity Mappings"):
pre-activation bottleneck blocks, the stride on each stack's last block. Expects tf-mode
preprocessing (pixels scaled to [-1, 1])."""
from lamina.applications import imagenet_utils
from lamina.applications.resnet import ResNet, stack_residual_blocks_v2, stacks


def _v2_stacks(depths):  # the stride on each stack's last block, none on conv5's
    return stacks(depths, stack_residual_blocks_v2, (2, 2, 2, 1))


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,  # noqa: N802
               classes=1000, classifier_activation="softmax", name="resnet50v2"):
    """ResNet50V2 (25.6M parameters)."""
    return ResNet(_v2_stacks((3, 4, 6, 3)), True, True, include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation, name, weights_name="resnet50v2")


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,  # noqa: N802
                classes=1000, classifier_activation="softmax", name="resnet101v2"):
    """ResNet101V2 (44.7M parameters)."""
    return ResNet(_v2_stacks((3, 4, 23, 3)), True, True, include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation, name, weights_name="resnet101v2")


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,  # noqa: N802
                classes=1000, classifier_activation="softmax", name="resnet152v2"):
    """ResNet152V2 (60.4M parameters)."""
    return ResNet(_v2_stacks((3, 8, 36, 3)), True, True, include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation, name, weights_name="resnet152v2")


preprocess_input, decode_predictions = imagenet_utils.module_functions("tf")
