"""keras.applications.inception_resnet_v2: InceptionResNetV2 (Szegedy et al., 2016), 55.9M
parameters.

Inception stem, then 10 block35, 20 block17 and 10 block8 Inception-ResNet blocks (parallel
branches concatenated, projected by a 1x1 convolution and added to the input scaled by 0.17,
0.1 and 0.2), with reduction modules between them. Input 299x299 by default (at least 75).
Expects tf-mode preprocessing.
"""
from lamina import backend, layers
from lamina.applications import builder, imagenet_utils
from lamina.layers.merging.custom_scale import CustomScaleLayer

BASE_WEIGHT_URL = builder.KERAS_APPS + "inception_resnet_v2/"
WEIGHTS = {True: ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5", "e693bd0210a403b3192acc6073ad2e96"),
           False: ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
                   "d19885ff4a710c122648d3b5c3b684e4")}
BRANCHES = {  # block type: branches of (filters, kernel) convolutions
    "block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
    "block17": [[(192, 1)], [(128, 1), (160, [1, 7]), (192, [7, 1])]],
    "block8": [[(192, 1)], [(192, 1), (224, [1, 3]), (256, [3, 1])]],
}


def _axis():
    return 1 if backend.image_data_format() == "channels_first" else 3


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu", use_bias=False, name=None):
    """Conv2D, then (without bias) BatchNorm(scale=False), then the activation."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=_axis(), scale=False, name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def _branch(x, convs):
    for filters, kernel in convs:
        x = conv2d_bn(x, filters, kernel)
    return x


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """x + scale * conv1x1(concat(branches(x))), then `activation`."""
    if block_type not in BRANCHES:
        raise ValueError('Unknown Inception-ResNet block type. Expects "block35", "block17" or "block8", but got: '
                         f"{block_type}")
    axis = _axis()
    branches = [_branch(x, convs) for convs in BRANCHES[block_type]]
    block_name = f"{block_type}_{block_idx}"
    mixed = layers.Concatenate(axis=axis, name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[axis], 1, activation=None, use_bias=True, name=f"{block_name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,  # noqa: N802
                      pooling=None, classes=1000, classifier_activation="softmax", name="inception_resnet_v2"):
    """InceptionResNetV2; input 299x299x3 with the top."""
    builder.check_weights(weights, include_top, classes)
    img_input = builder.standard_input(input_tensor, input_shape, include_top, weights, default_size=299,
                                       min_size=75)
    axis = _axis()
    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    b0 = conv2d_bn(x, 96, 1)
    b1 = _branch(x, [(48, 1), (64, 5)])
    b2 = _branch(x, [(64, 1), (96, 3), (96, 3)])
    bp = conv2d_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1)
    x = layers.Concatenate(axis=axis, name="mixed_5b")([b0, b1, b2, bp])
    for block_idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=block_idx)
    b0 = conv2d_bn(x, 384, 3, strides=2, padding="valid")
    b1 = conv2d_bn(_branch(x, [(256, 1), (256, 3)]), 384, 3, strides=2, padding="valid")
    bp = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=axis, name="mixed_6a")([b0, b1, bp])
    for block_idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=block_idx)
    b0 = conv2d_bn(conv2d_bn(x, 256, 1), 384, 3, strides=2, padding="valid")
    b1 = conv2d_bn(conv2d_bn(x, 256, 1), 288, 3, strides=2, padding="valid")
    b2 = conv2d_bn(_branch(x, [(256, 1), (288, 3)]), 320, 3, strides=2, padding="valid")
    bp = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=axis, name="mixed_7a")([b0, b1, b2, bp])
    for block_idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=block_idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)
    x = conv2d_bn(x, 1536, 1, name="conv_7b")
    x = builder.top(x, include_top, pooling, classes, classifier_activation, weights)
    fname, file_hash = WEIGHTS[bool(include_top)]
    return builder.finish(img_input, input_tensor, x, name, weights, (fname, BASE_WEIGHT_URL + fname, file_hash))


preprocess_input, decode_predictions = imagenet_utils.module_functions("tf")
