"""Small GUI pieces: settings fallbacks, overlay geometry, rolling statistics, binding fix."""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pytest

from conftest import GUI_WAIT_MS
from movenet_studio.core.decoding.keypoints import EDGE_COLOURS, SKELETON_EDGES
from movenet_studio.core.decoding.pose import Pose
from movenet_studio.gui.panels.latency_panel import RingBuffer, RollingStats
from movenet_studio.gui.overlays.skeleton import EDGE_GROUP_COLOURS, skeleton_geometry
from movenet_studio.gui.settings import DEFAULT_MODEL, StudioSettings


def test_settings_round_trip(tmp_path):
    path = tmp_path / "s.ini"
    s = StudioSettings(path)
    s.model, s.threads, s.threshold, s.loop, s.last_source = "thunder-int8", 4, 0.55, True, "/a/b.mp4"
    s.sync()
    again = StudioSettings(path)
    assert (again.model, again.threads, again.threshold, again.loop, again.last_source) == \
        ("thunder-int8", 4, pytest.approx(0.55), True, "/a/b.mp4")


def test_settings_store_paths_absolute(tmp_path, monkeypatch):
    (tmp_path / "zoo").mkdir()
    model, clip = tmp_path / "zoo" / "x.tflite", tmp_path / "clip.mp4"
    model.write_bytes(b"0")
    clip.write_bytes(b"0")
    (tmp_path / "run").mkdir()
    monkeypatch.chdir(tmp_path / "run")
    s = StudioSettings(tmp_path / "s.ini")
    s.model, s.last_source = "../zoo/x.tflite", "../clip.mp4"
    s.add_recent_source("../clip.mp4")
    s.add_recent_source("camera:1")
    s.sync()
    monkeypatch.chdir(tmp_path / "zoo")  # the next start runs from another folder
    again = StudioSettings(tmp_path / "s.ini")
    assert again.model == str(model.resolve()) and again.last_source == str(clip.resolve())
    assert again.recent_sources == ["camera:1", str(clip.resolve())]
    again.model = "thunder-int8"  # a bundled key stays a key
    assert again.model == "thunder-int8"


def test_settings_keep_a_symlinked_folder_as_named(tmp_path, monkeypatch):
    """A stored path is made absolute, not resolved: a link to a shared data folder stays the
    link the user opened (the file is still found from any working directory)."""
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "clip.mp4").write_bytes(b"0")
    (tmp_path / "shared").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "run").mkdir()
    monkeypatch.chdir(tmp_path / "run")
    s = StudioSettings(tmp_path / "s.ini")
    s.last_source = "../shared/clip.mp4"
    assert s.last_source == str(tmp_path / "shared" / "clip.mp4")


def test_settings_old_relative_values_read_as_stored(tmp_path):
    path = tmp_path / "old.ini"
    path.write_text("[model]\nname=../shared/m.tflite\n[session]\nlast_source=a/b.mp4\n")
    s = StudioSettings(path)
    assert s.model == "../shared/m.tflite" and s.last_source == "a/b.mp4"


def test_settings_bad_values_fall_back_to_defaults(tmp_path):
    path = tmp_path / "bad.ini"
    path.write_text("[model]\nthreads=lots\nname=\n[display]\nthreshold=7.5\n[playback]\nloop=maybe\n"
                    "[window]\ngeometry=not bytes\nstate=@ByteArray()\n[session]\ncamera_index=-3\n"
                    "last_source=\n")
    s = StudioSettings(path)
    assert s.threads == 2 and s.model == DEFAULT_MODEL and s.threshold == pytest.approx(0.3)
    assert s.loop is False and s.geometry is None and s.window_state is None
    assert s.camera_index == 0 and s.last_source is None


def test_settings_heatmap_keypoint_read_from_the_old_joint_key(tmp_path):
    path = tmp_path / "old.ini"
    path.write_text("[overlays]\nheatmap_joint=9\n")
    s = StudioSettings(path)
    assert s.overlays.heatmap_keypoint == 9  # a choice stored under the old name survives
    s.overlays = replace(s.overlays, heatmap_keypoint=3)
    s.sync()
    again = StudioSettings(path)
    assert again.overlays.heatmap_keypoint == 3 and not again.qsettings.contains("overlays/heatmap_joint")


