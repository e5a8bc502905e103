"""The atomic file writer behind every save: leftovers of a killed save are cleaned, the
file's mode is kept, symlinks are written through, long names work, and a full disk or a
read-only folder raises an error naming the destination (docs/saving.md, "Nothing lost")."""
import errno
import os
import signal
import stat
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.saving import files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _model():
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


_KILLED = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from lamina.saving import files
    def killed(src, dst):
        os.kill(os.getpid(), signal.SIGKILL)  # power cut between writing and renaming
    files.os.replace = killed
    files.atomic_write(sys.argv[1], b"new" * 1000)
""")


def test_leftovers_of_a_killed_save_are_removed_by_the_next_save_to_that_path(tmp_path):
    path = tmp_path / "m.weights.npz"
    files.atomic_write(path, b"old")
    other = tmp_path / "other.weights.npz"
    script = tmp_path / "kill.py"
    script.write_text(_KILLED.format(root=ROOT))
    for target in (path, path, other):  # the second kill's save removed the first's leftover
        proc = subprocess.run([sys.executable, str(script), str(target)], timeout=60, check=False)
        assert proc.returncode == -signal.SIGKILL
    leftovers = sorted(n for n in os.listdir(tmp_path) if n.startswith(".tmp-"))
    assert len(leftovers) == 2 and all(len(n) <= 30 for n in leftovers)
    assert path.read_bytes() == b"old"  # the kill left the previous file intact
    # a save in progress in a live process (here: our parent) must not be touched
    live = files._temp_prefix(str(path)) + f"{os.getppid()}-abcdef"
    (tmp_path / live).write_bytes(b"busy")
    files.atomic_write(path, b"newer")
    assert path.read_bytes() == b"newer"
    left = sorted(n for n in os.listdir(tmp_path) if n.startswith(".tmp-"))
    other_prefix = files._temp_prefix(str(other))
    assert left == sorted([live] + [n for n in leftovers if n.startswith(other_prefix)])


def test_overwriting_keeps_the_mode_and_new_files_follow_the_umask(tmp_path):
    path = tmp_path / "m.keras"
    old = os.umask(0o022)
    try:
        _model().save(path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644  # not mkstemp's 0o600
        os.chmod(path, 0o640)
        _model().save(path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    finally:
        os.umask(old)


def test_saving_to_a_symlink_writes_through_the_link(tmp_path):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "model.keras"
    link = tmp_path / "latest.keras"
    target.write_bytes(b"stale")
    link.symlink_to(target)
    model = _model()
    model.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes()[:2] == b"PK"
    np.testing.assert_array_equal(lamina.models.load_model(link).get_weights()[0],
                                  model.get_weights()[0])
    assert os.listdir(real_dir) == ["model.keras"]


def test_a_250_character_file_name_saves(tmp_path):
    name = "m" * 244 + ".keras"
    assert len(name) == 250
    model = _model()
    model.save(tmp_path / name)
    np.testing.assert_array_equal(lamina.models.load_model(tmp_path / name).get_weights()[0],
                                  model.get_weights()[0])
    model.save_weights(tmp_path / ("w" * 238 + ".weights.npz"))


@pytest.mark.parametrize("code, words", [
    (errno.ENOSPC, "disk is full"), (errno.EROFS, "read-only"), (errno.EACCES, "permission")])
def test_disk_full_and_read_only_errors_name_the_destination(tmp_path, monkeypatch, code, words):
    path = tmp_path / "m.keras"
    model = _model()
    model.save(path)
    good = path.read_bytes()

    def fail(*args):
        raise OSError(code, os.strerror(code))

    # ENOSPC surfaces when the data is flushed; read-only / permission when creating the file
    monkeypatch.setattr(files.os, "fsync" if code == errno.ENOSPC else "open", fail)
    with pytest.raises(OSError) as info:
        model.save(path)
    monkeypatch.undo()
    assert info.value.errno == code
    assert str(path) in str(info.value) and words in str(info.value)
    assert info.value.filename == str(path)
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["m.keras"]
