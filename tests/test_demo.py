"""`python -m lamina demo`: the command line, a quick Boston run, and the default run."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from lamina.__main__ import main

QUICK = ["demo", "--epochs", "3", "--final-epochs", "2", "--folds", "2"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_module(*args, cwd=None, timeout=120):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "lamina", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout, check=False)


def fold_scores(out):
    return [float(v) for v in re.findall(r"fold \d+: validation MAE ([\d.]+)", out)]


def test_help_lists_the_demos():
    out = run_module("demo", "--help")
    assert out.returncode == 0
    for word in ("boston", "mnist", "imdb", "--epochs", "--output", "--workers"):
        assert word in out.stdout
    top = run_module("--help")
    assert top.returncode == 0 and "demo" in top.stdout


def test_bad_arguments_exit_with_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["demo", "bostn"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown dataset 'bostn'; did you mean 'boston'?" in err
    assert "boston, mnist, imdb" in err
    with pytest.raises(SystemExit):
        main(["demo", "mnist", "--folds", "3"])
    assert "--folds: only for the boston demo" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["demo", "--epochs", "0"])
    assert "positive integer" in capsys.readouterr().err
    assert main([]) == 2  # no command: help, usage error


def test_quick_boston_demo(tmp_path, capsys):
    png = tmp_path / "curve.png"
    assert main([*QUICK, "--output", str(png)]) == 0
    out = capsys.readouterr().out
    assert "Total params: 5,121" in out  # the 13-64-64-1 model's summary
    assert len(fold_scores(out)) == 2
    assert re.search(r"Validation MAE: [\d.]+ ± [\d.]+ \(mean ± std over 2 folds", out)
    assert "Epoch 2/2" in out and "━" in out  # the progress bar of the final model
    assert re.search(r"Test MAE: [\d.]+", out)
    assert f"Saved the figure to {png}" in out
    assert png.stat().st_size > 5000


def test_demo_without_matplotlib_skips_the_figure(tmp_path, capsys, monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)
    png = tmp_path / "curve.png"
    assert main([*QUICK, "--output", str(png)]) == 0
    out = capsys.readouterr().out
    assert "matplotlib is not installed: skipping the figure" in out
    assert "Test MAE" in out and not png.exists()


def test_workers_give_the_serial_fold_scores(tmp_path, capsys):
    main([*QUICK, "--output", str(tmp_path / "a.png")])
    serial = fold_scores(capsys.readouterr().out)
    main([*QUICK, "--workers", "2", "--output", str(tmp_path / "b.png")])
    out = capsys.readouterr().out
    assert "2 worker processes" in out
    assert fold_scores(out) == serial


def test_default_figure_path_is_the_working_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    main(QUICK)
    assert f"Saved the figure to {tmp_path / 'lamina_demo_boston.png'}" in capsys.readouterr().out
    assert (tmp_path / "lamina_demo_boston.png").exists()


@pytest.mark.slow
def test_default_demo_reaches_the_course_mae(tmp_path):
    """README's first command, as a user runs it (embedded data: works offline)."""
    out = run_module("demo", cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    scores = fold_scores(text)
    assert len(scores) == 4
    mean, std = map(float, re.search(r"Validation MAE: ([\d.]+) ± ([\d.]+)", text).groups())
    assert mean == pytest.approx(np.mean(scores), abs=0.01)
    assert mean <= 2.7 and std < 1.0
    test_mae = float(re.search(r"Test MAE: ([\d.]+)", text).group(1))
    assert test_mae <= 3.0
    assert "Epoch 130/130" in text
    assert (tmp_path / "lamina_demo_boston.png").stat().st_size > 5000
