"""Live sources in the window (offscreen): a loopback stream opened by URL plays, its server
stopping shows as reconnect attempts in the status bar and a gap in the Timeline, the loss is
reported and the window stays usable; credentials never reach the title, status, recent list or
log; File > Open camera lists a fake camera's modes; File > Open stream checks the URL; URL text
dropped on the window opens it."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QDialogButtonBox

from conftest import GUI_WAIT_MS, data_file
from live_server import FolderServer, TsServer, write_hls
from movenet_studio.core.media.cameras import CameraDevice, CameraMode
from movenet_studio.core.media.live import LiveOptions, LivePolicy
from movenet_studio.gui import player as player_module
from movenet_studio.gui.engine import EngineState
from movenet_studio.gui.dialogs.live_dialogs import OpenCameraDialog, OpenStreamDialog

SECRET = "pa55word"
FAST = LivePolicy(open_timeout_s=3.0, stall_timeout_s=2.0, reconnects=2, backoff_s=0.2)


@pytest.fixture
def log_lines():
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Keep(logging.DEBUG)
    logger = logging.getLogger("movenet_studio")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_a_stream_that_stops_shows_the_drop_and_leaves_the_window_usable(make_window, qtbot, monkeypatch,
                                                                          log_lines):
    real_open = player_module.open_source
    monkeypatch.setattr(player_module, "open_source", lambda spec: real_open(spec, LiveOptions(FAST)))
    window = make_window(pace="realtime")
    qtbot.waitUntil(lambda: window.engine.state == EngineState.RUNNING, timeout=GUI_WAIT_MS)  # model loaded
    statuses: list[str] = []
    titles: list[str] = []
    window.statusBar().messageChanged.connect(statuses.append)
    window.windowTitleChanged.connect(titles.append)
    with TsServer(data_file("pose_1.mp4"), mode="stop_after", stop_after_s=2.0) as server:
        url = server.url.replace("http://", f"http://viewer:{SECRET}@")
        window.open_source(url)
        qtbot.waitUntil(lambda: window.player.info is not None and window.player.info.kind == "stream",
                        timeout=GUI_WAIT_MS)
        qtbot.waitUntil(lambda: window.video_view.last_result is not None, timeout=GUI_WAIT_MS)
        qtbot.waitUntil(lambda: "capture → result" in window.latency_panel.latency_label.text(), timeout=GUI_WAIT_MS)
        qtbot.waitUntil(lambda: any("gave up after 2 reconnect attempts" in r.message  # lost: reported, closed
                                    for r in window.reporter.history if r.serious), timeout=GUI_WAIT_MS)
    assert window.player.info is None
    assert any("viewer:***@" in title for title in titles)
    assert any("reconnecting, attempt 1 of 2" in s for s in statuses)
    assert window.timeline.plots.gaps  # the outage is shaded on the Timeline
    recent = [a.text() for a in window.recent.menu.actions()]
    assert any("viewer:***@" in text for text in recent) and not any("(not found)" in t for t in recent[:1])
    shown = " ".join([*titles, *statuses, *recent, *log_lines,
                      *(r.message + r.details for r in window.reporter.history)])
    assert SECRET not in shown
    window.open_source(str(data_file("pose_1.mp4")))  # still usable: a file plays
    qtbot.waitUntil(lambda: window.player.info is not None and window.player.info.kind == "video",
                    timeout=GUI_WAIT_MS)
    generation = window.engine.generation
    qtbot.waitUntil(lambda: window.video_view.last_result is not None
                    and window.video_view.last_result.generation >= generation, timeout=GUI_WAIT_MS)


def test_an_hls_vod_plays_every_frame_like_a_file(make_window, qtbot, tmp_path):
    write_hls(data_file("pose_1.mp4"), tmp_path, max_frames=30)
    window = make_window(pace="max")
    qtbot.waitUntil(lambda: window.engine.state == EngineState.RUNNING, timeout=GUI_WAIT_MS)  # model loaded
    with FolderServer(tmp_path) as server:
        processed = window.engine.processed
        with qtbot.waitSignal(window.player.finished, timeout=GUI_WAIT_MS):
            window.open_source(f"{server.base}/x.m3u8")
    # A recording: paced like a file (at --pace max, each frame waits for the engine), so none is
    # dropped; as a live feed the window ran as few as the engine took while it decoded the rest.
    assert window.player.info.kind == "stream"
    qtbot.waitUntil(lambda: window.engine.processed - processed == 30, timeout=GUI_WAIT_MS)


def test_open_camera_lists_modes_and_opens_the_one_picked(qtbot):
    camera = CameraDevice(0, "/dev/video0", "HD Pro Webcam C920",
                          (CameraMode("MJPG", 1280, 720, 30.0), CameraMode("YUYV", 640, 480, 15.0)))
    dialog = OpenCameraDialog([camera])
    qtbot.addWidget(dialog)
    top = dialog.tree.topLevelItem(0)
    assert "HD Pro Webcam C920" in top.text(0) and top.childCount() == 2
    dialog.tree.setCurrentItem(top.child(1))
    dialog.accept()
    assert dialog.spec == "camera:0:640x480@15"
    empty = OpenCameraDialog([])
    qtbot.addWidget(empty)
    assert not empty.buttons.button(QDialogButtonBox.StandardButton.Open).isEnabled()


def test_open_stream_checks_the_url_and_offers_recent_ones_hidden(qtbot):
    stored = f"rtsp://admin:{SECRET}@10.0.0.9/stream1"
    dialog = OpenStreamDialog([stored, "/videos/a.mp4"])
    qtbot.addWidget(dialog)
    assert dialog.combo.count() == 1 and dialog.combo.itemText(0) == "rtsp://admin:***@10.0.0.9/stream1"
    dialog.combo.setEditText("ftp://host/x")
    dialog.accept()
    assert dialog.result() == 0 and "not a stream scheme" in dialog.error.text()
    dialog.combo.setCurrentIndex(0)
    dialog.accept()
    assert dialog.url == stored


def test_dropped_url_text_opens_the_stream(make_window, monkeypatch):
    window = make_window()
    opened: list[str] = []
    monkeypatch.setattr(window, "open_source", opened.append)
    data = QMimeData()
    data.setText("http://127.0.0.1:8090/live.ts\n")
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, data, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert opened == ["http://127.0.0.1:8090/live.ts"]
