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
