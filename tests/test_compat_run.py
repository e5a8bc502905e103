"""`lamina run` and the keras/tensorflow aliases (lamina.compat)."""
import json
import os
import subprocess
import sys
import types

import pytest

import lamina
from lamina import compat


def lamina_run(*args, cwd=None, timeout=300):
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(lamina.__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "lamina", "run", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def aliases():
    lamina.use_as_keras()
    yield
    lamina.use_as_keras(False)


def test_aliases_are_lamina_modules(aliases):
    import keras
    import tensorflow as tf
    import tf_keras
    from keras.layers import Dense
    from tensorflow import keras as tf_keras_attr
    from tensorflow.keras import layers, optimizers
    from tensorflow.keras.datasets import mnist

    assert keras is lamina and tf_keras is lamina and tf_keras_attr is lamina and tf.keras is lamina
    assert Dense is lamina.layers.Dense and layers is lamina.layers
    assert optimizers.SGD is lamina.optimizers.SGD
    assert mnist is lamina.datasets.mnist
    assert tf.__name__ == "lamina.compat.tensorflow"
    import tensorflow.nn

    assert tensorflow.nn is tf.nn
    assert lamina.__spec__.name == "lamina"  # the alias did not re-stamp lamina's own spec


def test_uninstall_removes_aliases():
    lamina.use_as_keras()
    assert compat.is_active()
    lamina.use_as_keras(False)
    assert not compat.is_active() and "keras" not in sys.modules and "tensorflow" not in sys.modules
    with pytest.raises(ModuleNotFoundError):
        import keras  # noqa: F401


def test_unknown_tensorflow_module_names_the_subset(aliases):
    with pytest.raises(ModuleNotFoundError, match="tensorflow.python.*docs/compat.md"):
        import tensorflow.python.framework  # noqa: F401
    with pytest.raises(ModuleNotFoundError, match="keras.src"):
        import keras.src  # noqa: F401


def test_real_keras_already_imported_refuses(monkeypatch):
    fake = types.ModuleType("keras")
    fake.__file__ = "/site-packages/keras/__init__.py"
    monkeypatch.setitem(sys.modules, "keras", fake)
    with pytest.raises(RuntimeError, match="real 'keras'.*fresh interpreter"):
        lamina.use_as_keras()
    assert not compat.is_active()


def test_ipython_extension_hooks():
    lamina.load_ipython_extension(None)
    try:
        import keras

        assert keras is lamina
    finally:
        lamina.unload_ipython_extension(None)
    assert not compat.is_active()


def test_console_script_declared():
    root = os.path.dirname(os.path.dirname(os.path.abspath(lamina.__file__)))
    with open(os.path.join(root, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    assert 'lamina = "lamina.__main__:main"' in text


def test_run_script_as_main_with_arguments(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        "import sys\nfrom tensorflow import keras\nimport keras as k\nimport tensorflow as tf\n"
        "import helper\n"
        "print(__name__, sys.argv[1:], keras is k, k.layers.Dense.__module__, tf.reduce_sum([1, 2]), "
        "helper.VALUE)\n"
    )
    (tmp_path / "helper.py").write_text("VALUE = 42\n")
    out = lamina_run(script, "--epochs", "3", "x", cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["__main__", "['--epochs',", "'3',", "'x']", "True",
                                  "lamina.layers.core.dense", "3", "42"]


def test_run_script_error_exits_nonzero(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text("import tensorflow as tf\ntf.not_a_function(1)\n")
    out = lamina_run(script)
    assert out.returncode == 1
    assert "tensorflow.not_a_function is not implemented" in out.stderr


def test_no_alias_flag(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("import keras\n")
    out = lamina_run("--no-alias", script)
    assert out.returncode == 1 and "No module named 'keras'" in out.stderr


def test_without_run_nothing_is_aliased():
    out = subprocess.run([sys.executable, "-c", "import lamina, keras"], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(lamina.__file__))})
    assert out.returncode == 1 and "No module named 'keras'" in out.stderr


def _notebook(path, cells):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": kind, "metadata": {}, "source": src,
                     **({"outputs": [], "execution_count": None} if kind == "code" else {})}
                    for kind, src in cells]}
    path.write_text(json.dumps(nb))
    return path


def test_run_notebook_cells_in_order_stops_at_failure(tmp_path):
    nb = _notebook(tmp_path / "n.ipynb", [
        ("markdown", "# title"),
        ("code", ["%matplotlib inline\n", "import tensorflow as tf\n", "x = tf.constant(2.0)\n", "!ls\n"]),
        ("code", "print('square', float(tf.square(x)))"),
        ("code", "raise ValueError('boom')"),
        ("code", "print('after')"),
    ])
    out = lamina_run(nb)
    assert out.returncode == 1
    assert "square 4.0" in out.stdout and "after" not in out.stdout
    assert "code cell 3 failed" in out.stderr and "ValueError: boom" in out.stderr
    assert "skipped IPython line '%matplotlib inline'" in out.stderr
    assert "runner.py" not in out.stderr  # the traceback shows the cell, not lamina's runner

    out = lamina_run("--keep-going", nb)
    assert out.returncode == 1 and "after" in out.stdout and "failed code cells: 3" in out.stderr


def test_run_notebook_cell_magic_skipped(tmp_path):
    nb = _notebook(tmp_path / "m.ipynb", [("code", "%%timeit\nx = 1"), ("code", "print('ok')")])
    out = lamina_run(nb)
    assert out.returncode == 0 and "ok" in out.stdout and "cell magic %%timeit" in out.stderr


def test_run_missing_file():
    out = lamina_run("/nonexistent/script.py")
    assert out.returncode == 2 and "no such file" in out.stderr


def test_load_ext_in_ipython():
    interactive = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactive.InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "lamina")
        result = shell.run_cell("import tensorflow as tf\nfrom tensorflow import keras\n"
                                "value = float(tf.reduce_sum(tf.ones((2, 3))))")
        assert result.success and shell.user_ns["keras"] is lamina and shell.user_ns["value"] == 6.0
        shell.run_line_magic("unload_ext", "lamina")
        assert not compat.is_active()
    finally:
        lamina.use_as_keras(False)
        interactive.InteractiveShell.clear_instance()


def test_seed_option_makes_an_unseeded_script_repeat(tmp_path):
    script = tmp_path / "unseeded.py"
    script.write_text("import random\nimport numpy as np\nimport keras\n"
                      "w = keras.layers.Dense(3)\nw.build((None, 2))\n"
                      "print(random.random(), np.random.rand(), float(w.kernel.numpy()[0, 0]))\n")
    runs = [lamina_run("--seed", seed, script) for seed in (7, 7, 8)]
    assert all(r.returncode == 0 for r in runs), [r.stderr[-500:] for r in runs]
    outs = [r.stdout.strip() for r in runs]
    assert outs[0] == outs[1] != outs[2]
