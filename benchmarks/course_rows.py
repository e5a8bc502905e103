"""Issue 15 section 2 rows of `run.py`: recurrent, attention, batch-normalized and
timeseries models, timed on lamina and, side by side, on the peers when available.

The peers (Keras 3 with JAX, PyTorch) live in a throw-away environment: set
`LAMINA_PEERS_PYTHON` to its interpreter (default ../peers-venv/bin/python, a venv beside the
checkout, when that exists). They run as subprocesses of `course_peers.py` on the very same arrays (written to a
temporary .npz); lamina never imports them.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import course_models  # noqa: E402

PEERS = ("keras-jax", "torch")


def peers_python():
    beside = pathlib.Path(__file__).resolve().parents[2] / "peers-venv" / "bin" / "python"
    path = os.environ.get("LAMINA_PEERS_PYTHON") or str(beside)
    return path if Path(path).exists() else None


def row_data(keras, name):
    """(x, y) of row `name`: real IMDB / MNIST from LAMINA_DATASETS, a synthetic series."""
    if name in ("imdb_lstm", "imdb_bigru", "text_transformer"):
        (x, y), _ = keras.datasets.imdb.load_data(num_words=course_models.VOCAB)
        x = keras.utils.pad_sequences(x[:5000], maxlen=course_models.MAXLEN).astype(np.int32)
        return x, y[:5000].astype(np.float32)
    if name == "mnist_bn_convnet":
        (x, y), _ = keras.datasets.mnist.load_data()
        return (x[:10000].reshape(-1, 28, 28, 1) / np.float32(255)).astype(np.float32), y[:10000]
    return course_models.jena_like()


def run_peer(python, peer, name, data_file):
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": ""}
    proc = subprocess.run([python, str(HERE / "course_peers.py"), peer, name, data_file],
                          capture_output=True, text=True, env=env, timeout=1800)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return None, (proc.stderr.strip().splitlines() or ["failed"])[-1][:50]
    out = json.loads(lines[-1])
    return out["seconds"], out["metric"]


def bench_rows(keras, names, with_peers=True):
    """One row per name: (label, lamina seconds, metric text, target, peers text)."""
    targets = {"imdb_lstm": "≤ 0.9 s", "imdb_bigru": "≤ 3.0 s", "text_transformer": "≤ 4.0 s",
               "mnist_bn_convnet": "≤ 6.0 s", "timeseries_gru": "≤ 1.4 s",
               "timeseries_gru_rdrop": "fastest"}
    python = peers_python() if with_peers else None
    rows = []
    for name in names:
        x, y = row_data(keras, name)
        seconds, value = course_models.train_timed(keras, name, x, y)
        metric = course_models.ROWS[name][3]
        peers = []
        if python:
            with tempfile.TemporaryDirectory() as tmp:
                data_file = os.path.join(tmp, "data.npz")
                np.savez(data_file, x=x, y=y)
                for peer in PEERS:
                    if name == "timeseries_gru_rdrop" and peer == "torch":
                        peers.append("torch: no recurrent_dropout in nn.GRU")
                        continue
                    t, m = run_peer(python, peer, name, data_file)
                    peers.append(f"{peer} {t:.2f} s ({m:.3f}), x{seconds / t:.2f}" if t else
                                 f"{peer}: {m}")
        rows.append((course_models.ROWS[name][0], seconds, f"train {metric} {value:.3f}",
                     targets[name], "; ".join(peers)))
    return rows
