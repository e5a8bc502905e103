"""`import lamina` stays light: heavy or optional packages load only when used."""
import subprocess
import sys


def test_import_does_not_load_heavy_or_optional_packages():
    code = ("import sys, lamina; heavy = ['scipy', 'scipy.sparse', 'matplotlib', 'h5py', 'dask'];"
            "print([m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_lazy_submodules_load_on_first_use():
    code = "import lamina, sys; lamina.datasets; lamina.validation; print('lamina.datasets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_missing_attribute_is_an_attribute_error_not_an_import_error():
    import lamina

    assert hasattr(lamina, "datasets")
    assert hasattr(lamina, "applications")
    assert not hasattr(lamina.applications, "NoSuchNet")
    try:
        lamina.no_such_module
    except AttributeError as e:
        assert "no_such_module" in str(e)
    else:
        raise AssertionError("lamina.no_such_module did not raise AttributeError")


def test_dispatch_wrappers_code_is_cached_like_bytecode(tmp_path, monkeypatch):
    """The generated op wrappers are compiled once and read back from the cache (a changed
    source gets its own file; with bytecode writing off nothing is written)."""
    from lamina.symbolic import dispatch

    monkeypatch.setattr(dispatch, "_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    dispatch._compiled("x = 1\n")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    first = dispatch._compiled("x = 1\n")
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].name.startswith("dispatch-")
    again = dispatch._compiled("x = 1\n")
    assert again == first and again is not first  # read back from the file, not recompiled
    scope = {}
    exec(again, scope)
    assert scope["x"] == 1
    dispatch._compiled("x = 2\n")
    assert len(list(tmp_path.iterdir())) == 2
    files[0].write_bytes(b"not marshal data")  # a damaged file: compiled again
    scope = {}
    exec(dispatch._compiled("x = 1\n"), scope)
    assert scope["x"] == 1
