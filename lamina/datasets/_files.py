"""Where dataset files come from: `$LAMINA_DATASETS`, then the cache, then a download.

1. The folder named by the `LAMINA_DATASETS` environment variable (used as is: files there
   may be re-saved copies whose bytes differ from Keras's, so no hash check).
2. lamina's cache, `$LAMINA_HOME/datasets` (default `~/.lamina/datasets`), checked against
   the expected hash (a mismatch is downloaded again, as Keras does).
3. A download from Keras's public origin into the cache, verified by hash. Set the
   `LAMINA_DATASETS_ORIGIN` environment variable to a base URL (e.g. a local mirror) to
   download `<base>/<file name>` instead; the tests point it at a local HTTP server.
"""

import os
import sys

from lamina.utils.data_utils import download, lamina_home, validate_file

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ORIGIN_ENV = "LAMINA_DATASETS_ORIGIN"


def cache_dir():
    """The folder downloads are cached in: `$LAMINA_HOME/datasets`."""
    return os.path.join(lamina_home(), "datasets")


def origin_url(remote_name, default_base=KERAS_ORIGIN):
    """The URL of `remote_name`: under `$LAMINA_DATASETS_ORIGIN` if set, else `default_base`."""
    base = os.environ.get(ORIGIN_ENV) or default_base
    return base.rstrip("/") + "/" + remote_name


def find_file(path, remote_name, file_hash, subdir="", default_base=KERAS_ORIGIN, fallback=None):
    """Local path of a dataset file, downloading it into the cache when needed.

    `path` is the `load_data(path=...)` argument (relative to the dataset folders, or
    absolute); `remote_name` the file's name at the origin; `file_hash` its SHA-256 (or md5);
    `subdir` a sub-folder (e.g. "fashion-mnist"); `fallback` a packaged copy used before
    downloading. Raises OSError saying where to put the file when it cannot be found.
    """
    path = os.fspath(path)
    url = origin_url(remote_name, default_base)
    if os.path.isabs(path):
        if os.path.exists(path):
            return path
        return _fetch(url, path, file_hash, [])
    root = os.environ.get("LAMINA_DATASETS")
    local = os.path.join(os.path.expanduser(root), subdir, path) if root else None
    if local and os.path.exists(local):
        return local
    cached = os.path.join(cache_dir(), subdir, path)
    if os.path.exists(cached):
        if file_hash is None or validate_file(cached, file_hash):
            return cached
        print(f"ignoring {cached}: it does not match its expected hash", file=sys.stderr)
    if fallback is not None and os.path.exists(fallback):
        return fallback
    return _fetch(
        url, cached, file_hash, [local or f"$LAMINA_DATASETS/{os.path.join(subdir, path)}"]
    )


def _fetch(url, dest, file_hash, alternatives):
    try:
        return download(url, dest, file_hash)
    except OSError as e:
        places = " or ".join([*alternatives, dest])
        unset = "" if os.environ.get("LAMINA_DATASETS") else " (LAMINA_DATASETS is not set)"
        raise OSError(
            f"cannot get dataset file {os.path.basename(dest)}: {e}. Offline? Download it from "
            f"{url} and put it at {places}{unset}."
        ) from e
