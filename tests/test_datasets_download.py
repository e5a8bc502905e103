"""Downloads against a real HTTP server on 127.0.0.1 (http.server in a thread).

The loaders fetch `$LAMINA_DATASETS_ORIGIN/<file name>` when the variable is set; the
tests point it at the local server and `LAMINA_HOME` at a temporary cache.
"""

import hashlib
import http.server
import io
import json
import os
import socket
import tarfile
import threading

import pytest

from lamina.datasets import reuters
from lamina.datasets._files import cache_dir
from lamina.utils import data_utils, get_file


class _Server:
    """Serves `files[name] = (bytes, mode)`; mode "cut" stops halfway, keeping the full length."""

    def __init__(self):
        self.files, self.requests = {}, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # http.server's method name
                name = self.path.lstrip("/")
                server.requests.append(name)
                if name not in server.files:
                    self.send_error(404)
                    return
                body, mode = server.files[name]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if mode == "cut" else body)
                self.wfile.flush()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


@pytest.fixture
def env(tmp_path, monkeypatch, server):
    """Empty LAMINA_DATASETS folder, a fresh cache, downloads from the local server."""
    (tmp_path / "shared").mkdir()
    monkeypatch.setenv("LAMINA_DATASETS", str(tmp_path / "shared"))
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAMINA_DATASETS_ORIGIN", server.url)
    return tmp_path


def _files_under(folder):
    return sorted(
        os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs
    )


@pytest.mark.data
def test_download_success_is_cached_and_hash_checked(data_dir, env, server, capsys):
    body = (data_dir / "reuters_word_index.json").read_bytes()
    server.files["reuters_word_index.json"] = (body, "ok")
    word_index = reuters.get_word_index()
    assert len(word_index) == 30979 and word_index["the"] == 1
    cached = os.path.join(cache_dir(), "reuters_word_index.json")
    assert _files_under(env / "home") == ["datasets/reuters_word_index.json"]
    assert data_utils.hash_file(cached) == reuters.WORD_INDEX_HASH
    assert "Downloading reuters_word_index.json" in capsys.readouterr().err  # progress bar
    assert reuters.get_word_index() == word_index
    assert server.requests == ["reuters_word_index.json"]  # the second call used the cache
    # a corrupted cached copy is detected by its hash and downloaded again
    with open(cached, "r+b") as f:
        f.write(b"{}")
    assert len(reuters.get_word_index()) == 30979
    assert len(server.requests) == 2


def test_hash_mismatch_raises_and_caches_nothing(env, server):
    server.files["reuters_word_index.json"] = (json.dumps({"tampered": 1}).encode(), "ok")
    with pytest.raises(ValueError, match="expected 9b56000e.*nothing was saved"):
        reuters.get_word_index()
    assert _files_under(env / "home") == []  # no cached file, no temporary file


def test_connection_cut_mid_transfer_raises_and_caches_nothing(env, server):
    server.files["reuters.npz"] = (os.urandom(300_000), "cut")
    with pytest.raises(OSError, match="got 150000 of 300000 bytes"):
        reuters.load_data()
    assert _files_under(env / "home") == []


def test_keyboard_interrupt_leaves_no_partial_file(env, server, monkeypatch):
    server.files["reuters.npz"] = (os.urandom(3_000_000), "ok")

    def interrupt(self, nbytes):
        raise KeyboardInterrupt

    monkeypatch.setattr(data_utils.Progress, "update", interrupt)
    with pytest.raises(KeyboardInterrupt):
        reuters.load_data()
    assert _files_under(env / "home") == []


def test_offline_error_says_which_file_to_put_where(env, monkeypatch):
    with socket.socket() as sock:  # a port on which nothing listens
        sock.bind(("127.0.0.1", 0))
        origin = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    monkeypatch.setenv("LAMINA_DATASETS_ORIGIN", origin)
    with pytest.raises(OSError) as info:
        reuters.load_data()
    message = str(info.value)
    assert origin + "reuters.npz" in message
    assert os.path.join(str(env / "shared"), "reuters.npz") in message
    assert os.path.join(cache_dir(), "reuters.npz") in message
    assert _files_under(env / "home") == []


def test_get_file_keras_api(tmp_path, server):
    body = b"lamina" * 1000
    sha = hashlib.sha256(body).hexdigest()
    md5 = hashlib.md5(body).hexdigest()
    server.files["blob.bin"] = (body, "ok")
    path = get_file(origin=server.url + "blob.bin", file_hash=sha, cache_dir=str(tmp_path))
    assert path == os.path.join(str(tmp_path), "datasets", "blob.bin")
    with open(path, "rb") as f:
        assert f.read() == body
    again = get_file("blob.bin", server.url + "blob.bin", md5_hash=md5, cache_dir=str(tmp_path))
    assert again == path and server.requests == ["blob.bin"]
    with pytest.raises(ValueError, match="expected"):
        get_file("other.bin", server.url + "blob.bin", file_hash="0" * 64, cache_dir=str(tmp_path))
    with pytest.raises(OSError, match="404"):
        get_file("missing.bin", server.url + "missing.bin", cache_dir=str(tmp_path))
    assert sorted(os.listdir(tmp_path / "datasets")) == ["blob.bin"]
    # extraction over HTTP (layout and safety: tests/test_get_file_extract.py)
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w:gz") as tar:
        info = tarfile.TarInfo("pkg/readme.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    server.files["a.tar.gz"] = (tar_bytes.getvalue(), "ok")
    folder = get_file("a.tar.gz", server.url + "a.tar.gz", extract=True, cache_dir=str(tmp_path))
    assert folder == os.path.join(str(tmp_path), "datasets", "a_extracted")
    with open(os.path.join(folder, "pkg", "readme.txt"), "rb") as f:
        assert f.read() == b"hi"


def test_progress_bar_redraws_at_most_ten_times_a_second(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(data_utils.time, "monotonic", lambda: clock[0])
    stream = io.StringIO()
    bar = data_utils.Progress(10_000_000, "Downloading x", stream=stream)
    for _ in range(10_000):  # 10,000 blocks over 10 simulated seconds
        clock[0] += 0.001
        bar.update(1000)
    bar.close()
    assert 95 <= bar.draws <= 101
    last = stream.getvalue().split("\r")[-1]
    assert last.startswith("Downloading x [" + "=" * 30 + "] 10.0/10.0 MB") and last.endswith("\n")
