"""Panels a newcomer reads: statistics that start again, paused shown as paused, compare rows
that go, side panels without sideways scrolling, the window title and View > Reset layout (the
panels' sizes at common window sizes: test_gui_layout.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from conftest import GUI_WAIT_MS, data_file
from conftest import wait_results as _results
from movenet_studio.core.drawing.colormaps import colormap_lut


@pytest.fixture
def window(window_on):
    return window_on(data_file("pose_1.mp4"), overlays="skeleton,heatmaps", loop=True)


def test_statistics_restart_paused_reads_paused_and_compare_rows_go(window):
    panel, qtbot = window.latency_panel, window.qtbot
    qtbot.waitUntil(lambda: panel.results >= 5, timeout=GUI_WAIT_MS)
    window.compare.start("lightning-int8")
    qtbot.waitUntil(lambda: "inference (B)" in panel.stage_rows(), timeout=GUI_WAIT_MS)
    window.compare.stop()
    qtbot.waitUntil(lambda: window.engine.model.compare is None, timeout=GUI_WAIT_MS)
    _results(window, 2)
    panel.refresh()
    assert not [key for key in panel.stage_rows() if "(B)" in key] and "inference (B)" not in panel.curves
    processed_at_switch = []
    window.engine.model_changed.connect(lambda _info: processed_at_switch.append(window.engine.processed))
    window.open_model("thunder")
    qtbot.waitUntil(lambda: window.engine.model.spec.variant == "thunder", timeout=GUI_WAIT_MS)
    _results(window, 3)
    panel.refresh()
    # Counted again from the switch: at least the 3 waited for, at most what the worker ran since
    # (frames shown is no bound: the view may skip drawing a result on a busy machine).
    assert 3 <= panel.results <= window.engine.processed - processed_at_switch[-1]
    assert int(panel.frames_label.text().split()[0]) <= window.engine.processed - 3
    window.player.pause()
    qtbot.waitUntil(lambda: panel.fps_label.text() == "paused", timeout=GUI_WAIT_MS)
    window.player.step()
    _results(window)
    panel.refresh()
    assert panel.fps_label.text() == "paused"


def test_side_panels_title_and_reset_layout(window):
    controls = window.controls_dock.widget()
    assert controls.horizontalScrollBar().isHidden() or controls.horizontalScrollBar().maximum() == 0
    assert controls.viewport().width() >= window.controls.minimumSizeHint().width()
    assert window.windowTitle().count("MoveNet Studio") <= 1 and "pose_1.mp4" in window.windowTitle()
    window.model_info_dock.raise_()  # Model info: A alone uses the dock's width (not half of it)
    info = window.model_info
    window.qtbot.waitUntil(lambda: info.isVisible() and info.values["file"][0].width() > 0.55 * info.width(),
                           timeout=GUI_WAIT_MS)
    window.latency_dock.hide()
    window.controls_dock.hide()
    window.reset_layout_action.trigger()
    assert window.latency_dock.isVisible() and window.controls_dock.isVisible()
    assert window.heads_dock.isVisible()  # a head layer is on


def _item_enabled(combo, data) -> bool:
    return combo.model().item(combo.findData(data)).isEnabled()


def test_impossible_combinations_are_disabled_with_a_reason(make_window, qtbot):
    from movenet_studio.gui.dialogs.bench_dialog import BenchDialog

    window = make_window(source=str(data_file("pose.jpg")), model="lightning-int8")
    runtime = window.controls.backend.backend_combo
    qtbot.waitUntil(lambda: not _item_enabled(runtime, "onnx"), timeout=GUI_WAIT_MS)
    assert "no ONNX Runtime file" in runtime.itemData(
        runtime.findData("onnx"), Qt.ItemDataRole.ToolTipRole)
    window.open_model("lightning")
    qtbot.waitUntil(lambda: _item_enabled(runtime, "onnx"), timeout=GUI_WAIT_MS)
    window.engine.update_config(backend="onnx")
    models = window.controls.model.combo
    qtbot.waitUntil(lambda: not _item_enabled(models, "lightning-int8"), timeout=GUI_WAIT_MS)
    assert _item_enabled(models, "thunder-float16")
    panel = window.compare_panel  # B: int8 greys out ONNX Runtime
    panel.model_combo.setCurrentIndex(panel.model_combo.findData("thunder-int8"))
    panel._sync_availability()
    assert not _item_enabled(panel.backend_combo, "onnx")
    dialog = BenchDialog(window)
    dialog.backend_checks["tflite"].setChecked(False)
    dialog.backend_checks["onnx"].setChecked(True)
    items = {dialog.models_list.item(r).text(): dialog.models_list.item(r) for r in range(dialog.models_list.count())}
    assert not items["lightning-int8"].flags() & Qt.ItemFlag.ItemIsEnabled and "no onnx file" in items[
        "lightning-int8"].toolTip()
    dialog.backend_checks["tflite"].setChecked(True)
    dialog.set_selection(models=["lightning-int8", "lightning-float16"])
    assert {(c.model, c.backend) for c in dialog.configs()} == {
        ("lightning-int8", "tflite"), ("lightning-float16", "tflite"), ("lightning-float16", "onnx")}
    dialog.close()


def test_open_recent_and_copy_keypoints(make_window, gui_settings, qtbot):
    import json

    from PySide6.QtGui import QGuiApplication

    image, video = data_file("pose.jpg"), data_file("pose_squats.mp4")
    window = make_window(source=str(image))
    window.qtbot = qtbot
    _results(window)
    window.open_source(str(video))
    qtbot.waitUntil(lambda: gui_settings.recent_sources[:2] == [str(video), str(image)], timeout=GUI_WAIT_MS)
    window.recent.rebuild()
    actions = [a for a in window.recent.menu.actions() if a.data()]
    assert [a.data() for a in actions] == [str(video), str(image)]
    actions[1].trigger()  # reopen the photo
    qtbot.waitUntil(lambda: window.player.info.name == image.name and window.video_view.last_result is not None
                    and window.video_view.last_result.result.frame.shape[1] == 1000, timeout=GUI_WAIT_MS)
    window.copy_keypoints_action.trigger()
    copied = json.loads(QGuiApplication.clipboard().text())
    pose = window.video_view.last_result.result.poses[0]
    assert copied["index"] == 0 and len(copied["poses"][0]["keypoints"]) == 17
    assert abs(copied["poses"][0]["keypoints"][0]["x"] - float(pose.keypoints[0, 0])) < 0.01
    for spec in (f"/nowhere/{i}.mp4" for i in range(12)):
        gui_settings.add_recent_source(spec)
    assert len(gui_settings.recent_sources) == 10


def test_speed_readout_on_the_video(window):
    readout = window.speed_readout
    assert not readout.isVisible()
    window.controls.display.speed_check.setChecked(True)
    window.qtbot.waitUntil(lambda: "FPS · inference" in readout.text() and not readout.text().startswith("–"),
                           timeout=GUI_WAIT_MS)
    assert readout.isVisible() and readout.parent() is window.video_view.graphics
    window.controls.display.speed_check.setChecked(False)
    assert not readout.isVisible()


def test_colour_bars_beside_heatmaps_one_per_colour_map(window):
    view = window.video_view
    bars = view.colour_bars
    assert view.colour_bar_layers == ("heatmaps",) and bars["heatmaps"].isVisible()  # heatmaps are on
    assert tuple(bars["heatmaps"].levels()) == (0.0, 1.0)
    window.overlay_controls.set_layer("centre", True)
    assert view.colour_bar_layers == ("heatmaps", "centre") and bars["centre"].isVisible()
    top = {name: bar.colorMap().getLookupTable(nPts=2)[-1][:3].tolist() for name, bar in bars.items()}
    assert top["heatmaps"] == colormap_lut("inferno")[255].tolist()
    assert top["centre"] == colormap_lut("viridis")[255].tolist()  # distinct by default
    window.overlay_controls.set_layer("heatmaps", False)
    assert view.colour_bar_layers == ("centre",) and not bars["heatmaps"].isVisible()
    window.overlay_controls.set_layer("centre", False)
    assert view.colour_bar_layers == () and not bars["centre"].isVisible()


def test_offset_arrows_scale_and_say_so(window):
    heads = window.video_view.heads
    controls = window.overlay_controls
    window.player.pause()
    window.qtbot.waitUntil(lambda: not window.player.is_playing, timeout=GUI_WAIT_MS)
    controls.set_layer("offsets", True)
    window.qtbot.waitUntil(lambda: heads.offsets_item.isVisible(), timeout=GUI_WAIT_MS)

    def longest() -> float:
        x, y = heads.offsets_item.getData()
        shafts = np.stack([x, y], axis=1)[:34].reshape(17, 2, 2)  # 17 shafts (start, end), then barbs
        return float(np.hypot(*(shafts[:, 1] - shafts[:, 0]).T).max())

    assert controls.offset_scale.value() == 3.0
    assert "offset: chosen cell → keypoint (drawn ×3)" in heads.legend_labels
    three = longest()
    controls.offset_scale.setValue(1)
    assert heads.legend_labels == ["offset: chosen cell → keypoint"]
    assert longest() == pytest.approx(three / 3)
    controls.set_layer("offsets", False)


def test_head_line_layers_have_a_legend(window):
    heads = window.video_view.heads
    assert heads.legend_labels == []
    window.overlay_controls.set_layer("decode", True)
    window.overlay_controls.set_layer("regression", True)
    labels = heads.legend_labels
    assert "decoded keypoint" in labels and "regression: centre → rough keypoint" in labels
    window.overlay_controls.set_layer("decode", False)
    window.overlay_controls.set_layer("regression", False)
    assert heads.legend_labels == []


def test_a_reset_keeps_no_earlier_runs_rows_and_paused_reads_no_rate(window):
    """Issue 25: the Latency table's heads row goes with the run that had heads; the on-video
    readout says "paused" while paused, not a frame rate."""
    panel, qtbot = window.latency_panel, window.qtbot
    qtbot.waitUntil(lambda: "heads" in panel.stage_rows(), timeout=GUI_WAIT_MS)
    window.overlay_controls.set_layer("heatmaps", False)  # heads off: kept, figures carry on
    qtbot.waitUntil(lambda: not window.engine.model.config.heads, timeout=GUI_WAIT_MS)
    window.open_model("thunder")
    qtbot.waitUntil(lambda: window.engine.model.spec.variant == "thunder", timeout=GUI_WAIT_MS)
    _results(window, 2)
    panel.refresh()
    assert "heads" not in panel.stage_rows() and "inference" in panel.stage_rows()
    window.speed_readout.set_enabled(True)
    window.player.pause()
    qtbot.waitUntil(lambda: not window.player.is_playing, timeout=GUI_WAIT_MS)
    window.player.step()
    _results(window)
    assert window.speed_readout.text().startswith("paused") and "FPS" not in window.speed_readout.text()
