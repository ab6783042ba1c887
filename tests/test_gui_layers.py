"""The Layers dock: captures A and B in the background only while open, draws the SQNR curve,
the table and one tensor's channel grids, and never touches the engine's pipeline."""

from __future__ import annotations

import os


from conftest import GUI_WAIT_MS, data_file, wait_results
from movenet_studio.gui.panels.readable import MIN_VISIBLE_ROWS, rows_height


def test_layers_dock_float16_vs_int8(window_on, tmp_path):
    window = window_on(data_file("pose_1.mp4"), model="lightning-float16", loop=True)
    layers = window.layers
    assert not layers.dock.isVisible() and layers.worker.captures == 0
    wait_results(window, 3)
    assert layers.worker.captures == 0 and not layers.worker.is_running  # nothing while closed
    model_before = window.engine.model_info if hasattr(window.engine, "model_info") else None
    layers.action.trigger()
    window.qtbot.waitUntil(lambda: layers.worker.captures >= 2 and layers.panel.table.rowCount() > 0,
                           timeout=GUI_WAIT_MS)
    panel = layers.panel
    assert "lightning-int8" in panel.b_combo.currentText()
    assert panel.table.rowCount() >= 100
    xs, ys = panel.mean_curve.getData()
    assert len(xs) == panel.table.rowCount() and ys.min() < panel.threshold_db  # int8 diverges somewhere
    assert panel.divergence_line.isVisible()
    assert panel.grid_a.shown_shape is not None and panel.grid_a.shown_shape == panel.grid_b.shown_shape
    # Opens shallowest first with the first divergence selected and in view, 8 rows or more, ops whole
    table = panel.table
    depths = [int(table.item(r, 0).text()) for r in range(table.rowCount())]
    assert depths == sorted(depths)
    selected = table.selectedItems()[0].row()
    assert table.viewport().rect().intersects(table.visualRect(table.model().index(selected, 0)))
    assert table.height() >= rows_height(table, MIN_VISIBLE_ROWS)
    ops = [table.item(r, 1).text() for r in range(table.rowCount())]
    assert table.columnWidth(1) >= max(table.fontMetrics().horizontalAdvance(op) for op in ops)
    panel.table.sortItems(4)  # by mean SQNR, lowest first
    worst = panel.table.item(0, 0).data(0x0100)
    panel.table.selectRow(0)
    assert panel._selected == worst and panel.grid_a.shown_shape is not None
    # (which tensor is worst depends on the frames captured so far; pick a [17] one by shape)
    vector = next(i for i, r in enumerate(panel._update.rows_mean) if list(r["shape"]) == [17])
    panel.select(vector)
    assert panel.grid_a.shown_shape == (1, 1, 17)  # a [17] tensor: one row of 17 values
    conv = next(i for i, r in enumerate(panel._update.rows_mean) if r["op"] == "CONV_2D" and r["shape"][-1] >= 32)
    panel.select(conv)
    assert panel.grid_a.shown_shape[0] == panel._update.rows_mean[conv]["shape"][-1]  # one tile per channel
    if model_before is not None:
        assert window.engine.model_info is model_before  # nothing reloaded
    # Issue 25: the running mean covers one video; another source starts it again.
    window.qtbot.waitUntil(lambda: panel._update.pair.frames >= 4, timeout=GUI_WAIT_MS)
    seen = []  # (connected first: the new source's first capture may come at once)
    layers.worker.updated.connect(lambda update: seen.append(update.pair.frames))
    window.open_source(str(data_file("pose_squats.mp4")))
    # The old video's updates have 4 frames or more; the new one's start again (0 at the reset,
    # then 1, 2, ... though an update may pool two captures when the GUI thread is busy).
    window.qtbot.waitUntil(lambda: any(0 < f <= 2 for f in seen), timeout=30_000)
    layers.dock.close()
    done = layers.worker.captures
    wait_results(window, 3)
    assert layers.worker.captures <= done + 1  # at most the capture in flight when it closed


