"""The GUI through its real entry point, run(GuiOptions(...)), as the CLI calls it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from movenet_studio.gui.app import EXIT_BAD_OPTIONS, EXIT_FAILED, EXIT_OK, GuiOptions, run
from movenet_studio.gui.settings import StudioSettings

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
VIDEO = DATA / "pose_1.mp4"


def _no_studio_threads() -> bool:
    return not [t for t in threading.enumerate() if t.name.startswith("movenet-") and t.is_alive()]


@pytest.mark.skipif(not VIDEO.is_file(), reason=f"test media not found in {DATA}")
@pytest.mark.parametrize("pace", ["max", "realtime"])
def test_exit_after_frames_writes_screenshot(qapp, tmp_path, pace):
    shot = tmp_path / "x.png"
    settings = tmp_path / "settings.ini"
    code = run(GuiOptions(source=str(VIDEO), exit_after_frames=5, screenshot=shot, pace=pace,
                          settings_path=settings))
    assert code == EXIT_OK
    assert shot.stat().st_size > 10_000
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 500
    assert _no_studio_threads()
    saved = StudioSettings(settings)
    assert saved.last_source == str(VIDEO) and saved.loop is False  # the forced loop is not persisted


def test_exit_after_frames_on_a_missing_source_fails_fast(qapp, tmp_path):
    code = run(GuiOptions(source=str(tmp_path / "missing.mp4"), exit_after_frames=5,
                          screenshot=tmp_path / "x.png", settings_path=tmp_path / "s.ini", pace="max"))
    assert code == EXIT_FAILED
    assert (tmp_path / "x.png").stat().st_size > 0  # the window with its error, for the record
    assert _no_studio_threads()


def test_bad_options_are_refused(qapp, tmp_path):
    assert run(GuiOptions(pace="warp", settings_path=tmp_path / "s.ini")) == EXIT_BAD_OPTIONS
    assert run(GuiOptions(exit_after_frames=0, settings_path=tmp_path / "s.ini")) == EXIT_BAD_OPTIONS


def test_first_start_plays_the_bundled_sample(qapp, tmp_path):
    """No source given and none remembered (an isolated settings file): the window opens the
    bundled pose_1.mp4, results arrive from it, and --stats-json names its path."""
    import json

    from movenet_studio.core.paths import sample_path

    sample = sample_path()
    assert sample.is_file() and (sample.parent / "README.md").is_file()
    stats = tmp_path / "s.json"
    code = run(GuiOptions(exit_after_frames=3, stats_json=stats, settings_path=tmp_path / "s.ini", pace="max"))
    assert code == EXIT_OK
    figures = json.loads(stats.read_text())
    assert figures["source"] == str(sample) and figures["processed_frames"] >= 2
    assert StudioSettings(tmp_path / "s.ini").last_source == str(sample)
