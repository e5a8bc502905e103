"""`lamina.layers`: Keras 3 layer classes (`from lamina import layers`)."""
from lamina.layers.activations.activation import Activation, LeakyReLU, ReLU, Softmax  # noqa: F401
from lamina.layers.core.dense import Dense  # noqa: F401
from lamina.layers.regularization.dropout import Dropout  # noqa: F401
from lamina.layers.core.input_layer import Input, InputLayer  # noqa: F401
from lamina.layers.core.lambda_layer import Lambda  # noqa: F401
from lamina.layers.base.layer import InputSpec, Layer  # noqa: F401
from lamina.layers.merging.merge import (  # noqa: F401
    Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, average,
    concatenate, dot, maximum, minimum, multiply, subtract,
)
from lamina.layers.preprocessing.normalization import Normalization  # noqa: F401
from lamina.layers.reshaping.reshape import Flatten, Permute, RepeatVector, Reshape  # noqa: F401
from lamina.layers.preprocessing.rescaling import Rescaling  # noqa: F401
from lamina.layers.normalization.batch_normalization import BatchNormalization  # noqa: F401
from lamina.layers.convolutional.conv import Conv1D, Conv2D, Conv3D  # noqa: F401
from lamina.layers.convolutional.conv_transpose import (  # noqa: F401
    Conv1DTranspose, Conv2DTranspose, Conv3DTranspose,
)
from lamina.layers.convolutional.depthwise_conv import (  # noqa: F401
    DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
)
from lamina.layers.core.embedding import Embedding  # noqa: F401
from lamina.layers.normalization.group_normalization import GroupNormalization  # noqa: F401
from lamina.layers.normalization.layer_normalization import LayerNormalization  # noqa: F401
from lamina.layers.regularization.noise import GaussianDropout, GaussianNoise  # noqa: F401
from lamina.layers.pooling.pooling import (  # noqa: F401
    AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D,
    GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D,
    AveragePooling3D, GlobalAveragePooling3D, GlobalMaxPooling3D, MaxPooling3D,
)
from lamina.layers.reshaping.spatial import (  # noqa: F401
    Cropping1D, Cropping2D, UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D,
    Cropping3D, UpSampling3D, ZeroPadding3D,
)
from lamina.layers.regularization.spatial_dropout import SpatialDropout1D, SpatialDropout2D  # noqa: F401
from lamina.layers.core.masking import Masking  # noqa: F401,E402
from lamina.layers.rnn import (  # noqa: F401,E402
    GRU, LSTM, RNN, Bidirectional, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell, StackedRNNCells,
    TimeDistributed, Wrapper, ConvLSTM1D, ConvLSTM2D, ConvLSTM3D,
)
from lamina.layers.attention.attention import Attention, MultiHeadAttention  # noqa: F401,E402
from lamina.layers.activations.prelu import ELU, PReLU  # noqa: F401,E402
from lamina.layers.attention.additive_attention import AdditiveAttention  # noqa: F401,E402
from lamina.layers.attention.grouped_query_attention import GroupQueryAttention  # noqa: F401,E402
from lamina.layers.core.einsum_dense import EinsumDense  # noqa: F401,E402
from lamina.layers.core.identity import Identity  # noqa: F401,E402
from lamina.layers.core.reversible_embedding import ReversibleEmbedding  # noqa: F401,E402
from lamina.layers.normalization.spectral_normalization import SpectralNormalization  # noqa: F401,E402
from lamina.layers.normalization.unit_normalization import RMSNormalization, UnitNormalization  # noqa: F401,E402
from lamina.layers.pooling.adaptive_pooling import (  # noqa: F401,E402
    AdaptiveAveragePooling1D, AdaptiveAveragePooling2D, AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D, AdaptiveMaxPooling2D, AdaptiveMaxPooling3D,
)
from lamina.layers.regularization.alpha_dropout import ActivityRegularization, AlphaDropout  # noqa: F401,E402
from lamina.layers.regularization.spatial_dropout import SpatialDropout3D  # noqa: F401,E402
from lamina.layers.engine_bound import FlaxLayer, JaxLayer, TFSMLayer, TorchModuleWrapper  # noqa: F401,E402
from lamina.codec import serialization as _serialization  # noqa: E402
from lamina import lazy as _lazy  # noqa: E402
from lamina import registry as _registry  # noqa: E402

# preprocessing layers: imported on first use (keeps `import lamina` fast)
__getattr__, __dir__ = _lazy.exports(__name__, globals(), dict.fromkeys((
    "CategoryEncoding", "CenterCrop", "Discretization", "Hashing", "IntegerLookup",
    "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation",
    "RandomTranslation", "RandomZoom", "Resizing", "StringLookup", "TextVectorization", "Pipeline",
    "STFTSpectrogram", "MelSpectrogram", "RandomGrayscale", "RandomInvert", "Solarization", "AutoContrast",
    "MixUp", "RandomSaturation", "RandomColorDegeneration", "RandomPosterization",
    "RandomHue", "RandomSharpness", "RandomGaussianBlur", "CutMix",
    "RandomColorJitter", "HashedCrossing", "AugMix", "RandAugment", "Equalization",
    "ContrastLimitedAdaptiveHistogramEqualization", "RandomShear", "RandomPerspective",
    "RandomElasticTransform", "RandomErasing", "MaxNumBoundingBoxes"),
    "lamina.layers.preprocessing"))

# Keras's short aliases of the convolution and pooling layers
Convolution1D, Convolution2D = Conv1D, Conv2D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
MaxPool1D, MaxPool2D = MaxPooling1D, MaxPooling2D
AvgPool1D, AvgPool2D = AveragePooling1D, AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
Convolution3D, Convolution3DTranspose = Conv3D, Conv3DTranspose
MaxPool3D, AvgPool3D = MaxPooling3D, AveragePooling3D
GlobalMaxPool3D, GlobalAvgPool3D = GlobalMaxPooling3D, GlobalAveragePooling3D

# every layer class above under its Keras name (the preprocessing ones load on first use)
_registry.register_builtins(
    "layer", {n: v for n, v in dict(globals()).items()
              if isinstance(v, type) and issubclass(v, Layer) and not n.startswith("_")},
    lazy={n: (lambda n=n: __getattr__(n)) for n in __dir__() if n not in globals()})

# layers of keras.applications that are not public keras.layers names (saved under Keras's module)
from lamina.layers.core.layer_scale import LayerScale as _LayerScale  # noqa: E402
from lamina.layers.regularization.stochastic_depth import StochasticDepth as _StochasticDepth  # noqa: E402
from lamina.layers.merging.custom_scale import CustomScaleLayer as _CustomScaleLayer  # noqa: E402

_registry.register_builtins("layer", {"LayerScale": _LayerScale, "StochasticDepth": _StochasticDepth},
                            keras_module="keras.src.applications.convnext")
_registry.register_builtins("layer", {"CustomScaleLayer": _CustomScaleLayer},
                            keras_module="keras.src.applications.inception_resnet_v2")


def serialize(layer):
    """The config dict of `layer` in Keras 3's layout ({module, class_name, config, ...})."""
    return _serialization.serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """The layer described by `config` (the output of `serialize`)."""
    return _serialization.deserialize_keras_object(config, custom_objects=custom_objects)
