"""keras.applications.densenet: DenseNet121/169/201 (Huang et al., 2017).

Dense blocks of BN-ReLU-1x1(128)-BN-ReLU-3x3(32) units whose outputs are concatenated to
their inputs (growth rate 32), separated by transitions that halve channels (1x1) and
resolution (2x2 average pooling). Expects torch-mode preprocessing.
"""
from lamina import backend, layers
from lamina.applications import builder, imagenet_utils

EPS = 1.001e-5
BASE_WEIGHTS_PATH = builder.KERAS_APPS + "densenet/"
WEIGHTS = {  # blocks: (name, md5 with top, md5 without top)
    (6, 12, 24, 16): ("densenet121", "9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    (6, 12, 32, 32): ("densenet169", "d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    (6, 12, 48, 32): ("densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}


def _bn_axis():
    return 3 if backend.image_data_format() == "channels_last" else 1


def dense_block(x, blocks, name):
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    axis = _bn_axis()
    x = layers.BatchNormalization(axis=axis, epsilon=EPS, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[axis] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x, growth_rate, name):
    axis = _bn_axis()
    x1 = layers.BatchNormalization(axis=axis, epsilon=EPS, name=f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = layers.BatchNormalization(axis=axis, epsilon=EPS, name=f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=axis, name=f"{name}_concat")([x, x1])


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,  # noqa: N802
             classes=1000, classifier_activation="softmax", name="densenet"):
    """A DenseNet with `blocks` units in its four dense blocks."""
    if backend.image_data_format() == "channels_first":
        raise ValueError("DenseNet does not support the `channels_first` image data format. Switch to "
                         "`channels_last` with keras.backend.set_image_data_format('channels_last')")
    builder.check_weights(weights, include_top, classes)
    img_input = builder.standard_input(input_tensor, input_shape, include_top, weights, default_size=224)
    axis = _bn_axis()
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=EPS, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for i, n in enumerate(blocks):
        x = dense_block(x, n, name=f"conv{i + 2}")
        if i < 3:
            x = transition_block(x, 0.5, name=f"pool{i + 2}")
    x = layers.BatchNormalization(axis=axis, epsilon=EPS, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = builder.top(x, include_top, pooling, classes, classifier_activation, weights, "avg_pool", "max_pool")
    imagenet_file = None
    if weights == "imagenet":
        if tuple(blocks) not in WEIGHTS:
            raise ValueError("weights_path undefined: ImageNet weights exist for DenseNet121/169/201 only, "
                             f"not for blocks={list(blocks)}")
        key, with_top, no_top = WEIGHTS[tuple(blocks)]
        fname = f"{key}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
        imagenet_file = (fname, BASE_WEIGHTS_PATH + fname, with_top if include_top else no_top)
    return builder.finish(img_input, input_tensor, x, name, weights, imagenet_file)


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,  # noqa: N802
                classes=1000, classifier_activation="softmax", name="densenet121"):
    """DenseNet121 (8.1M parameters)."""
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,  # noqa: N802
                classes=1000, classifier_activation="softmax", name="densenet169"):
    """DenseNet169 (14.3M parameters)."""
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,  # noqa: N802
                classes=1000, classifier_activation="softmax", name="densenet201"):
    """DenseNet201 (20.2M parameters)."""
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)


preprocess_input, decode_predictions = imagenet_utils.module_functions("torch")
