"""The vision case studies in examples/ on real MNIST (quick settings), with measured outcomes.

Thresholds were measured over seeds 0-2 (quick runs) and set with a margin:
day/night binary CNN test accuracy 0.963-0.971 (threshold 0.93); autoencoder test MSE
0.022-0.023 against a mean-image MSE of 0.064 (thresholds 0.035 and half the baseline);
style transfer total-loss reduction 6.2x-6.4x (threshold 4x).
"""

import importlib.util
import os

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def load(name):
    spec = importlib.util.spec_from_file_location(
        f"vision_example_{name}", os.path.join(EXAMPLES, name + ".py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_day_night_binary_cnn(data_dir, tmp_path, capsys):
    png = tmp_path / "predictions.png"
    out = load("day_night_cnn").main(["--quick", "--output", str(png)])
    text = capsys.readouterr().out
    assert out["test_accuracy"] > 0.93
    assert f"test_accuracy: {out['test_accuracy']:.4f}" in text
    assert "training images: 2000" in text and "test images: 1991" in text  # the real 4-vs-9 split
    assert png.exists() and str(png) in text
    assert out["history"]["val_accuracy"][-1] > out["history"]["val_accuracy"][0] - 0.02


@pytest.mark.slow
def test_autoencoder_reconstructs_and_maps_codes(data_dir, tmp_path, capsys):
    png = tmp_path / "codes.png"
    out = load("autoencoder").main(["--quick", "--output", str(png)])
    text = capsys.readouterr().out
    assert out["reconstruction_mse"] < 0.035
    assert out["reconstruction_mse"] < 0.5 * out["baseline_mse"]
    assert 0.05 < out["baseline_mse"] < 0.08  # predicting the mean MNIST image
    assert f"reconstruction_mse: {out['reconstruction_mse']:.4f}" in text
    assert out["codes"].shape == (2000, 16) and out["coords"].shape == (2000, 2)
    # the encoder alone separates digits: 1s and 0s lie apart in the 2-D map
    coords, labels = out["coords"], out["labels"]
    gap = np.linalg.norm(coords[labels == 0].mean(0) - coords[labels == 1].mean(0))
    assert gap > coords.std(0).mean()
    assert png.exists() and os.path.exists(out["reconstructions"])


@pytest.mark.slow
def test_style_transfer_optimizes_pixels(data_dir, tmp_path, capsys):
    import matplotlib.image as mpimg

    png = tmp_path / "generated.png"
    out = load("style_transfer").main(["--quick", "--output", str(png)])
    text = capsys.readouterr().out
    history = out["history"]
    assert history[0] / history[-1] > 4
    assert history[-1] <= 1.05 * min(history[-10:])
    assert out["classifier_accuracy"] > 0.6  # the feature extractor learned digits
    generated = out["generated"]
    assert generated.shape == (1, 28, 28, 1) and generated.min() >= 0 and generated.max() <= 1
    img = mpimg.imread(png)
    assert img.shape[:2] == (28, 28)
    assert str(png) in text and os.path.exists(out["panel"])
