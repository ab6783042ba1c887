"""Playback in the real window: replay at the end, stepping both ways, Home/End, slider
clicks, and a folder of photos that waits on the first photo."""

from __future__ import annotations

import cv2
import pytest
from PySide6.QtCore import QPoint, Qt

from conftest import GUI_WAIT_MS, data_file
from conftest import wait_results as _results


def _index(window) -> int:
    return window.video_view.last_result.result.index


def _wait_index(window, index: int) -> None:
    window.qtbot.waitUntil(lambda: window.video_view.last_result is not None and _index(window) == index,
                           timeout=GUI_WAIT_MS)


@pytest.fixture
def video_window(window_on):
    return window_on(data_file("pose_squats.mp4"), pace="max", loop=False)


def test_play_at_the_end_replays_from_the_first_frame(video_window):
    window = video_window
    last = window.player.info.frame_count - 1
    _wait_index(window, last)
    window.qtbot.waitUntil(lambda: not window.player.is_playing, timeout=GUI_WAIT_MS)
    assert window.statusBar().currentMessage().startswith("End of")
    with window.qtbot.waitSignal(window.player.playing_changed, timeout=GUI_WAIT_MS) as blocker:
        window.play_action.trigger()  # Space
    assert blocker.args == [True]
    window.qtbot.waitUntil(lambda: window.video_view.last_result.result.index < last, timeout=GUI_WAIT_MS)
    assert not window.statusBar().currentMessage().startswith("End of")  # the stale message is gone


def test_step_back_forward_home_end_and_slider_click(video_window):
    window = video_window
    window.player.pause()
    window.qtbot.waitUntil(lambda: not window.player.is_playing, timeout=GUI_WAIT_MS)
    count = window.player.info.frame_count
    window.last_action.trigger()  # End
    _wait_index(window, count - 1)
    assert window.controls.source.position_label.text() == f"{count - 1} / {count - 1}"  # numbered from 0
    window.step_back_action.trigger()  # Left
    _wait_index(window, count - 2)
    window.first_action.trigger()  # Home
    _wait_index(window, 0)
    window.step_back_action.trigger()  # nothing before the first frame
    window.step_action.trigger()  # Right
    _wait_index(window, 1)
    assert not window.player.is_playing
    slider = window.controls.source.slider
    window.controls_dock.show()
    window.qtbot.waitUntil(slider.isVisible, timeout=GUI_WAIT_MS)
    x = slider.width() * 3 // 4
    expected = slider.value_at(x)
    assert abs(expected - 0.75 * (count - 1)) <= 0.06 * count  # about three quarters in, not one page
    window.qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(x, slider.height() // 2))
    _wait_index(window, expected)


def test_folder_of_photos_opens_paused_on_the_first(make_window, qtbot, tmp_path):
    photo = cv2.imread(str(data_file("pose.jpg")))
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"photo_{i}.jpg"), photo if i != 1 else cv2.flip(photo, 1))
    window = make_window(source=str(tmp_path), loop=True)
    window.qtbot = qtbot
    _results(window)
    assert _index(window) == 0 and not window.player.is_playing
    processed = window.engine.processed
    window.step_action.trigger()
    _wait_index(window, 1)
    assert window.engine.processed == processed + 1 and not window.player.is_playing
