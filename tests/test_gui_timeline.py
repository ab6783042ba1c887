"""The Timeline dock on the real window: trajectories recorded, jitter shown, click to seek,
One Euro parameters applied live (no reload, no reset) and remembered."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from conftest import GUI_WAIT_MS as WAIT_MS
from conftest import data_file
from movenet_studio.core.decoding.keypoints import KEYPOINT_NAMES
from movenet_studio.core.tracking.smoothing import MOVENET_KEYPOINT_FILTER_CONFIG, parse_one_euro
from movenet_studio.gui.panels import timeline_panel
from movenet_studio.gui.panels.readable import keypoint_label
from movenet_studio.gui.engine import EngineResult


def _click_frame(window, frame: int) -> None:
    """A real left click on the y plot of the Timeline, at `frame`."""
    plots = window.timeline.plots
    box = plots.y_plot.getViewBox()
    (_, _), (y0, y1) = box.viewRange()
    scene = box.mapViewToScene(QPointF(frame, (y0 + y1) / 2))
    QTest.mouseClick(plots.viewport(), Qt.MouseButton.LeftButton, pos=plots.mapFromScene(scene))


def test_timeline_records_plots_and_seeks(window_on, qtbot):
    window = window_on(data_file("pose_squats.mp4"), layout="timeline")  # 65 frames at 5 fps
    timeline = window.timeline
    assert window.timeline_dock.isVisible() and timeline.keypoint == "left_knee"
    qtbot.waitUntil(lambda: len(timeline.recorder) >= 30, timeout=WAIT_MS)
    window.player.pause()
    qtbot.waitUntil(lambda: not window.player.is_playing, timeout=WAIT_MS)
    window.flush_views()

    x, y = timeline.plots.y_smoothed.getData()
    _, y_raw = timeline.plots.y_raw.getData()
    recorded = np.isfinite(y)
    assert recorded.sum() >= 30 and np.isfinite(y_raw).sum() == recorded.sum()
    assert np.nanmax(y) - np.nanmin(y) > 20  # the knee goes up and down (pixels)
    cells = [timeline.table.item(row, 1).text() for row in range(timeline.table.rowCount())]
    assert [timeline.table.item(r, 0).text() for r in range(17)] == [keypoint_label(n, short=True) for n in KEYPOINT_NAMES]
    assert [timeline.table.item(r, 0).toolTip() for r in range(17)] == list(KEYPOINT_NAMES)
    assert all(text != "–" for text in cells)
    assert "jitter raw" in timeline.figures.text()

    with qtbot.waitSignal(window.engine.result_ready, timeout=WAIT_MS,
                          check_params_cb=lambda r: r.result.index == 12):
        _click_frame(window, 12)
    assert window.controls.source.slider.value() == 12
    qtbot.waitUntil(lambda: timeline.plots.cursors[0].value() == 12, timeout=WAIT_MS)  # throttled redraw


def test_filter_parameters_apply_live_and_are_remembered(window_on, qtbot, gui_settings):
    window = window_on(data_file("pose_1.mp4"), loop=True, layout="timeline")
    loads = []
    window.engine.model_changed.connect(loads.append)
    generation = window.engine.generation
    controls = window.timeline.smoothing
    assert controls.config == MOVENET_KEYPOINT_FILTER_CONFIG and not controls.reset_button.isEnabled()

    controls.beta.setValue(0.0)
    controls.min_cutoff.setValue(1.0)
    assert window.engine.config.one_euro.beta == 0 and window.engine.config.one_euro.min_cutoff == 1.0

    def smoothed_by_new_filter(result: EngineResult) -> bool:
        one_euro = result.result.one_euro
        return one_euro is not None and one_euro.beta == 0 and one_euro.min_cutoff == 1.0

    with qtbot.waitSignal(window.engine.result_ready, timeout=WAIT_MS, check_params_cb=smoothed_by_new_filter):
        pass
    assert loads == [] and window.engine.generation == generation  # no reload, no reset
    qtbot.waitUntil(lambda: window.timeline.recorder.snapshot().epoch_now >= 1, timeout=WAIT_MS)
    assert controls.reset_button.isEnabled()

    window.close()
    assert gui_settings.one_euro.beta == 0 and gui_settings.one_euro.min_cutoff == 1.0
    assert gui_settings.timeline_keypoint == "left_knee"


def test_reset_to_tfjs_defaults(window_on, qtbot, gui_settings):
    gui_settings.one_euro = parse_one_euro("min_cutoff=0.5,beta=10,d_cutoff=1")
    window = window_on(data_file("pose.jpg"), layout="timeline")
    controls = window.timeline.smoothing
    assert controls.beta.value() == 10.0 and window.engine.config.one_euro.beta == 10.0  # from settings
    controls.reset_button.click()
    assert controls.config == MOVENET_KEYPOINT_FILTER_CONFIG == window.engine.config.one_euro
    assert not controls.reset_button.isEnabled()
    with qtbot.waitSignal(window.engine.model_changed, timeout=WAIT_MS):
        window.tracking_controls.smoothing_check.setChecked(False)
    assert not controls.isEnabled()  # the knobs of a filter that does not run are off
    assert window.engine.config.one_euro == MOVENET_KEYPOINT_FILTER_CONFIG  # kept for when it runs again


def test_jitter_measured_in_the_background_and_an_old_sources_figures_never_show(window_on, qtbot, monkeypatch):
    real = timeline_panel.measure_jitter
    threads, block, entered, gate = [], threading.Event(), threading.Event(), threading.Event()

    def measure(trajectory, *args, **kwargs):
        threads.append(threading.current_thread().name)
        if block.is_set() and threading.current_thread() is not threading.main_thread():
            entered.set()
            assert gate.wait(WAIT_MS / 1000)
        return real(trajectory, *args, **kwargs)

    monkeypatch.setattr(timeline_panel, "measure_jitter", measure)
    window = window_on(data_file("pose_1.mp4"), loop=True, layout="timeline")
    timeline = window.timeline
    qtbot.waitUntil(lambda: timeline.table.item(0, 1).text() != "–", timeout=WAIT_MS)  # no flush
    assert "jitter raw" in timeline.figures.text()
    assert "movenet-jitter" in threads  # the GUI thread only measured the empty recording at open

    block.set()  # the next background measurement (the video's frames) is held until the photo is open
    qtbot.waitUntil(entered.is_set, timeout=WAIT_MS)
    with qtbot.waitSignal(window.player.opened, timeout=WAIT_MS):
        window.open_path(str(data_file("pose.jpg")))
    assert "Photos are independent" in timeline.figures.text()
    gate.set()
    qtbot.waitUntil(lambda: timeline.jitter_jobs.stale_answers >= 1, timeout=WAIT_MS)
    assert "Photos are independent" in timeline.figures.text()
    assert all(timeline.table.item(row, 1).text() == "–" for row in range(timeline.table.rowCount()))


def test_figures_of_other_keypoints_are_never_drawn(qtbot):
    from movenet_studio.core.analysis.jitter import KeypointJitter
    from movenet_studio.gui.panels.timeline_panel import TimelinePanel

    panel = TimelinePanel()
    qtbot.addWidget(panel)
    try:
        figures = KeypointJitter(2.5, 1.25, 40.0, 10)
        # An answer computed for a 13-keypoint model that is no longer shown: dropped.
        panel.jitter_jobs.finished.emit({f"keypoint_{i}": figures for i in range(13)}, 1.0)
        assert panel.table.item(0, 1).text() == "–" and panel.figures.text() == ""
        panel.jitter_jobs.finished.emit(dict.fromkeys(KEYPOINT_NAMES, figures), 1.0)
        assert [panel.table.item(0, col).text() for col in (1, 2, 3)] == ["2.50", "1.25", "40.0"]
        assert "jitter raw <b>2.50</b>" in panel.figures.text()
    finally:
        panel.shutdown()


def test_events_are_marked_listed_and_seek(window_on, qtbot, monkeypatch):
    """Left/right swaps at frames 20 and 40 of the recorded trajectory (the detector's input,
    swapped where the window hands it over) become marks on the pose plot and list rows;
    clicking a row seeks there."""
    from movenet_studio.core.analysis import events as events_module
    from movenet_studio.core.analysis.events import EVENT_KINDS

    swap = np.arange(17)
    for k, name in enumerate(KEYPOINT_NAMES):
        if name.startswith("left_"):
            j = KEYPOINT_NAMES.index("right_" + name[5:])
            swap[k], swap[j] = j, k

    def swapped(trajectory, size, options=None, independent=False):
        for frame in (20, 40):
            rows = np.flatnonzero(trajectory.index == frame)
            trajectory.smoothed[rows] = trajectory.smoothed[rows][:, swap]
            trajectory.scores[rows] = trajectory.scores[rows][:, swap]
        return events_module.events_of_trajectory(trajectory, size, options, independent)

    monkeypatch.setattr(timeline_panel, "events_of_trajectory", swapped)
    window = window_on(data_file("pose_1.mp4"))
    timeline = window.timeline
    qtbot.waitUntil(lambda: len(timeline.recorder) >= 60, timeout=WAIT_MS)
    window.player.pause()
    qtbot.waitUntil(lambda: not window.player.is_playing, timeout=WAIT_MS)
    window.flush_views()
    swaps = [e.frame for e in timeline.events if e.kind == "left_right_swap"]
    assert {20, 40} <= set(swaps) and len(timeline.events) <= 3
    x, y = timeline.plots.event_marks.getData()
    assert sorted(x.tolist()) == sorted(float(e.frame) for e in timeline.events)
    assert timeline.events_list.count() == len(timeline.events)
    assert all(kind.replace("_", " ") in timeline.events_label.toolTip() for kind in EVENT_KINDS)
    assert timeline.events_label.text().startswith(f"Events: {len(swaps)} L/R swap")
    row = [e.frame for e in timeline.events].index(40)
    item = timeline.events_list.item(row)
    rect = timeline.events_list.visualItemRect(item)
    with qtbot.waitSignal(window.engine.result_ready, timeout=WAIT_MS,
                          check_params_cb=lambda r: r.result.index == 40):
        QTest.mouseClick(timeline.events_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.controls.source.slider.value() == 40


def test_a_model_switch_starts_a_new_series(window_on, qtbot):
    """Issue 25: the Timeline and its jitter table never pool two models' frames; a switch starts
    a new series (heads and compare keep it), and a handful of frames gives no lag figure."""
    window = window_on(data_file("pose_1.mp4"), model="thunder")
    timeline = window.timeline
    qtbot.waitUntil(lambda: len(timeline.recorder) >= 4, timeout=WAIT_MS)
    window.player.pause()
    qtbot.waitUntil(lambda: not window.player.is_playing, timeout=WAIT_MS)
    before = len(timeline.recorder)
    window.engine.update_config(heads=True)  # a visualisation: the series carries on
    qtbot.waitUntil(lambda: window.engine.model.kept, timeout=WAIT_MS)
    assert len(timeline.recorder) >= before
    window.engine.update_config(model="lightning")
    qtbot.waitUntil(lambda: window.video_view.last_result.model.spec.variant == "lightning", timeout=WAIT_MS)
    window.flush_views()
    snapshot = timeline.recorder.snapshot()
    assert len(snapshot.index) == 1  # only the paused frame, rerun by Lightning
    assert timeline._jitter is not None and all(j.lag_ms is None and j.raw_px is None for j in timeline._jitter.values())
