"""get_file(..., extract=True): Keras 3's destination names and safe extraction.

Archives are built in tmp_path and fetched through file:// URLs (urllib reads them like
HTTP, with a Content-Length); every unsafe archive must be refused whole."""
import hashlib
import io
import os
import stat
import tarfile
import zipfile

import pytest

from lamina.utils import get_file
from lamina.utils.archive import UnsafeArchiveError, extract_archive


def make_tar(path, members, mode="w:gz"):
    """members: (name, bytes) for files, or (name, TarInfo-type, linkname) for the rest."""
    with tarfile.open(path, mode) as tar:
        for member in members:
            info = tarfile.TarInfo(member[0])
            if len(member) == 2:
                info.size = len(member[1])
                tar.addfile(info, io.BytesIO(member[1]))
            else:
                info.type, info.linkname = member[1], member[2]
                tar.addfile(info)
    return path


def make_zip(path, members):
    """members: (name, bytes), or (name, bytes, unix mode) for special entries."""
    with zipfile.ZipFile(path, "w") as zf:
        for member in members:
            info = zipfile.ZipInfo(member[0])
            if len(member) == 3:
                info.external_attr = member[2] << 16
            zf.writestr(info, member[1])
    return path


def url(path):
    return "file://" + os.fspath(path)


def tree(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder)
                  for d, dirs, files in os.walk(folder) for f in files + [x for x in dirs
                                                                         if os.path.islink(os.path.join(d, x))])


