"""keras.saving.KerasFileEditor: reading a .keras file's weights (lamina's and Keras's),
compare, edits, and the saved weights file loading into a model."""
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.saving import KerasFileEditor

FIXTURES = Path(__file__).parent / "fixtures" / "keras"


def _model():
    model = lamina.Sequential([layers.Input((4,)), layers.Dense(3, name="hidden"),
                               layers.Dense(1, name="out")])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 4), "float32"), np.ones((8, 1), "float32"), epochs=1, verbose=0)
    return model


def test_read_summary_compare(tmp_path, capsys):
    model = _model()
    path = tmp_path / "m.keras"
    model.save(path)
    editor = KerasFileEditor(str(path))
    w = editor.weights_dict["layers"]
    # Keras's paths name layers by class (dense, dense_1), not by layer name
    np.testing.assert_array_equal(w["dense"]["0"], model.layers[0].kernel.numpy())
    np.testing.assert_array_equal(w["dense_1"]["1"], model.layers[1].bias.numpy())
    assert "optimizer" in editor.weights_dict and editor.config["class_name"] == "Sequential"
    text = editor.summary()
    assert "dense_1/" in text and "0: shape=(4, 3)" in text
    assert editor.compare(model) == {"status": "success", "error_count": 0, "match_count": 4}
    other = lamina.Sequential([layers.Input((4,)), layers.Dense(5, name="hidden"),
                               layers.Dense(1, name="out")])
    result = editor.compare(other)
    assert result["status"] == "error" and result["error_count"] == 3  # 2 kernels, 1 bias
    assert "shape mismatch" in capsys.readouterr().out


def test_edits_and_resave_load_into_model(tmp_path):
    model = _model()
    path = tmp_path / "m.keras"
    model.save(path)
    editor = KerasFileEditor(str(path))
    new_bias = np.full((1,), 7.0, "float32")
    editor.delete_weight("dense_1", "1")
    editor.add_weights("dense_1", {"1": new_bias})
    editor.rename_object("layers/dense", "first")
    assert "first" in editor.weights_dict["layers"] and "dense" not in editor.weights_dict["layers"]
    with pytest.raises(ValueError, match="not found"):
        editor.delete_object("layers/missing")
    with pytest.raises(ValueError, match="more than once"):
        editor.delete_object("0")
    editor.rename_object("first", "dense")
    editor.add_object("extra", {"0": np.zeros(2)})
    editor.delete_object("extra")
    out = tmp_path / "edited.weights.h5" if lamina.saving.weights_store.h5py_available() \
        else tmp_path / "edited.weights.npz"
    editor.save(str(out))
    clone = lamina.Sequential([layers.Input((4,)), layers.Dense(3, name="hidden"),
                               layers.Dense(1, name="out")])
    clone.load_weights(str(out))
    np.testing.assert_array_equal(clone.layers[1].bias.numpy(), new_bias)
    np.testing.assert_array_equal(clone.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())
    with pytest.raises(ValueError, match="weights"):
        editor.save(str(tmp_path / "x.keras"))


def test_reads_a_keras_written_file():
    pytest.importorskip("h5py")
    editor = KerasFileEditor(str(FIXTURES / "mlp_sequential.keras"))
    dense = editor.weights_dict["layers"]["dense"]
    assert dense["0"].shape == (13, 8) and dense["1"].shape == (8,)
    assert editor.metadata["keras_version"].startswith("3.")
