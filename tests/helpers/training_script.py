"""Training scripts run in a fresh Python process (resume tests): the same data and the same
model with Dropout and GaussianNoise in every run, then a JSON report of the run."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_PREAMBLE = textwrap.dedent("""
    import json, os, signal, sys
    import numpy as np
    sys.path.insert(0, ROOT)
    import lamina
    from lamina import callbacks, layers
    mode, target = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6)).astype("float32")
    y = np.tanh(x @ rng.normal(size=(6, 1))).astype("float32")

    def build(seed):
        lamina.utils.set_random_seed(seed)
        model = lamina.Sequential([layers.Input((6,)), layers.Dense(8, activation="relu"),
                                   layers.Dropout(0.3), layers.GaussianNoise(0.1), layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        return model

    def report(history, model):
        print(json.dumps({"epoch": history.epoch, "history": history.history,
                          "weights": [w.tolist() for w in model.get_weights()]}))
""").replace("ROOT", repr(ROOT), 1)


def run(tmp_path, body, mode, target):
    """Run the preamble + `body` as `python train.py mode target`; the CompletedProcess."""
    script = tmp_path / "train.py"
    script.write_text(_PREAMBLE + textwrap.dedent(body))
    return subprocess.run([sys.executable, str(script), mode, str(target)], capture_output=True,
                          text=True, timeout=120, check=False)


def report(process):
    """The JSON report printed by a script that finished."""
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])


def assert_same_run(straight, resumed, first=None):
    """`resumed` (epochs k..n-1) continues `straight` bit for bit: history and weights; with
    `first` (epochs 0..k-1), the two histories together are exactly `straight`'s."""
    start = resumed["epoch"][0]
    for key, values in straight["history"].items():
        assert resumed["history"][key] == values[start:], key
        if first is not None:
            assert first["history"][key] + resumed["history"][key] == values, key
    for a, b in zip(straight["weights"], resumed["weights"], strict=True):
        np.testing.assert_array_equal(np.array(a), np.array(b))
