"""lamina.plot: figures rendered to PNG files, checked by size and by what the axes hold."""
import os
import subprocess
import sys

import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.plot import plot_comparison, plot_cv_curves, plot_history
from lamina.validation import CrossValidationResult

pytest.importorskip("matplotlib")
import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

HISTORY = {
    "loss": [0.9, 0.6, 0.4, 0.3, 0.25],
    "accuracy": [0.6, 0.75, 0.85, 0.9, 0.92],
    "val_loss": [0.8, 0.65, 0.55, 0.56, 0.6],
    "val_accuracy": [0.65, 0.74, 0.8, 0.81, 0.8],
}


def check_png(path, width, height):
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(path) > 5000  # axes, points and text, not an empty canvas
    image = matplotlib.image.imread(path)
    assert image.shape[:2] == (height, width)


def cv_result(histories):
    outputs = [{"round": 0, "fold": i, "seed": 0, "epochs": len(h["val_mae"]), "seconds": 0.0,
                "scores": {"val_mae": h["val_mae"][-1]}, "history": h}
               for i, h in enumerate(histories)]
    return CrossValidationResult(outputs, k=len(histories), repeats=1, shuffle=True, seed=0,
                                 seconds=0.0)


def test_plot_history_dots_and_lines(tmp_path):
    path = tmp_path / "history.png"
    fig = plot_history(HISTORY, metrics=("loss", "accuracy"), path=path)
    check_png(path, 1000, 400)
    assert len(fig.axes) == 2
    for ax, metric in zip(fig.axes, ("loss", "accuracy")):
        train, val = ax.get_lines()
        assert train.get_marker() == "o" and train.get_linestyle() == "None"
        assert val.get_marker() == "None" and val.get_linestyle() == "-"
        np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4, 5])
        np.testing.assert_array_equal(train.get_ydata(), HISTORY[metric])
        np.testing.assert_array_equal(val.get_ydata(), HISTORY["val_" + metric])
        assert ax.get_xlabel() == "Epochs"
    assert fig.axes[0].get_title() == "Training and validation loss"
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert labels == ["Training accuracy", "Validation accuracy"]


def test_history_plot_shortcut_after_fit(tmp_path):
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    y = x.sum(axis=1)
    model = keras.Sequential([layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=4, validation_split=0.25, verbose=0)
    path = tmp_path / "fit.png"
    fig = history.plot(metrics=("loss", "mae"), path=path)
    check_png(path, 1000, 400)
    assert [len(line.get_xdata()) for ax in fig.axes for line in ax.get_lines()] == [4] * 4
    assert fig.axes[1].get_ylabel() == "MAE"


def test_validation_every_few_epochs_is_placed_at_its_epochs(tmp_path):
    logs = {"loss": [5.0, 4.0, 3.0, 2.0, 1.5, 1.0], "val_loss": [4.5, 2.5, 1.8]}
    fig = plot_history(logs, metrics="loss", path=tmp_path / "freq.png")
    train, val = fig.axes[0].get_lines()
    np.testing.assert_array_equal(val.get_xdata(), [2, 4, 6])
    assert len(train.get_xdata()) == 6


def test_missing_metric_lists_the_keys_present():
    with pytest.raises(ValueError, match="'accuracy' is not in the history") as info:
        plot_history({"loss": [1.0], "mae": [2.0], "val_loss": [1.0], "val_mae": [2.0]})
    assert "loss, mae, val_loss, val_mae" in str(info.value)
    with pytest.raises(ValueError, match="Did you mean 'mae'"):
        plot_history({"loss": [1.0], "mae": [2.0]}, metrics=("loss", "mea"))
    with pytest.raises(TypeError, match="History"):
        plot_history([1.0, 2.0])


def test_validation_only_metric(tmp_path):
    fig = plot_history(HISTORY, metrics=("val_loss",), path=tmp_path / "v.png")
    (line,) = fig.axes[0].get_lines()
    np.testing.assert_array_equal(line.get_ydata(), HISTORY["val_loss"])


def test_cv_curves_mean_and_band(tmp_path):
    histories = [{"val_mae": list(np.linspace(5, 2, 30) + d), "loss": list(np.ones(30))}
                 for d in (-0.3, 0.0, 0.6)]
    result = cv_result(histories)
    path = tmp_path / "cv.png"
    fig = plot_cv_curves(result, path=path, skip_first=10, show_folds=True)
    check_png(path, 500, 400)
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 4  # 3 folds + the mean
    mean_line = lines[-1]
    stacked = np.array([h["val_mae"] for h in histories])
    np.testing.assert_allclose(mean_line.get_ydata(), stacked.mean(axis=0)[10:])
    np.testing.assert_array_equal(mean_line.get_xdata(), np.arange(11, 31))
    (band,) = ax.collections
    top = band.get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx((stacked.mean(axis=0) + stacked.std(axis=0))[10:].max())
    assert ax.get_ylabel() == "Validation MAE"
    assert ax.get_title() == "Validation MAE by epoch (3-fold cross-validation)"


def test_cv_curves_smoothing_and_errors(tmp_path):
    result = cv_result([{"val_mae": [4.0, 2.0, 2.0]}, {"val_mae": [2.0, 2.0, 2.0]}])
    fig = result.plot(path=tmp_path / "s.png", smoothing=0.5)  # metric chosen: val_mae
    np.testing.assert_allclose(fig.axes[0].get_lines()[-1].get_ydata(), [3.0, 2.5, 2.25])
    with pytest.raises(ValueError, match="'val_loss' is not in the history"):
        plot_cv_curves(result, "val_loss")
    with pytest.raises(ValueError, match="skip_first=3"):
        plot_cv_curves(result, skip_first=3)


def test_comparison_of_runs(tmp_path):
    runs = {"Original model": {"val_loss": [0.5, 0.4, 0.45, 0.6]},
            "L2-regularized model": {"val_loss": [0.55, 0.45, 0.42, 0.43]},
            "Dropout-regularized model": {"val_loss": [0.6, 0.5, 0.45, 0.41]}}
    path = tmp_path / "compare.png"
    fig = plot_comparison(runs, metric="val_loss", path=path)
    check_png(path, 500, 400)
    lines = fig.axes[0].get_lines()
    assert [len(line.get_xdata()) for line in lines] == [4, 4, 4]
    assert len({line.get_marker() for line in lines}) == 3
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == list(runs)
    with pytest.raises(ValueError, match="run 'Original model': 'val_mae' is not in the history"):
        plot_comparison(runs, metric="val_mae")


def test_saving_does_not_touch_pyplot_and_showing_does(tmp_path):
    before = plt.get_fignums()
    plot_history(HISTORY, metrics="loss", path=tmp_path / "a.png")
    assert plt.get_fignums() == before
    fig = plot_history(HISTORY, metrics="loss")
    try:
        assert plt.fignum_exists(fig.number)
    finally:
        plt.close(fig)


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)
    from lamina.plot import have_matplotlib

    assert not have_matplotlib()
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_history(HISTORY, path="never.png")


def test_headless_without_a_display(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND",
                                                            "WAYLAND_DISPLAY")}
    code = ("import lamina.plot as p, matplotlib.pyplot as plt; "
            "f = p.plot_history({'loss': [1, 2]}, metrics='loss'); "
            f"f.savefig({str(tmp_path / 'h.png')!r}); print(plt.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip().lower() == "agg"
    assert os.path.getsize(tmp_path / "h.png") > 1000
