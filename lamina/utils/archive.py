"""Safe extraction of .tar (.tar.gz/.tgz/.tar.bz2/.tar.xz) and .zip archives for `get_file`.

Every member is checked before anything is written, and an archive with any unsafe member is
refused whole (`UnsafeArchiveError`, a ValueError naming the member and the reason):
absolute paths, paths that leave the target folder (`..`), paths that pass through a
symlink of the archive, symlinks or hard links whose target is absolute or outside the target
folder (or reached through another symlink), and device files or FIFOs. Tar archives are also
extracted with Python's "data" filter where available (a second line of defence). The archive
is unpacked into a temporary folder next to the destination and renamed into place, so the
destination is either complete or absent, even after an error or Ctrl-C.
"""
import os
import posixpath
import shutil
import stat
import tarfile
import tempfile
import zipfile


class UnsafeArchiveError(ValueError):
    """An archive member would write outside the extraction folder (or is a device file)."""


def _refuse(archive, member, reason):
    raise UnsafeArchiveError(
        f"refusing to extract {os.path.basename(archive)}: member {member!r} {reason}; "
        "nothing was extracted. Only extract archives from sources you trust"
    )


def _is_absolute(name):
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":")


def _escapes(path):
    return path == ".." or path.startswith("../")


def _through_symlink(path, symlinks):
    """The first symlink of the archive that `path` (unnormalised) traverses, else None."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    prefix = []
    for part in parts[:-1]:
        prefix.append(part)
        here = posixpath.normpath("/".join(prefix))
        if here in symlinks:
            return here
    return None


def check_members(archive, entries):
    """Raise UnsafeArchiveError for the first unsafe entry.

    `entries` are (name, kind, linkname) with kind in "file", "dir", "symlink", "hardlink",
    "device", "other"; names use "/" separators.
    """
    symlinks = {posixpath.normpath(name) for name, kind, _ in entries if kind == "symlink"}
    for name, kind, link in entries:
        if _is_absolute(name):
            _refuse(archive, name, "has an absolute path")
        path = posixpath.normpath(name)
        if _escapes(path):
            _refuse(archive, name, "is outside the extraction folder (a '..' path)")
        via = _through_symlink(name, symlinks)
        if via is not None:
            _refuse(archive, name, f"is written through the archive's symlink {via!r}")
        if kind == "device":
            _refuse(archive, name, "is a device file or FIFO")
        if kind == "other":
            _refuse(archive, name, "has an unsupported member type")
        if kind in ("symlink", "hardlink"):
            if not link or _is_absolute(link):
                _refuse(archive, name, f"links to an absolute path {link!r}")
            # a symlink resolves from its own folder, a hard link from the archive's root
            joined = posixpath.join(posixpath.dirname(path), link) if kind == "symlink" else link
            if _escapes(posixpath.normpath(joined)):
                _refuse(archive, name, f"links outside the extraction folder ({link!r})")
            via = _through_symlink(joined, symlinks)
            if via is None and kind == "hardlink" and posixpath.normpath(joined) in symlinks:
                via = posixpath.normpath(joined)  # a hard link to a symlink could follow it out
            if via is not None:
                _refuse(archive, name, f"links through the archive's symlink {via!r}")


def _tar_entries(tar):
    out = []
    for m in tar.getmembers():
        if m.isfile():
            kind = "file"
        elif m.isdir():
            kind = "dir"
        elif m.issym():
            kind = "symlink"
        elif m.islnk():
            kind = "hardlink"
        elif m.isdev():
            kind = "device"
        else:
            kind = "other"
        out.append((m.name, kind, m.linkname))
    return out


def _zip_entries(zf):
    out = []
    for info in zf.infolist():
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            # zipfile writes a link entry as a small file holding the target; check it anyway
            out.append((info.filename, "symlink", zf.read(info).decode("utf-8", "replace")))
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
            out.append((info.filename, "device", ""))
        else:
            out.append((info.filename, "dir" if info.is_dir() else "file", ""))
    return out


def _formats(archive_format):
    if archive_format is None:
        return []
    if archive_format == "auto":
        return ["tar", "zip"]
    formats = [archive_format] if isinstance(archive_format, str) else list(archive_format)
    for f in formats:
        if f not in ("tar", "zip"):
            raise ValueError(f"archive_format must be 'auto', 'tar', 'zip', a list of them or None, got {f!r}")
    return formats


def extract_archive(file_path, path, archive_format="auto"):
    """Extract the archive at `file_path` into the folder `path` (replacing it); True if done.

    Returns False (and writes nothing) when the file is none of the `archive_format`s.
    """
    file_path, path = os.fspath(file_path), os.fspath(path)
    for fmt in _formats(archive_format):
        if fmt == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as tar:
                check_members(file_path, _tar_entries(tar))
                _extract_atomically(path, lambda dest: _extract_tar(tar, dest))
            return True
        if fmt == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as zf:
                check_members(file_path, _zip_entries(zf))
                _extract_atomically(path, zf.extractall)
            return True
    return False


def _extract_tar(tar, dest):
    if hasattr(tarfile, "data_filter"):
        tar.extractall(dest, filter="data")
    else:  # Python without extraction filters: the member checks above are the defence
        tar.extractall(dest)


def _extract_atomically(path, extract):
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=parent)
    try:
        extract(tmp)
        if os.path.lexists(path):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
