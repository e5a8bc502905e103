"""Files: atomic writes, path and extension checks, and guarded reading of zip archives.

Every save goes to a temporary file in the destination folder, is flushed to disk, then
renamed over the destination (`os.replace`, atomic on POSIX and Windows): a crash or
Ctrl-C mid-write leaves the previous good file in place, never a half-written one.
"""
import contextlib
import errno
import hashlib
import json
import os
import secrets
import stat
import time
import zipfile

from lamina.codec.errors import CorruptFileError, SavingError, UnsafeContentError, as_saving_error

MODEL_EXT = ".keras"
WEIGHT_EXTS = (".weights.h5", ".weights.npz")
ALL_EXTS = (MODEL_EXT,) + WEIGHT_EXTS


class _Limits:
    archive_bytes = 4 << 30  # uncompressed bytes read from one file
    config_bytes = 64 << 20  # config.json / metadata.json
    ratio = 100  # a member may expand to at most ratio x its compressed size ...
    ratio_floor = 16 << 20  # ... or this many bytes, whichever is more


_CHUNK = 1 << 20  # members and files are read in pieces of this size (no up-front buffer)


def check_expansion(info, source):
    """The most bytes zip member `info` may expand to (`_Limits.ratio` times its compressed
    size, at least `_Limits.ratio_floor`); refuses a member declaring more."""
    cap = max(_Limits.ratio * info.compress_size, _Limits.ratio_floor)
    if info.file_size > cap:
        raise UnsafeContentError(
            f"member {info.filename!r} would expand from {info.compress_size:,} to "
            f"{info.file_size:,} bytes, more than {_Limits.ratio}x (a zip bomb?)", source)
    return cap


def read_limited(f, limit):
    """Up to `limit` + 1 bytes of the binary stream `f`, read in 1 MiB pieces, so memory
    grows with what the stream really holds, never with the limit."""
    out = bytearray()
    while len(out) <= limit:
        piece = f.read(min(_CHUNK, limit + 1 - len(out)))
        if not piece:
            break
        out += piece
    return bytes(out)


def set_size_limit(max_bytes=None, max_config_bytes=None):
    """Change the most bytes lamina reads from one file (weights: 4 GiB by default; each
    JSON member: 64 MiB). Larger files are refused, as a guard against zip bombs."""
    if max_bytes is not None:
        _Limits.archive_bytes = int(max_bytes)
    if max_config_bytes is not None:
        _Limits.config_bytes = int(max_config_bytes)


def size_limit():
    return _Limits.archive_bytes


def check_extension(path, allowed, what):
    """Raise a ValueError listing the valid extensions when `path` has none of `allowed`."""
    name = os.fspath(path)
    if not isinstance(name, str):
        name = name.decode()
    if not name.endswith(tuple(allowed)):
        raise ValueError(
            f"{what}: unknown file extension in {name!r}; use one of "
            f"{', '.join(repr(e) for e in ALL_EXTS)} ({MODEL_EXT!r}: the whole model, "
            "'.weights.h5' / '.weights.npz': weights only)"
        )
    return name


def check_folder(path):
    """Raise when the folder that should hold `path` does not exist."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"cannot save to {path!r}: the folder {folder!r} does not exist; create it first "
            f"(os.makedirs({folder!r}, exist_ok=True))"
        )


def atomic_write(path, data):
    """Write `data` (bytes) to `path` through a temporary file and a rename.

    The temporary file sits next to the destination (a symlink is followed: the file it
    points to is replaced, the link stays) under a short name, `.tmp-<8 hex>-<pid>-<6 chars>`,
    so any name the file system accepts for `path` works. Leftovers of a save that was
    killed are removed by the next save to the same path; overwriting keeps the file's
    permission bits (a new file gets the usual 0o666 minus the umask). A full disk or a
    read-only folder raises an OSError naming the destination; the previous file is intact.
    """
    dest = os.path.realpath(path) if os.path.islink(path) else os.fspath(path)
    check_folder(dest)
    folder = os.path.dirname(os.path.abspath(dest))
    prefix = _temp_prefix(dest)
    _remove_leftovers(folder, prefix)
    try:
        mode = stat.S_IMODE(os.stat(dest).st_mode)
    except OSError:
        mode = None  # a new file
    tmp = None
    try:
        tmp, fd = _create_temp(folder, prefix)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, dest)
    except BaseException as e:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(e, OSError) and e.errno is not None:
            raise _named_error(e, dest) from e
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def _temp_prefix(dest):
    """`.tmp-<8 hex digits of the file name>-`: ties temporary files to their destination."""
    name = os.path.basename(dest).encode("utf-8", "surrogateescape")
    return f".tmp-{hashlib.blake2s(name, digest_size=4).hexdigest()}-"


def _create_temp(folder, prefix):
    """(path, fd) of a new file `<prefix><pid>-<6 random chars>`, created exclusively with
    mode 0o666 so that the umask applies as for any new file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(folder, f"{prefix}{os.getpid()}-{secrets.token_hex(3)}")
        try:
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file in {folder!r}: 100 names were taken")