def test_compare_head_difference_overlay(window_on):
    from movenet_studio.gui.overlays.head_diff import CENTRE, HEATMAPS, head_difference

    window = window_on(data_file("pose_1.mp4"), model="lightning-float16", compare="lightning-int8", loop=True)
    window.qtbot.waitUntil(lambda: window.video_view.last_result is not None
                           and window.video_view.last_result.compare is not None, timeout=GUI_WAIT_MS)
    generation = window.engine.generation
    diff = window.head_diff
    assert not diff.item.isVisible()
    diff.controls.mode_combo.setCurrentIndex(diff.controls.mode_combo.findData(HEATMAPS))
    window.qtbot.waitUntil(lambda: diff.item.isVisible(), timeout=GUI_WAIT_MS)
    result = diff._last
    values = head_difference(result, HEATMAPS, None)
    assert values.shape == (48, 48) and 0 < float(abs(values).max()) <= diff.shown_limit
    assert window.engine.generation == generation and window.engine.model.kept  # nothing reloaded or reset
    diff.controls.mode_combo.setCurrentIndex(diff.controls.mode_combo.findData(CENTRE))
    wait_results(window, 2)
    assert diff.item.isVisible() and head_difference(diff._last, CENTRE, None).shape == (48, 48)
    if os.environ.get("MOVENET_STUDIO_SCREENSHOT_DIFF"):
        diff.controls.mode_combo.setCurrentIndex(diff.controls.mode_combo.findData(HEATMAPS))
        window.compare_dock.raise_()
        wait_results(window, 2)
        scroll = window.compare_dock.widget()
        scroll.ensureWidgetVisible(diff.controls)
        window.grab().save(os.environ["MOVENET_STUDIO_SCREENSHOT_DIFF"])
    window.compare.stop()  # the difference needs B: without compare A's heads are not read for it
    window.qtbot.waitUntil(lambda: not window.engine.config.heads, timeout=GUI_WAIT_MS)
    wait_results(window, 2)
    assert not diff.item.isVisible() and "Compare" in diff.controls.note.text()
    diff.controls.mode_combo.setCurrentIndex(0)
    wait_results(window, 2)
    assert not diff.item.isVisible() and not window.engine.config.heads


def test_layers_dock_takes_a_file_b_and_reports_bad_b(window_on):
    zoo = data_file("pose.jpg").parents[1] / "models" / "zoo" / "movenet_lightning_heatmaps_192_int8_pc.tflite"
    window = window_on(data_file("pose.jpg"), model="lightning-float16")
    layers = window.layers
    layers.action.trigger()
    layers.set_b("no-such-model")
    window.qtbot.waitUntil(lambda: "no-such-model" in layers.panel.status.text(), timeout=GUI_WAIT_MS)
    if not zoo.exists():
        return
    layers.set_b(str(zoo))  # heatmaps only: not a pipeline model, still captured
    window.qtbot.waitUntil(lambda: layers.panel.table.rowCount() >= 80, timeout=GUI_WAIT_MS)
    assert layers.worker.captures >= 1 and "heatmaps" in layers.panel.status.text()


def test_layers_dock_remembers_b_and_threshold(window_on, make_window, gui_settings):
    window = make_window()
    window.layers.panel.threshold_spin.setValue(12.5)
    window.layers.set_b("lightning-float16:onnx")
    window.close()
    again = window_on(data_file("pose.jpg"), model="lightning-float16")  # the next start
    layers = again.layers
    assert layers.panel.threshold_db == 12.5
    layers.action.trigger()
    again.qtbot.waitUntil(lambda: layers.panel.table.rowCount() > 0, timeout=GUI_WAIT_MS)
    assert layers.panel.b_combo.currentText() == "lightning-float16:onnx"
    assert layers.worker.captures >= 1 and "(onnx)" in layers.panel.status.text()
