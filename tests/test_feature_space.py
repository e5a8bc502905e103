"""keras.utils.FeatureSpace: encodings checked value by value (normalization, lookups,
discretization, hashing, crosses), dict/concat outputs, adapt on a Dataset, symbolic
encoded features in a trained model, and the .keras save/load round trip."""
import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.layers.preprocessing.hashed_crossing import fingerprint_cat64
from lamina.utils import FeatureSpace
from lamina.utils.dataset import Dataset

DATA = {"age": np.array([20.0, 30.0, 40.0, 50.0, 60.0], "float32"),
        "city": np.array(["a", "b", "a", "c", "a"]),
        "code": np.array([3, 5, 3, 9, 5]),
        "score": np.array([0.1, 0.5, 0.9, 0.3, 0.7], "float32")}


def make_space(output_mode="concat"):
    return FeatureSpace(
        features={"age": "float_normalized", "city": "string_categorical",
                  "code": FeatureSpace.integer_categorical(),
                  "score": FeatureSpace.float_discretized(num_bins=2, bin_boundaries=[0.5])},
        crosses=[FeatureSpace.cross(("city", "code"), crossing_dim=4)], output_mode=output_mode)


def test_concat_encoding_values():
    fs = make_space()
    fs.adapt(Dataset.from_tensor_slices(DATA))
    out = fs(DATA).numpy()
    # sorted features: age (1), city (OOV + a, b, c: 4), code (OOV + 3, 5, 9: 4), score (2),
    # then the cross city_X_code (4)
    assert out.shape == (5, 15) and out.dtype == np.float32
    age = (DATA["age"] - 40.0) / np.sqrt(200.0)
    np.testing.assert_allclose(out[:, 0], age, rtol=1e-5)
    # vocabularies by count, ties in descending order (Keras's): a, c, b and 5, 3, 9
    np.testing.assert_array_equal(out[:, 1:5].argmax(1), [1, 3, 1, 2, 1])
    np.testing.assert_array_equal(out[:, 5:9].argmax(1), [2, 1, 2, 3, 1])
    np.testing.assert_array_equal(out[:, 9:11].argmax(1), [0, 1, 1, 0, 1])  # score >= 0.5
    # the cross hashes the preprocessed (looked-up) integers of city and code
    city_idx, code_idx = out[:, 1:5].argmax(1), out[:, 5:9].argmax(1)
    bins = []
    for a, b in zip(city_idx, code_idx):
        h = fingerprint_cat64(fingerprint_cat64(0xDECAFCAFFE, int(a)), int(b))
        bins.append(h % 4)
    np.testing.assert_array_equal(out[:, 11:].argmax(1), bins)
    assert np.all(out[:, 1:].sum(1) == 4)  # one-hot blocks
    one = fs({"age": 40.0, "city": "zz", "code": 3, "score": 0.2}).numpy()
    assert one.shape == (15,) and one[1] == 1.0 and abs(one[0]) < 1e-6  # OOV city, mean age


def test_dict_mode_hashed_and_errors():
    fs = FeatureSpace(features={"city": "string_hashed", "age": "float", "code": "integer_hashed"},
                      output_mode="dict", hashing_dim=8)
    out = fs(DATA)  # nothing to adapt
    assert set(out) == {"city", "age", "code"}
    assert out["city"].shape == (5, 8) and out["age"].shape == (5, 1)
    same = layers.Hashing(num_bins=8)(DATA["city"][:, None]).numpy()[:, 0]
    np.testing.assert_array_equal(out["city"].numpy().argmax(1), same)
    with pytest.raises(ValueError, match="adapt"):
        make_space()(DATA)
    with pytest.raises(ValueError, match="invalid feature type"):
        FeatureSpace(features={"x": "float_normalised"})
    with pytest.raises(ValueError, match="unknown features"):
        FeatureSpace(features={"x": "float"}, crosses=[("x", "y")])
    with pytest.raises(ValueError, match="concatenate"):
        FeatureSpace(features={"c": FeatureSpace.string_categorical(output_mode="int")}).adapt(
            {"c": DATA["city"]})


def test_encoded_features_train_and_save_round_trip(tmp_path):
    fs = make_space()
    fs.adapt({k: v for k, v in DATA.items()})
    encoded = fs.get_encoded_features()
    assert encoded.shape == (None, 15)
    model = lamina.Model(fs.get_inputs(), layers.Dense(1, activation="sigmoid")(encoded))
    model.compile(optimizer=lamina.optimizers.Adam(0.1), loss="binary_crossentropy")
    x = {k: v[:, None] for k, v in DATA.items()}
    y = np.array([0, 1, 0, 1, 1], "float32")
    model.fit(x, y, epochs=40, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.2
    path = tmp_path / "fs.keras"
    fs.save(path)
    back = lamina.saving.load_model(path)
    assert isinstance(back, FeatureSpace) and back.output_mode == "concat"
    np.testing.assert_allclose(back(DATA).numpy(), fs(DATA).numpy(), rtol=1e-6)
    assert back.crosses[0].name == "city_X_code"