def test_settings_unreadable_file_is_ignored(tmp_path):
    path = tmp_path / "binary.ini"
    path.write_bytes(bytes(range(256)) * 8)
    s = StudioSettings(path)
    assert s.threads == 2 and s.model == DEFAULT_MODEL


def _pose(scores) -> Pose:
    kp = np.zeros((17, 3), np.float32)
    kp[:, 0] = np.arange(17) * 10
    kp[:, 1] = np.arange(17) * 5
    kp[:, 2] = scores
    return Pose(kp, float(np.mean(scores)))


def test_geometry_hides_low_scores_and_their_edges():
    scores = np.full(17, 0.9, np.float32)
    scores[9] = 0.1  # left wrist: edge 7-9 goes
    geometry = skeleton_geometry([_pose(scores)], 0.3)
    assert len(geometry.points) == 16 and not (geometry.points == [90, 45]).all(axis=1).any()
    assert sum(len(e) // 2 for e in geometry.edges) == len(SKELETON_EDGES) - 1
    # Each colour group holds exactly its edges.
    for group, colour in enumerate(EDGE_GROUP_COLOURS):
        expected = [(a, b) for (a, b), c in zip(SKELETON_EDGES, EDGE_COLOURS) if c == colour and 9 not in (a, b)]
        assert len(geometry.edges[group]) == 2 * len(expected)
    assert len(skeleton_geometry([_pose(scores)], 1.01).points) == 0
    both = skeleton_geometry([_pose(scores), _pose(np.ones(17))], 0.0)
    assert len(both.points) == 34 and len(both.boxes) == 0


def test_geometry_draws_multipose_boxes():
    pose = _pose(np.ones(17))
    boxed = Pose(pose.keypoints, 1.0, box=np.array([1, 2, 30, 40], np.float32))
    geometry = skeleton_geometry([boxed], 0.3)
    assert geometry.boxes.shape == (8, 2)
    assert geometry.boxes[:, 0].min() == 1 and geometry.boxes[:, 1].max() == 40


def test_ring_buffer_and_rolling_stats():
    ring = RingBuffer(3)
    for v in (1, 2, 3, 4):
        ring.append(v)
    assert ring.values().tolist() == [2, 3, 4]
    stats = RollingStats(window=100)
    for i in range(200):
        stats.add({"total": float(i), "inference": 1.0, "heads": 2.0})
    assert stats.keys() == ["inference", "heads", "total"]
    assert stats.last("total") == 199
    assert stats.percentile("total", 50) == pytest.approx(149.5)
    assert np.isnan(stats.percentile("nope", 50))
    stats.add({"total": 5.0, "classify": 3.0})  # a stage seen later has a shorter window
    table = stats.percentile_table((50, 95))
    assert set(table) == {"inference", "heads", "classify", "total"}
    for key in table:
        assert table[key] == pytest.approx((stats.percentile(key, 50), stats.percentile(key, 95)))
    assert table["classify"] == (3.0, 3.0)


def test_qt_binding_does_not_steal_references_to_none(qtbot):
    """PySide6-Essentials 6.12.0 on Python < 3.12 lost a reference to None on every void call
    (and to True on every emit), aborting the interpreter within seconds of playback; the
    dependency pin excludes it, and this guards against a binding with the same bug."""
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(1000):
        label.setText("x")
    assert sys.getrefcount(None) - before > -100


def test_refresh_throttle_coalesces_and_waits_for_a_visible_panel(qtbot):
    from PySide6.QtWidgets import QWidget

    from movenet_studio.gui.throttle import RefreshThrottle

    panel = QWidget()
    qtbot.addWidget(panel)
    calls = []

    def refresh():
        throttle.refreshed()
        calls.append(len(calls))

    throttle = RefreshThrottle(refresh, panel, interval_ms=500, while_visible=True)
    throttle.request()
    assert calls == []                    # hidden: no drawing
    panel.show()
    qtbot.waitExposed(panel)
    assert calls == [0]                   # caught up when it appeared
    throttle.refreshed()                  # the interval starts now
    for _ in range(5):
        throttle.request()                # within the interval: one refresh, later
    assert calls == [0]
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=GUI_WAIT_MS)
