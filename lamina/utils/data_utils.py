"""Downloading files into lamina's cache: `get_file` (Keras's name), hashing, progress bar.

Files are cached under `$LAMINA_HOME` (default `~/.lamina`), in `datasets/` unless told
otherwise. A download streams into a temporary file in the destination folder while its
hash is computed, is checked against the expected SHA-256 (or md5) and only then renamed
into place with `os.replace`, so an interrupted or corrupted transfer never leaves a
partial file behind (not even on Ctrl-C).
"""

import hashlib
import os
import sys
import tempfile
import time
import warnings

CHUNK = 1 << 20


def lamina_home():
    """lamina's cache root: `$LAMINA_HOME`, else `~/.lamina`."""
    return os.path.expanduser(os.environ.get("LAMINA_HOME") or os.path.join("~", ".lamina"))


def _hasher(algorithm="auto", file_hash=None):
    if algorithm == "auto":
        algorithm = "sha256" if file_hash is None or len(file_hash) == 64 else "md5"
    if algorithm not in ("sha256", "md5"):
        raise ValueError(f"hash_algorithm must be 'auto', 'sha256' or 'md5', got {algorithm!r}")
    return hashlib.new(algorithm)


def hash_file(fpath, algorithm="sha256", chunk_size=CHUNK):
    """The hex digest ("sha256" or "md5") of the file at `fpath`."""
    h = _hasher(algorithm)
    with open(fpath, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            h.update(block)
    return h.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=CHUNK):
    """Whether the file's digest equals `file_hash` ("auto": 64 hex digits means SHA-256)."""
    if algorithm == "auto":
        algorithm = "sha256" if len(file_hash) == 64 else "md5"
    return hash_file(fpath, algorithm, chunk_size) == file_hash.lower()


class Progress:
    """A one-line download progress bar on stderr, redrawn at most every `interval` seconds."""

    def __init__(self, total, label, stream=None, interval=0.1, width=30):
        self.total, self.label, self.width = total, label, width
        self.stream = sys.stderr if stream is None else stream
        self.interval = interval
        self.done = 0
        self.start = self.last = time.monotonic()
        self.draws = 0

    def update(self, nbytes):
        self.done += nbytes
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self._draw(now, end="")

    def close(self):
        self._draw(time.monotonic(), end="\n")

    def _draw(self, now, end):
        unit, scale = ("MB", 1e6) if max(self.total or 0, self.done) >= 1e6 else ("KB", 1e3)
        rate = self.done / 1e6 / max(now - self.start, 1e-9)
        if self.total:
            filled = int(min(self.done / self.total, 1.0) * self.width)
            bar = ("=" * filled + ">" + " " * self.width)[: self.width]
            text = f"[{bar}] {self.done / scale:.1f}/{self.total / scale:.1f} {unit}"
        else:
            text = f"{self.done / scale:.1f} {unit}"
        self.draws += 1
        self.stream.write(f"\r{self.label} {text} {rate:.1f} MB/s{end}")
        self.stream.flush()


