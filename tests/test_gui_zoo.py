"""The window on deployment-zoo model files (../shared/models/zoo, skipped when absent):
a heatmap-only file disables the overlays it cannot draw (saying why) and a model with heads
enables them again; ST's 13-keypoint file titles its head tile (and keypoint) "head"."""

from __future__ import annotations

from conftest import GUI_WAIT_MS, data_file, wait_results
from media import shared_path
from movenet_studio.gui.controls.overlay_controls import HEATMAPS_ONLY_LAYERS, HEATMAPS_ONLY_TIP

HEATMAPS_17 = "models/zoo/movenet_lightning_heatmaps_192_int8_pc.tflite"
HEATMAPS_13 = "models/zoo/movenet_lightning_heatmaps13_192_int8_pc.tflite"


def _switch(window, model: str, check) -> None:
    """Open `model` in the window and wait for a drawn result of it (`check(spec)`)."""
    with window.qtbot.waitSignal(window.engine.model_changed, timeout=GUI_WAIT_MS,
                                 check_params_cb=lambda info: check(info.spec)):
        window.open_model(model)
    window.qtbot.waitUntil(lambda: check(window.video_view.last_result.model.spec), timeout=GUI_WAIT_MS)
    wait_results(window, 2)
    window.flush_views()


def _tile_title(window, index: int) -> str:
    return window.heads_panel.labels[index].textItem.toPlainText()


def test_heatmap_only_file_disables_the_layers_it_cannot_draw(window_on):
    path = shared_path(HEATMAPS_17)
    window = window_on(data_file("pose_1.mp4"), loop=True, overlays="skeleton,heatmaps,centre,offsets,decode")
    controls = window.overlay_controls
    assert all(controls.checks[name].isEnabled() for name in HEATMAPS_ONLY_LAYERS)
    assert window.video_view.heads.visible_layers() != ("heatmaps",)

    _switch(window, str(path), lambda spec: spec.output_kind == "heatmaps")
    for name in HEATMAPS_ONLY_LAYERS:
        check = controls.checks[name]
        assert not check.isEnabled() and check.toolTip() == HEATMAPS_ONLY_TIP, name
    assert "only keypoint heatmaps" in HEATMAPS_ONLY_TIP
    assert controls.checks["heatmaps"].isEnabled() and controls.options.heatmaps
    assert not (controls.options.centre or controls.options.offsets or controls.options.decode)
    assert controls.checked.centre and controls.checked.decode  # still remembered as chosen
    tuning = (controls.centre_opacity, controls.centre_colormap_combo, controls.offsets_mode, controls.offset_scale)
    for widget in tuning:  # the controls that only tune a layer it cannot draw: greyed out, saying why
        assert not widget.isEnabled() and widget.toolTip() == HEATMAPS_ONLY_TIP, widget
    assert controls.heatmap_opacity.isEnabled() and controls.colormap_combo.isEnabled()
    assert window.video_view.heads.visible_layers() == ("heatmaps",)
    assert _tile_title(window, 1) == "nose" and controls.keypoint_combo.itemText(1) == "nose"

    _switch(window, "lightning", lambda spec: spec.output_kind == "keypoints")
    for name in HEATMAPS_ONLY_LAYERS:
        assert controls.checks[name].isEnabled() and controls.checks[name].toolTip() != HEATMAPS_ONLY_TIP, name
    assert controls.options.centre and controls.options.offsets and controls.options.decode
    assert all(w.isEnabled() and w.toolTip() != HEATMAPS_ONLY_TIP for w in tuning)
    assert not any(r.serious for r in window.reporter.history), window.reporter.history


def test_13_keypoint_file_titles_its_head_tile_head(window_on):
    path = shared_path(HEATMAPS_13)
    window = window_on(data_file("pose_1.mp4"), loop=True, overlays="skeleton,heatmaps")
    window.qtbot.waitUntil(lambda: window.video_view.last_result.result.heads is not None, timeout=GUI_WAIT_MS)
    window.flush_views()
    assert _tile_title(window, 1) == "nose"
    _switch(window, str(path), lambda spec: spec.num_keypoints == 13)
    assert _tile_title(window, 1) == "head" and _tile_title(window, 6) in ("L shoulder", "L sho")
    assert window.overlay_controls.keypoint_combo.itemText(1) == "head"  # keypoint 0 (the nose's slot)
    assert window.heads_panel.refreshes >= 1
