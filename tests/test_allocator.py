"""lamina.engine.allocator: glibc's mmap/trim thresholds raised once, user settings win."""
import os

import pytest

from lamina.engine import allocator

GLIBC = hasattr(os, "confstr") and bool(os.confstr("CS_GNU_LIBC_VERSION") or "")


@pytest.mark.skipif(not GLIBC, reason="mallopt tuning applies to glibc only")
def test_tune_applies_on_glibc(monkeypatch):
    for name in ("LAMINA_MALLOC_TUNING", *allocator._USER_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    assert allocator.tune() is True


@pytest.mark.parametrize("name, value", [("LAMINA_MALLOC_TUNING", "0"),
                                         ("MALLOC_MMAP_THRESHOLD_", "65536"),
                                         ("MALLOC_TOP_PAD_", "0")])
def test_tune_respects_user_settings(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    assert allocator.tune() is False
