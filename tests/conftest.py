"""Shared fixtures: where the test media are, offscreen Qt, and a guard against leaked threads."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

# Qt must be offscreen before any QApplication exists; pytest-qt creates it lazily.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"


def data_file(name: str) -> Path:
    """Path of a file in ../shared/data; skips the test when it is absent."""
    path = DATA_DIR / name
    if not path.exists():
        pytest.skip(f"test media {name} not found in {DATA_DIR}")
    return path


@pytest.fixture
def data_dir() -> Path:
    """../shared/data (skips when absent)."""
    if not DATA_DIR.is_dir():
        pytest.skip(f"test media folder {DATA_DIR} not found")
    return DATA_DIR


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Fail a test that leaves a new non-daemon thread running."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    for thread in leaked:
        thread.join(timeout=2.0)
    leaked = [t.name for t in leaked if t.is_alive()]
    assert not leaked, f"test left threads running: {leaked}"
