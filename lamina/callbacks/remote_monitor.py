"""`RemoteMonitor`: POST each epoch's logs to an HTTP server (standard library only)."""

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from lamina.callbacks.callback import Callback


class RemoteMonitor(Callback):
    """At each epoch end, sends {"epoch": i, **logs} to root + path: as a form field `field`
    holding the JSON (default), or as a JSON body with send_as_json=True. An unreachable
    server gives a warning, not an error (as Keras)."""

    def __init__(
        self,
        root="http://localhost:9000",
        path="/publish/epoch/end/",
        field="data",
        headers=None,
        send_as_json=False,
        timeout=10.0,
    ):
        super().__init__()
        if not str(root).startswith(("http://", "https://")):
            raise ValueError(f"RemoteMonitor: root must be an http(s) URL, got {root!r}")
        self.root, self.path, self.field = root, path, field
        self.headers = dict(headers or {})
        self.send_as_json = send_as_json
        self.timeout = timeout

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        if self.send_as_json:
            body = json.dumps(send).encode()
            headers = {"Content-Type": "application/json", **self.headers}
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded", **self.headers}
        request = urllib.request.Request(
            self.root + self.path, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  (the user's URL)
                response.read()
        except (urllib.error.URLError, OSError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
