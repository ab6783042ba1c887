"""One-key overlay and Compare toggles, model files in Open recent, and status messages that
go with their state (issue 26)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from conftest import GUI_WAIT_MS, data_file
from media import shared_path
from movenet_studio.gui.window.main_window import COMPARING_MESSAGE
from movenet_studio.gui.window.window_sources import END_MESSAGE
from movenet_studio.gui.window.window_menus import OVERLAY_HOTKEYS


def test_overlay_and_compare_hotkeys_toggle_the_panel_boxes(window_on):
    window = window_on(data_file("pose_1.mp4"), overlays="skeleton", loop=True)
    checks = window.overlay_controls.checks
    assert {name for name, _, _ in OVERLAY_HOTKEYS} == set(checks)
    QTest.keyClick(window, Qt.Key.Key_H)
    assert checks["heatmaps"].isChecked() and window.overlay_actions["heatmaps"].isChecked()
    assert window.overlay_controls.options.heatmaps
    QTest.keyClick(window, Qt.Key.Key_S)
    assert not checks["skeleton"].isChecked() and not window.overlay_controls.options.skeleton
    checks["skeleton"].setChecked(True)  # the box drives the action too
    assert window.overlay_actions["skeleton"].isChecked()
    QTest.keyClick(window, Qt.Key.Key_B)
    assert window.compare_panel.enable_check.isChecked() and window.compare_action.isChecked()
    window.qtbot.waitUntil(lambda: window.engine.model is not None and window.engine.model.compare is not None,
                           timeout=GUI_WAIT_MS)
    # "Comparing with ..." goes once the window hears that B runs (the engine holds B's model
    # before the window's model_changed slot runs); another message would have stayed
    window.qtbot.waitUntil(lambda: not window.statusBar().currentMessage().startswith(COMPARING_MESSAGE),
                           timeout=GUI_WAIT_MS)
    QTest.keyClick(window, Qt.Key.Key_B)
    window.qtbot.waitUntil(lambda: window.engine.model.compare is None, timeout=GUI_WAIT_MS)


def test_model_files_are_in_open_recent(window_on, tmp_path):
    window = window_on(data_file("pose.jpg"))
    model = shared_path("models/zoo/movenet_lightning_heatmaps_192_int8_pc.tflite")
    window.open_path(str(model))

    def texts() -> list[str]:
        window.recent.rebuild()
        return [a.text() for a in window.recent.menu.actions()]

    # the engine holds the model before the window hears of it (model_changed adds it to the list)
    window.qtbot.waitUntil(lambda: any(model.name in t and "(model)" in t for t in texts()), timeout=GUI_WAIT_MS)
    assert window.engine.model.spec.path == model and not window.engine.model.spec.bundled
    assert any("pose.jpg" in t and "(model)" not in t for t in texts())


def test_end_of_file_message_goes_when_playback_leaves_the_end(make_window, qtbot):
    window = make_window(source=str(data_file("pose_squats.mp4")), loop=False)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith(END_MESSAGE), timeout=GUI_WAIT_MS * 4)
    window.player.seek(3)
    qtbot.waitUntil(lambda: not window.statusBar().currentMessage().startswith(END_MESSAGE), timeout=GUI_WAIT_MS)
