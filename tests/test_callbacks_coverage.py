"""SwapEMAWeights: evaluation sees the optimizer's moving averages, training the raw weights."""

import numpy as np
import pytest

import lamina
from lamina import callbacks, layers


def _model(use_ema=True):
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(1)])
    model.compile(lamina.optimizers.SGD(0.05, use_ema=use_ema, ema_momentum=0.9), "mse")
    return model


def test_swap_ema_weights_evaluates_with_the_averages():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    model = _model()
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    raw = [w.copy() for w in model.get_weights()]
    averages = [a.numpy().copy() for a in model.optimizer._model_variables_moving_average]
    assert not np.allclose(raw[0], averages[0])
    swapped = model.evaluate(x, y, verbose=0, callbacks=[callbacks.SwapEMAWeights()])
    plain = model.evaluate(x, y, verbose=0)
    probe = _model()
    probe.set_weights(averages)
    assert np.isclose(swapped, probe.evaluate(x, y, verbose=0), rtol=1e-6)
    assert not np.isclose(swapped, plain)
    for w, r in zip(model.get_weights(), raw):  # swapped back after evaluation
        np.testing.assert_array_equal(w, r)


def test_swap_on_epoch_leaves_raw_weights_for_training_and_needs_ema():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 3)).astype("float32")
    y = x.sum(1, keepdims=True)
    seen = []
    spy = callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: seen.append(model.get_weights()[0].copy())
    )
    model = _model()
    model.fit(
        x,
        y,
        epochs=2,
        batch_size=8,
        verbose=0,
        callbacks=[callbacks.SwapEMAWeights(swap_on_epoch=True), spy],
    )
    averages = model.optimizer._model_variables_moving_average[0].numpy()
    # at the last epoch's end the callback after it saw the averages; after training, the raw weights are back
    reference = _model()
    reference.fit(x, y, epochs=2, batch_size=8, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], reference.get_weights()[0], rtol=1e-6)
    np.testing.assert_allclose(
        seen[-1], reference.optimizer._model_variables_moving_average[0].numpy(), rtol=1e-6
    )
    assert not np.allclose(averages, model.get_weights()[0])
    with pytest.raises(ValueError, match="use_ema"):
        _model(use_ema=False).fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.SwapEMAWeights()])


def test_remote_monitor_posts_each_epoch_to_a_local_server():
    import json
    import threading
    import urllib.parse
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], body.decode()))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        root = f"http://127.0.0.1:{server.server_address[1]}"
        x = np.ones((8, 3), "float32")
        model = _model(use_ema=False)
        model.fit(x, x[:, :1], epochs=2, verbose=0, callbacks=[callbacks.RemoteMonitor(root=root)])
        model.fit(
            x,
            x[:, :1],
            epochs=1,
            verbose=0,
            callbacks=[callbacks.RemoteMonitor(root=root, path="/j", send_as_json=True)],
        )
    finally:
        server.shutdown()
        server.server_close()
    assert len(received) == 3
    path, kind, body = received[1]
    assert path == "/publish/epoch/end/" and kind == "application/x-www-form-urlencoded"
    data = json.loads(urllib.parse.parse_qs(body)["data"][0])
    assert data["epoch"] == 1 and isinstance(data["loss"], float)
    assert received[2][0] == "/j" and json.loads(received[2][2])["epoch"] == 0
    with pytest.warns(UserWarning, match="Could not reach"):
        callbacks.RemoteMonitor(root="http://127.0.0.1:9", timeout=2).on_epoch_end(0, {"loss": 1.0})
