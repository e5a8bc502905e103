"""Ctrl-C during `fit`: training stops at the end of the current batch, History keeps the
completed epochs, the model keeps its last weights, `on_train_end` runs (checkpoints stay
valid) and KeyboardInterrupt is re-raised."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import lamina
from lamina import callbacks, layers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt",
                                reason="needs POSIX signals")

_CHILD = textwrap.dedent("""
    import json, signal, sys, time
    import numpy as np
    sys.path.insert(0, {root!r})
    import lamina
    from lamina import callbacks, layers

    path = sys.argv[1]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = lamina.Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(1)])
    model.compile("sgd", "mse")
    ev = {{"epoch_end": [], "batches": 0, "train_end": 0}}

    class Probe(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            ev["batches"] += 1
            ev["last_batch_weights"] = [w.tolist() for w in model.get_weights()]
            time.sleep(0.02)  # 20 batches: about 0.4 s an epoch

        def on_epoch_end(self, epoch, logs=None):
            ev["epoch_end"].append(epoch)
            ev["epoch_weights"] = [w.tolist() for w in model.get_weights()]
            print("EPOCH_END", epoch, flush=True)

        def on_train_end(self, logs=None):
            ev["train_end"] += 1

    try:
        model.fit(x, y, epochs=100, batch_size=4, verbose=0,
                  callbacks=[callbacks.ModelCheckpoint(path), Probe()])
        raised = False
    except KeyboardInterrupt:
        raised = True
    saved = lamina.models.load_model(path)
    print("RESULT", json.dumps({{
        "raised": raised, "events": ev, "history_epochs": model.history.epoch,
        "history_len": len(model.history.history["loss"]),
        "weights": [w.tolist() for w in model.get_weights()],
        "saved": [w.tolist() for w in saved.get_weights()],
        "handler_restored": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
    }}), flush=True)
""")


def test_sigint_to_a_training_child_process(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(_CHILD.format(root=ROOT))
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "ckpt.keras")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.startswith("EPOCH_END 1"):
                proc.send_signal(signal.SIGINT)  # Ctrl-C during the third epoch
                break
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    result = json.loads(next(l for l in out.splitlines() if l.startswith("RESULT"))[7:])
    ev = result["events"]
    completed = ev["epoch_end"]
    assert result["raised"]  # KeyboardInterrupt re-raised after clean-up
    assert len(completed) >= 2 and completed == list(range(len(completed)))
    assert result["history_epochs"] == completed and result["history_len"] == len(completed)
    assert 20 * len(completed) <= ev["batches"] < 20 * (len(completed) + 1)  # stopped mid-epoch
    assert ev["train_end"] == 1
    assert result["weights"] == ev["last_batch_weights"]  # the model keeps its last weights
    assert result["saved"] == ev["epoch_weights"]  # the checkpoint of the last complete epoch
    assert result["handler_restored"]


def _fit_with_sigint_at(batch_to_interrupt, epochs=3):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = lamina.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    seen = {"batches": [], "train_end": 0}

    class Interrupt(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen["batches"].append((self.epoch, batch))
            if (self.epoch, batch) == batch_to_interrupt:
                os.kill(os.getpid(), signal.SIGINT)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_end(self, logs=None):
            seen["train_end"] += 1

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=epochs, batch_size=4, verbose=0, callbacks=[Interrupt()])
    return model, seen


def test_interrupt_mid_epoch_drops_that_epoch():
    model, seen = _fit_with_sigint_at((1, 2))
    assert seen["batches"][-1] == (1, 2)  # stopped right after the batch in progress
    assert model.history.epoch == [0] and len(model.history.history["loss"]) == 1
    assert seen["train_end"] == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_interrupt_during_the_last_batch_keeps_the_finished_epoch():
    model, seen = _fit_with_sigint_at((1, 4))  # 20 samples / 4: batch 4 ends epoch 1
    assert seen["batches"][-1] == (1, 4)
    assert model.history.epoch == [0, 1]
    assert seen["train_end"] == 1
