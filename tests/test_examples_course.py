"""The course workflows in examples/ run and print their final metric (quick settings).

Boston's data ships with lamina, so its example always runs; the others read the real
datasets (LAMINA_DATASETS) and are marked slow.
"""
import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def load(name):
    spec = importlib.util.spec_from_file_location(f"course_example_{name}",
                                                  os.path.join(EXAMPLES, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def printed(out, key):
    """The value of the last `key: value` line printed."""
    values = re.findall(rf"^{key}: ([\d.]+)", out, flags=re.MULTILINE)
    assert values, f"no '{key}:' line in the output:\n{out}"
    return float(values[-1])


def test_boston_kfold(tmp_path, capsys):
    png = tmp_path / "cv.png"
    out = load("boston_kfold").main(["--epochs", "20", "--final-epochs", "20",
                                     "--output", str(png)])
    text = capsys.readouterr().out
    scores = out["cv"].scores["val_mae"]
    assert len(scores) == 4
    assert re.search(r"validation MAE per fold: [\d.]+ [\d.]+ [\d.]+ [\d.]+", text)
    assert printed(text, "test_mae") == pytest.approx(out["test_mae"], abs=0.01)
    assert np.mean(scores) < 5.0 and out["test_mae"] < 5.0  # the mean price is ~22.5
    assert png.stat().st_size > 5000


def test_boston_kfold_script_with_worker_processes(tmp_path):
    """As a script (build_model lives in __main__), folds in 2 processes, same scores."""
    script = os.path.join(EXAMPLES, "boston_kfold.py")
    args = ["--epochs", "3", "--final-epochs", "1", "--output", ""]
    env = dict(os.environ, PYTHONPATH=os.path.dirname(EXAMPLES))
    runs = [subprocess.run([sys.executable, script, *args, *extra], capture_output=True,
                           text=True, timeout=120, cwd=tmp_path, env=env, check=True).stdout
            for extra in ([], ["--workers", "2"])]
    folds = [re.search(r"validation MAE per fold: (.*)", r).group(1) for r in runs]
    assert folds[0] == folds[1]


@pytest.mark.slow
@pytest.mark.data
def test_mnist_mlp(data_dir, capsys):
    load("mnist_mlp").main(["--epochs", "3", "--limit", "6000", "--verbose", "0"])
    assert printed(capsys.readouterr().out, "test_acc") >= 0.88  # full data: see test_textbook


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.parametrize("kind, limit", [("sparse", 10000), ("dense", 4000)])
def test_imdb_binary(data_dir, capsys, kind, limit):
    out = load("imdb_binary").main(["--input", kind, "--limit", str(limit), "--epochs", "8",
                                    "--patience", "2", "--verbose", "0"])
    text = capsys.readouterr().out
    val_loss = out["history"]["val_loss"]
    assert out["best_epoch"] == int(np.argmin(val_loss)) + 1
    assert len(val_loss) <= out["best_epoch"] + 2  # stopped 2 epochs after the best
    assert f"best epoch: {out['best_epoch']}" in text
    assert printed(text, "test_acc") >= (0.85 if limit == 10000 else 0.8)


@pytest.mark.slow
@pytest.mark.data
def test_imdb_regularization(data_dir, tmp_path, capsys):
    png = tmp_path / "reg.png"
    # small batches on 3,000 reviews: overfitting starts within 8 epochs
    out = load("imdb_regularization").main(["--limit", "5000", "--epochs", "8",
                                            "--batch-size", "64", "--output", str(png)])
    text = capsys.readouterr().out
    assert list(out) == ["Original model", "L2-regularized model", "Dropout-regularized model"]
    for name, history in out.items():
        assert len(history["val_loss"]) == 8
        assert f"{name}: final val_loss {history['val_loss'][-1]:.4f}" in text
    # the original overfits: its validation loss climbs back from its lowest point;
    # both regularized models climb less
    rise = {n: h["val_loss"][-1] - min(h["val_loss"]) for n, h in out.items()}
    assert rise["Original model"] > 0.05
    assert rise["L2-regularized model"] < rise["Original model"]
    assert rise["Dropout-regularized model"] < rise["Original model"]
    assert png.stat().st_size > 5000


@pytest.mark.slow
@pytest.mark.data
def test_reuters_multiclass(data_dir, capsys):
    load("reuters_multiclass").main(["--limit", "4000", "--epochs", "10", "--verbose", "0"])
    text = capsys.readouterr().out
    assert "best epoch:" in text
    assert printed(text, "test_acc") >= 0.65


@pytest.mark.slow
@pytest.mark.data
def test_custom_training_loop(data_dir, capsys):
    logs = load("custom_training_loop").main(["--epochs", "1", "--limit", "6000"])
    text = capsys.readouterr().out
    assert "epoch 1: sparse_categorical_accuracy" in text
    assert printed(text, "val_acc") == pytest.approx(logs["val_sparse_categorical_accuracy"],
                                                     abs=1e-4)
    assert logs["val_sparse_categorical_accuracy"] >= 0.88
