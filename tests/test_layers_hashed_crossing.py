"""HashedCrossing: Keras's documented outputs (TensorFlow's cross_hashed, bit for bit), an
independent transcription of FingerprintCat64, shapes, one-hot, errors and config."""
import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.layers.preprocessing.hash_functions import fingerprint64

M64 = (1 << 64) - 1


def reference_cat(a, b):
    # TensorFlow's FingerprintCat64 (tensorflow/core/platform/fingerprint.h), written out
    k = 0xC6A4A7935BD1E995
    r = a ^ k
    t = (b * k) & M64
    r ^= ((t ^ (t >> 47)) * k) & M64
    r = (r * k) & M64
    r = ((r ^ (r >> 47)) * k) & M64
    return r ^ (r >> 47)


def test_keras_documented_examples():
    feat1, feat2 = np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])
    out = layers.HashedCrossing(num_bins=5)((feat1, feat2))
    assert out.dtype == "int64"
    np.testing.assert_array_equal(out.numpy(), [1, 4, 1, 1, 3])
    one_hot = layers.HashedCrossing(num_bins=5, output_mode="one_hot")((feat1, feat2)).numpy()
    np.testing.assert_array_equal(one_hot, np.eye(5, dtype="float32")[[1, 4, 1, 1, 3]])


def test_three_features_and_shapes():
    a, b, c = np.array([["x"], ["y"]]), np.array([[3], [-4]]), np.array([[b"q"], [b"r"]])
    out = layers.HashedCrossing(97)((a, b, c)).numpy()
    assert out.shape == (2, 1)
    expect = []
    for va, vb, vc in zip(["x", "y"], [3, -4], [b"q", b"r"]):
        h = 0xDECAFCAFFE
        for key in (fingerprint64(va.encode()), vb & M64, fingerprint64(vc)):
            h = reference_cat(h, key)
        expect.append(h % 97)
    np.testing.assert_array_equal(out[:, 0], expect)
    scalar = layers.HashedCrossing(5)((np.array("A"), np.array(101))).numpy()
    assert scalar.shape == () and int(scalar) == 1
    layer = layers.HashedCrossing(8, output_mode="one_hot")
    assert layer((a, b)).shape == (2, 8)
    assert layer.compute_output_shape([(None, 1), (None, 1)]) == (None, 8)


def test_errors_and_config():
    with pytest.raises(ValueError, match="at least two"):
        layers.HashedCrossing(4)([np.array([1, 2])])
    with pytest.raises(ValueError, match="same shape"):
        layers.HashedCrossing(4)((np.array([1, 2]), np.array([1, 2, 3])))
    with pytest.raises(ValueError, match="output_mode"):
        layers.HashedCrossing(4, output_mode="multi_hot")
    with pytest.raises(TypeError, match="integers or strings"):
        layers.HashedCrossing(4)((np.array([1.5]), np.array([2])))
    layer = layers.HashedCrossing(7, output_mode="one_hot", name="cross")
    clone = layers.HashedCrossing.from_config(layer.get_config())
    assert clone.num_bins == 7 and clone.output_mode == "one_hot"
    restored = lamina.layers.deserialize(lamina.layers.serialize(layer))
    assert isinstance(restored, layers.HashedCrossing)