@pytest.fixture
def photos(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    return make_tar(src / "flower_photos.tgz",
                    [("flower_photos/roses/a.txt", b"rose"), ("flower_photos/tulips/b.txt", b"tulip")])


# --- destination names (Keras 3) ----------------------------------------------------------


def test_fname_with_extension_extracts_into_name_extracted(tmp_path, photos):
    cache = tmp_path / "cache"
    sha = hashlib.sha256(photos.read_bytes()).hexdigest()
    path = get_file("flower_photos.tar.gz", url(photos), extract=True, file_hash=sha,
                    cache_dir=str(cache))
    datasets = cache / "datasets"
    assert path == str(datasets / "flower_photos_extracted")
    assert (datasets / "flower_photos.tar.gz").read_bytes() == photos.read_bytes()
    assert tree(path) == ["flower_photos/roses/a.txt", "flower_photos/tulips/b.txt"]
    assert (datasets / "flower_photos_extracted/flower_photos/roses/a.txt").read_bytes() == b"rose"
    assert sorted(os.listdir(datasets)) == ["flower_photos.tar.gz", "flower_photos_extracted"]
    os.remove(photos)  # cached and extracted: the origin is not read again
    assert get_file("flower_photos.tar.gz", url(photos), extract=True, file_hash=sha,
                    cache_dir=str(cache)) == path


def test_fname_without_extension_and_no_fname(tmp_path, photos):
    cache = str(tmp_path / "cache")
    path = get_file("flowers", url(photos), extract=True, cache_dir=cache)
    datasets = os.path.join(cache, "datasets")
    assert path == os.path.join(datasets, "flowers")
    assert os.path.isfile(os.path.join(datasets, "flowers_archive"))
    assert tree(path) == ["flower_photos/roses/a.txt", "flower_photos/tulips/b.txt"]
    # no fname: the URL's file name becomes the folder, the archive gets "_archive"
    zipped = make_zip(tmp_path / "src" / "data.zip", [("data/x.csv", b"1,2\n")])
    path = get_file(origin=url(zipped), extract=True, cache_dir=cache)
    assert path == os.path.join(datasets, "data.zip") and os.path.isdir(path)
    assert os.path.isfile(os.path.join(datasets, "data.zip_archive"))
    with open(os.path.join(path, "data", "x.csv"), "rb") as f:
        assert f.read() == b"1,2\n"
    # untar=True (the older spelling) reads tar only
    assert get_file("legacy", url(photos), untar=True, cache_dir=cache) == os.path.join(datasets, "legacy")
    with pytest.warns(UserWarning, match="could not extract"):
        get_file("legacy_zip", url(zipped), untar=True, cache_dir=cache)
    plain = tmp_path / "src" / "plain.bin"
    plain.write_bytes(b"not an archive")
    with pytest.warns(UserWarning, match="could not extract"):
        out = get_file("plain.bin", url(plain), extract=True, cache_dir=cache)
    assert out == os.path.join(datasets, "plain_extracted") and not os.path.exists(out)


def test_redownload_replaces_the_extracted_folder(tmp_path):
    src = tmp_path / "v.tar"
    make_tar(src, [("old.txt", b"1")], mode="w")
    cache = str(tmp_path / "cache")
    path = get_file("v.tar", url(src), extract=True, cache_dir=cache)
    assert tree(path) == ["old.txt"]
    make_tar(src, [("new.txt", b"2")], mode="w")
    assert tree(get_file("v.tar", url(src), extract=True, cache_dir=cache)) == ["old.txt"]
    path = get_file("v.tar", url(src), extract=True, cache_dir=cache, force_download=True)
    assert tree(path) == ["new.txt"]  # replaced whole, nothing of the old folder left
    leftovers = [n for n in os.listdir(os.path.join(cache, "datasets")) if n.startswith(".")]
    assert leftovers == []


def test_safe_symlinks_inside_the_archive_are_kept(tmp_path):
    archive = make_tar(tmp_path / "ok.tar.gz", [
        ("pkg/v1/data.txt", b"v1"), ("pkg/current", tarfile.SYMTYPE, "v1"),
        ("pkg/copy.txt", tarfile.LNKTYPE, "pkg/v1/data.txt")])
    dest = tmp_path / "out"
    assert extract_archive(archive, dest) is True
    assert os.path.islink(dest / "pkg" / "current")
    assert (dest / "pkg" / "current" / "data.txt").read_bytes() == b"v1"
    assert (dest / "pkg" / "copy.txt").read_bytes() == b"v1"


# --- unsafe archives are refused whole ------------------------------------------------------


UNSAFE_TARS = {
    "dotdot": ([("ok.txt", b"fine"), ("../evil.txt", b"x")], "'..'"),
    "dotdot_inside": ([("a/../../evil.txt", b"x")], "'..'"),
    "absolute": ([("{abs}/evil.txt", b"x")], "absolute path"),
    "symlink_out": ([("link", tarfile.SYMTYPE, "../../outside")], "links outside"),
    "symlink_absolute": ([("link", tarfile.SYMTYPE, "/etc")], "absolute path"),
    "write_through_symlink": ([("d", tarfile.SYMTYPE, "sub"), ("d/evil.txt", b"x")], "through"),
    "symlink_chain": ([("a", tarfile.SYMTYPE, "."), ("b", tarfile.SYMTYPE, "a/../x")], "through"),
    "hardlink_out": ([("h", tarfile.LNKTYPE, "../secret")], "links outside"),
    "hardlink_absolute": ([("h", tarfile.LNKTYPE, "/etc/passwd")], "absolute path"),
    "char_device": ([("dev", tarfile.CHRTYPE, "")], "device"),
    "block_device": ([("blk", tarfile.BLKTYPE, "")], "device"),
    "fifo": ([("pipe", tarfile.FIFOTYPE, "")], "FIFO"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE_TARS))
def test_unsafe_tar_is_refused(tmp_path, case):
    members, reason = UNSAFE_TARS[case]
    outside = tmp_path / "outside_target"
    outside.mkdir()
    members = [(m[0].replace("{abs}", str(outside)),) + tuple(m[1:]) for m in members]
    src = make_tar(tmp_path / "bad.tar.gz", members)
    cache = tmp_path / "cache"
    with pytest.raises(UnsafeArchiveError, match=reason) as err:
        get_file("bad.tar.gz", url(src), extract=True, cache_dir=str(cache))
    assert isinstance(err.value, ValueError)
    assert "bad.tar.gz" in str(err.value) and "nothing was extracted" in str(err.value)
    assert repr(members[-1][0]) in str(err.value)  # the offending member is named
    datasets = cache / "datasets"
    assert sorted(os.listdir(datasets)) == ["bad.tar.gz"]  # no folder, no temporary left
    assert os.listdir(outside) == [] and not (tmp_path / "evil.txt").exists()


UNSAFE_ZIPS = {
    "dotdot": ([("../evil.txt", b"x")], "'..'"),
    "absolute": ([("/abs/evil.txt", b"x")], "absolute path"),
    "symlink_out": ([("link", b"../../outside", stat.S_IFLNK | 0o777)], "links outside"),
    "fifo": ([("pipe", b"", stat.S_IFIFO | 0o644)], "FIFO"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE_ZIPS))
def test_unsafe_zip_is_refused(tmp_path, case):
    members, reason = UNSAFE_ZIPS[case]
    src = make_zip(tmp_path / "bad.zip", [("good.txt", b"ok")] + members)
    (tmp_path / "target").mkdir()
    dest = tmp_path / "target" / "out"
    with pytest.raises(UnsafeArchiveError, match=reason) as err:
        extract_archive(src, dest)
    assert repr(members[0][0]) in str(err.value)
    assert not os.path.exists(dest) and os.listdir(tmp_path / "target") == []
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "target" / "evil.txt").exists()


def test_archive_format_choice(tmp_path):
    archive = make_zip(tmp_path / "a.zip", [("x.txt", b"x")])
    assert extract_archive(archive, tmp_path / "t", archive_format="tar") is False
    assert not (tmp_path / "t").exists()
    assert extract_archive(archive, tmp_path / "z", archive_format=["tar", "zip"]) is True
    assert extract_archive(archive, tmp_path / "n", archive_format=None) is False
    with pytest.raises(ValueError, match="archive_format"):
        extract_archive(archive, tmp_path / "q", archive_format="rar")
