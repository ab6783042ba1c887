"""The window gives every panel room (issue 26): named layouts at common screen sizes keep plots
at least 120 px high and tables 8 rows, the Heads tiles 64 px at 1920x1080; a portrait video is
fitted whole; the wheel scrolls the Controls panel instead of changing its drop-downs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QSlider

from conftest import GUI_WAIT_MS, data_file
from conftest import wait_results as _results
from movenet_studio.gui.panels.readable import MIN_PLOT_HEIGHT, MIN_VISIBLE_ROWS, rows_height
from movenet_studio.gui.layout_names import LAYOUT_KEYS


@pytest.fixture
def window(window_on):
    return window_on(data_file("pose_1.mp4"), overlays="skeleton,heatmaps", loop=True)


def _plot_heights(window) -> dict[str, int]:
    """Screen heights of the plots showing now (behind a tab or in a closed dock: not counted)."""
    heights = {}
    if window.latency_panel.plot.isVisible():
        heights["latency"] = window.latency_panel.plot.getViewBox().sceneBoundingRect().height()
    plots = window.timeline.plots
    if plots.isVisible():
        for name, plot in zip(("pose", "x", "y", "score"), plots.plots):
            heights[f"timeline {name}"] = plot.getViewBox().sceneBoundingRect().height()
    return heights


@pytest.mark.parametrize("size", [(1280, 720), (1400, 900), (1920, 1080)])
def test_each_named_layout_gives_plots_tables_and_heads_room(window, size):
    window.resize(*size)
    _results(window, 3)
    seen = set()
    for key in LAYOUT_KEYS:
        window.apply_layout(key)
        window.qtbot.waitUntil(lambda: window.width() == size[0], timeout=GUI_WAIT_MS)
        QApplication.processEvents()
        _results(window, 2)
        window.flush_views()
        assert (window.width(), window.height()) == size, key  # the docks' minimum sizes fit the screen
        heights = _plot_heights(window)
        seen.update(heights)
        # The view box (the data area, without the axes) is at least 120 px high, less the axis' text
        assert all(h >= MIN_PLOT_HEIGHT - 40 for h in heights.values()), (key, heights)
        table = window.latency_panel.table
        assert table.height() >= rows_height(table, min(table.rowCount(), MIN_VISIBLE_ROWS)) - 1
        if key == "timeline":
            assert window.timeline.plots.isVisible() and {"timeline x", "timeline y"} <= heights.keys()
        if key in ("default", "heads"):
            assert window.heads_dock.isVisible() and window.heads_panel.isVisible()
            if size == (1920, 1080):
                assert window.heads_panel.tile_px >= 64, (key, window.heads_panel.tile_px)
        if key == "heads":
            assert window.heads_panel.tile_px >= 48
        if key == "compare":
            assert window.compare_dock.isVisible() and window.compare_panel.isVisible()
    assert "latency" in seen  # the Latency plot showed in some layout at this size


def test_layout_is_remembered_and_checked_in_the_menu(make_window, gui_settings):
    window = make_window()
    window.layout_actions["timeline"].trigger()
    assert window.timeline_dock.isVisible() and window.layout_key == "timeline"
    # Nothing open: messages instead of bare axes
    assert window.timeline.plots_state.empty and window.timeline.plots_state.label.isVisible()
    assert window.latency_panel.plot_state.empty
    window.close()
    again = make_window()
    assert again.layout_key == "timeline" and again.layout_actions["timeline"].isChecked()
    assert again.timeline_dock.isVisible()


def test_portrait_video_opens_fitted_whole_and_ctrl0_fits_again(window_on):
    window = window_on(data_file("pose_squats.mp4"))
    view = window.video_view
    window.flush_views()
    assert not window.latency_panel.plot_state.empty and not window.timeline.plots_state.empty
    window.resize(1920, 1080)
    window.apply_layout("timeline")  # the Timeline under the video: a wide, short view
    window.qtbot.waitUntil(lambda: view.image_item.frame_shape is not None, timeout=GUI_WAIT_MS)
    h, w = view.image_item.frame_shape[:2]
    assert h > w  # the portrait clip (720x1280)

    def shows_whole_frame() -> bool:
        rect = view.view_box.viewRect()
        return rect.left() <= 0.5 and rect.top() <= 0.5 and rect.right() >= w - 0.5 and rect.bottom() >= h - 0.5

    window.qtbot.waitUntil(shows_whole_frame, timeout=GUI_WAIT_MS)
    assert view.view_box.width() > view.view_box.height()  # a wide view
    view.view_box.scaleBy((0.3, 0.3))  # zoomed in (as with the wheel)
    view._zoomed_by_user()
    assert not shows_whole_frame()
    window.fit_action.trigger()
    assert shows_whole_frame() and view.fitted
    assert window.zoom_label.text().startswith("zoom ") and view.zoom < 1.0
    window.actual_size_action.trigger()
    assert view.zoom == pytest.approx(1.0, rel=0.02) and window.zoom_label.text() == "zoom 100 %"


def _wheel(widget, notches: int = -1) -> None:
    """A real wheel event (one notch down) over the middle of `widget`."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_wheel_over_controls_scrolls_the_panel_and_changes_nothing(window):
    window.resize(1280, 720)
    _results(window, 2)
    area = window.controls_dock.widget()
    panel = area.widget()
    widgets = [w for w in panel.findChildren(QComboBox) + panel.findChildren(QSlider) if w.isVisibleTo(panel)]
    assert len(widgets) >= 10  # model, backend, provider, overlay keypoint / offsets / colour maps, opacities...
    assert window.controls.source.slider in widgets and window.controls.model.combo in widgets
    widgets.remove(window.controls.source.slider)  # it moves as the video plays; guarded all the same
    config, overlays = window.engine.config, window.overlay_controls.options
    values = [(w.currentIndex() if isinstance(w, QComboBox) else w.value()) for w in widgets]
    bar = area.verticalScrollBar()
    bar.setValue(0)
    for widget in widgets:
        area.ensureWidgetVisible(widget)
        before = bar.value()
        _wheel(widget, -1 if before < bar.maximum() else 1)
        assert bar.value() != before or bar.maximum() == 0, widget  # the panel scrolled
    _results(window, 2)
    assert [(w.currentIndex() if isinstance(w, QComboBox) else w.value()) for w in widgets] == values
    assert window.engine.config == config and window.overlay_controls.options == overlays
    assert window.engine.model.spec.key == config.model or window.engine.config.model == config.model
    # A focused drop-down takes the wheel as usual.
    keypoint = window.overlay_controls.keypoint_combo
    keypoint.setFocus()
    window.qtbot.waitUntil(keypoint.hasFocus, timeout=GUI_WAIT_MS)
    _wheel(keypoint)
    assert keypoint.currentIndex() != values[widgets.index(keypoint)]


def test_decode_legend_draws_the_marks_the_layer_draws(window):
    """Hollow squares for the chosen cells, a cross for the centre cell, hollow circles for the
    rough keypoints, crosses for the decoded keypoints drawn above the skeleton's dots."""
    from movenet_studio.gui.overlays.head_overlays import _legend_entries

    options = window.overlay_controls.options
    entries = dict(_legend_entries("decode", options.__class__(decode=True, regression=False)))
    heads = window.video_view.heads
    drawn = {"centre cell": "+", "chosen heatmap cell": "s", "rough keypoint (centre + regression)": "o",
             "decoded keypoint": "x"}
    for label, symbol in drawn.items():
        assert entries[label].opts["symbol"] == symbol, label
    def hollow(brush) -> bool:
        return brush.style() == Qt.BrushStyle.NoBrush or brush.color().alpha() == 0

    for name in ("chosen heatmap cell", "rough keypoint (centre + regression)"):
        assert hollow(entries[name].opts["brush"]), name  # as drawn: outlines only
    assert hollow(heads.rough_item.opts["brush"])
    assert heads.final_item.zValue() > window.video_view.overlay.points_item.zValue()