def download(url, fpath, file_hash=None, hash_algorithm="auto", progress=True, timeout=30):
    """Download `url` to `fpath` atomically; verify `file_hash` (sha256 or md5) when given.

    Raises OSError when the transfer fails (HTTP error, no network, connection cut before
    Content-Length bytes arrived) and ValueError when the hash does not match. In every
    failure, including KeyboardInterrupt, nothing is left at `fpath` or in its folder.
    """
    import http.client  # lazy: keeps `import lamina` fast
    import urllib.error
    import urllib.request

    folder = os.path.dirname(os.path.abspath(fpath))
    os.makedirs(folder, exist_ok=True)
    hasher = _hasher(hash_algorithm, file_hash)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(fpath)}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    length = response.headers.get("Content-Length")
                    total = int(length) if length and length.isdigit() else None
                    bar = (
                        Progress(total, f"Downloading {os.path.basename(fpath)}")
                        if progress
                        else None
                    )
                    received = 0
                    for block in iter(lambda: response.read(CHUNK), b""):
                        out.write(block)
                        hasher.update(block)
                        received += len(block)
                        if bar is not None:
                            bar.update(len(block))
                    if bar is not None:
                        bar.close()
            except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
                if isinstance(e, urllib.error.HTTPError):
                    reason = f"HTTP {e.code} {e.reason}"
                else:
                    reason = f"{type(e).__name__}: {getattr(e, 'reason', None) or e}"
                raise OSError(f"download of {url} failed: {reason}") from e
            if total is not None and received != total:
                raise OSError(f"download of {url} failed: got {received} of {total} bytes")
        if file_hash is not None and hasher.hexdigest() != file_hash.lower():
            raise ValueError(
                f"the file downloaded from {url} has {hasher.name} {hasher.hexdigest()}, "
                f"expected {file_hash}: it is corrupted or was changed; nothing was saved"
            )
        os.replace(tmp, fpath)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return fpath


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Path of `fname` in the cache (`cache_dir/cache_subdir`), downloading it from `origin`.

    As Keras: an absolute `fname` or `cache_subdir` is used as is; a cached file whose hash
    does not match `file_hash` is downloaded again. `cache_dir` defaults to `lamina_home()`.

    `extract=True` (or the older `untar=True`, tar only) unpacks a .tar/.tar.gz/.zip archive
    next to it and returns the folder, with Keras 3's names: `fname="x.tar.gz"` keeps the
    archive as `x.tar.gz` and extracts into `x_extracted/`; `fname="x"` (no dot) or no fname
    (the URL's file name, e.g. "x.tgz") keeps the archive as `<name>_archive` and extracts
    into `<name>/`. Unsafe archives are refused whole (see `lamina.utils.archive`). Unlike
    Keras, a folder already extracted is reused unless the archive was downloaded again.
    """
    if origin is None:
        raise ValueError("get_file needs `origin`, the URL of the file to download")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    provided_fname = bool(fname)
    if not fname:
        from urllib.parse import urlsplit

        fname = os.path.basename(urlsplit(origin).path)
        if not fname:
            raise ValueError(f"cannot take a file name from origin {origin!r}; pass `fname`")
    base = os.path.expanduser(cache_dir) if cache_dir is not None else lamina_home()
    fpath = os.path.join(base, cache_subdir, os.fspath(fname))
    if not (extract or untar):
        return _cached_or_download(origin, fpath, file_hash, hash_algorithm, force_download)[0]
    archive, folder = extraction_paths(fpath, provided_name=provided_fname)
    fetched = _cached_or_download(origin, archive, file_hash, hash_algorithm, force_download)[1]
    if fetched or not os.path.isdir(folder):
        from lamina.utils.archive import extract_archive  # noqa: PLC0415  (lazy: tarfile/zipfile, only for downloads)

        formats = "tar" if untar else archive_format
        if not extract_archive(archive, folder, formats):
            warnings.warn(
                f"get_file: could not extract {archive}: it is not an archive of the formats "
                f"{formats!r} (tar, tar.gz, zip)",
                stacklevel=2,
            )
    return folder


def extraction_paths(fpath, provided_name=True):
    """(archive path, extraction folder) for `get_file(..., extract=True)`, Keras 3's layout."""
    folder, name = os.path.split(fpath)
    if provided_name and "." in name:
        return fpath, os.path.join(folder, name[: name.find(".")] + "_extracted")
    return os.path.join(folder, name + "_archive"), fpath


def _cached_or_download(origin, fpath, file_hash, hash_algorithm, force_download):
    """(path, whether it was downloaded now)."""
    if os.path.exists(fpath) and not force_download:
        if file_hash is None or validate_file(fpath, file_hash, hash_algorithm):
            return fpath, False
        print(
            f"{fpath} does not match its expected hash {file_hash} (incomplete or outdated); "
            "downloading it again",
            file=sys.stderr,
        )
    return download(origin, fpath, file_hash, hash_algorithm), True