def _remove_leftovers(folder, prefix):
    """Delete temporary files of earlier saves to the same destination whose process is
    gone (killed mid-save). On systems without POSIX signals: those over an hour old."""
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _may_be_running(int(pid), folder, name):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, name))


def _may_be_running(pid, folder, name):
    if os.name != "posix":
        try:
            return time.time() - os.path.getmtime(os.path.join(folder, name)) < 3600
        except OSError:
            return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _named_error(e, dest):
    """The same kind of OSError, saying which file could not be saved and what to do."""
    hint = {errno.ENOSPC: "the disk is full: free some space or save elsewhere",
            errno.EROFS: "the file system is read-only: save elsewhere",
            errno.EACCES: "no permission to write there: save elsewhere or fix the permissions",
            errno.EPERM: "no permission to write there: save elsewhere or fix the permissions"}
    if getattr(errno, "EDQUOT", None) is not None:
        hint[errno.EDQUOT] = "the disk quota is exceeded: free some space or save elsewhere"
    advice = hint.get(e.errno, "")
    message = (f"cannot save {dest!r}: {e.strerror or e}" + (f" ({advice})" if advice else "")
               + "; any previous file there is unchanged")
    return OSError(e.errno, message, dest)


def read_bytes(path, limit=None):
    """The whole file, refusing files over the size limit."""
    limit = _Limits.archive_bytes if limit is None else limit
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {os.fspath(path)!r}") from None
    if size > limit:
        raise UnsafeContentError(f"the file is {size:,} bytes, over the {limit:,}-byte limit", path)
    with open(path, "rb") as f:
        data = read_limited(f, limit)
    if len(data) > limit:
        raise UnsafeContentError(f"the file grew past the {limit:,}-byte limit while read", path)
    return data


class Archive:
    """A `.keras` zip opened for reading: named members only, with size guards.

    Members whose names contain "..", start with "/" or hold backslashes are ignored (they
    could point outside an extraction folder); nothing is ever extracted to disk.
    """

    def __init__(self, data, source):
        self.source = source
        if data[:4] == b"\x89HDF":
            raise CorruptFileError(
                "this is an HDF5 file, not a .keras zip: a legacy Keras 2 '.h5' model (not "
                "supported) or a weights file (use model.load_weights)", source)
        if data[:2] != b"PK":
            raise CorruptFileError("not a .keras file: it does not start with a zip header "
                                   "(wrong magic bytes)", source)
        try:
            import io  # noqa: PLC0415  (only for in-memory files)

            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as e:
            raise CorruptFileError(f"the zip archive is damaged or truncated ({e})", source) from None
        self.members = {}
        self.ignored = []
        for info in infos:
            name = info.filename
            if ".." in name.replace("\\", "/").split("/") or name.startswith("/") or "\\" in name:
                self.ignored.append(name)
                continue
            if name in self.members:
                raise CorruptFileError(f"the archive holds {name!r} twice", source)
            self.members[name] = info
        total = sum(i.file_size for i in self.members.values())
        if total > _Limits.archive_bytes:
            raise UnsafeContentError(
                f"the archive would unpack to {total:,} bytes, over the {_Limits.archive_bytes:,}"
                "-byte limit (a zip bomb?); lamina.saving.set_size_limit() raises the limit for "
                "a file you trust", source)

    def has(self, name):
        return name in self.members

    def read(self, name, limit=None):
        info = self.members.get(name)
        if info is None:
            raise CorruptFileError(f"the archive has no {name!r} member", self.source)
        limit = _Limits.archive_bytes if limit is None else limit
        if info.file_size > limit:
            raise UnsafeContentError(f"member {name!r} is {info.file_size:,} bytes, over the "
                                     f"{limit:,}-byte limit", self.source)
        ratio_cap = check_expansion(info, self.source)
        try:
            with self._zip.open(info) as f:  # never past the declared size (a lying header)
                data = read_limited(f, min(limit, ratio_cap, info.file_size))
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError,
                NotImplementedError) as e:
            raise CorruptFileError(f"cannot read member {name!r} ({e})", self.source) from None
        if len(data) != info.file_size:
            raise CorruptFileError(f"member {name!r} does not hold its declared {info.file_size:,} bytes (truncated or damaged)", self.source)
        return data

    def read_json(self, name):
        """A member holding a JSON object (at most the config size limit), as a dict."""
        raw = self.read(name, limit=_Limits.config_bytes)
        try:
            value = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise CorruptFileError(f"{name} is not valid JSON ({e})", self.source) from None
        if not isinstance(value, dict):
            raise CorruptFileError(f"{name} holds a JSON {type(value).__name__}, not an object",
                                   self.source)
        return value

    def close(self):
        self._zip.close()


def ensure_saving_error(e, source, what):
    """Re-raise anything unexpected from rebuilding a file's contents as a SavingError."""
    if isinstance(e, SavingError):
        if e.path is None:  # raised deep inside: name the file
            raise type(e)(str(e), source) from e
        raise e
    known = as_saving_error(e, source)
    if known is not None:
        raise known from e
    raise CorruptFileError(f"{what}: {type(e).__name__}: {e}", source) from e
