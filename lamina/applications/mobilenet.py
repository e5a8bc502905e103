"""keras.applications.mobilenet: MobileNet (Howard et al., 2017).

A 3x3/2 convolution then 13 depthwise-separable blocks (3x3 depthwise, 1x1 pointwise, each
with BatchNorm and ReLU6); `alpha` scales the widths, `depth_multiplier` the depthwise
channels. The top is a 1x1 convolution on the pooled features. Expects tf-mode preprocessing.
"""
import warnings

from lamina import backend, layers
from lamina.applications import builder, imagenet_utils

BASE_WEIGHT_PATH = builder.KERAS_APPS + "mobilenet/"
SIZES = (128, 160, 192, 224)
# (pointwise filters, stride) of blocks 1..13
BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
          (512, 1), (1024, 2), (1024, 1))


def spatial(input_shape):
    """(rows, cols) of a (rows, cols, channels) shape in the current data format."""
    if backend.image_data_format() == "channels_first":
        return input_shape[1], input_shape[2]
    return input_shape[0], input_shape[1]


def square_default_size(input_shape, sizes):
    """The shape's side if it is square and one of `sizes` (a published resolution), else 224."""
    if input_shape is None:
        return 224
    rows, cols = spatial(input_shape)
    return rows if rows == cols and rows in sizes else 224


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True,  # noqa: N802
              weights="imagenet", input_tensor=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=None):
    """MobileNet; `alpha` in (0.25, 0.5, 0.75, 1.0) and a square side in 128..224 for ImageNet weights."""
    builder.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=square_default_size(input_shape, SIZES), min_size=32,
        data_format=backend.image_data_format(), require_flatten=include_top, weights=weights)
    rows, cols = spatial(input_shape)
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError("If imagenet weights are being loaded, depth multiplier must be 1.  "
                             f"Received depth_multiplier={depth_multiplier}")
        if alpha not in (0.25, 0.5, 0.75, 1.0):
            raise ValueError("If imagenet weights are being loaded, alpha can be one of`0.25`, `0.50`, `0.75` "
                             f"or `1.0` only.  Received alpha={alpha}")
        if rows != cols or rows not in SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in [128, 160, 192, 224]. "
                          "Weights for input shape (224, 224) will be loaded as the default.", stacklevel=2)
    img_input = builder.make_input(input_tensor, input_shape)
    axis = builder.channel_axis()
    x = layers.Conv2D(int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2), name="conv1")(img_input)
    x = layers.BatchNormalization(axis=axis, name="conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(BLOCKS, start=1):
        x = _depthwise_conv_block(x, int(filters * alpha), depth_multiplier, stride, block_id, axis)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = builder.pool(x, pooling)
    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    imagenet_file = None
    if weights == "imagenet":
        alpha_text = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}[alpha]
        fname = f"mobilenet_{alpha_text}_{rows}_tf{'' if include_top else '_no_top'}.h5"
        imagenet_file = (fname, BASE_WEIGHT_PATH + fname, None)  # Keras publishes no hash for these
    return builder.finish(img_input, input_tensor, x, name, weights, imagenet_file)


def _depthwise_conv_block(x, filters, depth_multiplier, stride, block_id, axis):
    if stride == 1:
        padding = "same"
    else:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
        padding = "valid"
    x = layers.DepthwiseConv2D((3, 3), padding=padding, depth_multiplier=depth_multiplier, strides=(stride, stride),
                               use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(filters, (1, 1), padding="same", use_bias=False, strides=(1, 1), name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


preprocess_input, decode_predictions = imagenet_utils.module_functions("tf")
