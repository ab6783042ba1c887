"""Tools > Quantize…: a tiny run from the window opens its result as Compare B with the Layers dock
and plots the block impact; cancel writes nothing (offscreen)."""

from __future__ import annotations

import pytest

from conftest import GUI_WAIT_MS, data_file

pytest.importorskip("ai_edge_quantizer")

WAIT_MS = max(GUI_WAIT_MS, 180_000)


@pytest.fixture
def quantize(make_window, qtbot, tmp_path):
    """The window on pose.jpg and its Quantize dialog, set to 1 frame into tmp_path."""
    window = make_window(source=str(data_file("pose.jpg")))
    qtbot.waitUntil(lambda: window.video_view.last_result is not None, timeout=GUI_WAIT_MS)
    window.quantize_action.trigger()
    dialog = window.quantize_dialog
    assert dialog.isVisible() and not dialog.isModal()
    assert dialog.sources.count() == 1 and dialog.sources.item(0).text().endswith("pose.jpg")
    assert dialog.model_combo.currentText() == "lightning"
    dialog.frames_spin.setValue(1)
    dialog.target_spin.setValue(0.0)
    out = tmp_path / "out"
    out.mkdir()
    dialog.out_edit.setText(str(out / "pose_int8.tflite"))
    return window, dialog, out


def test_result_opens_as_compare_b_with_layers_and_block_chart(quantize, qtbot):
    window, dialog, folder = quantize
    task = dialog.start()
    assert task is not None and dialog.cancel_button.isEnabled() and not dialog.run_button.isEnabled()
    with qtbot.waitSignal(task.ended, timeout=WAIT_MS):
        pass
    assert task.outcome == "succeeded", dialog.status_label.text()
    out = folder / "pose_int8.tflite"
    assert out.is_file() and (folder / "pose_int8.tflite.recipe.json").is_file()
    qtbot.waitUntil(lambda: window.engine.compare_config is not None, timeout=GUI_WAIT_MS)
    assert window.engine.compare_config.model == str(out)
    assert window.layers.dock.isVisible()
    assert len(dialog.plot.names) == 14 and "head_offsets" in dialog.plot.names
    text = dialog.report_text.toPlainText()
    assert "full int8" in text and "the calibration frames themselves" in text  # one photo: nothing to hold out


def test_cancel_writes_nothing(quantize, qtbot):
    _, dialog, folder = quantize
    task = dialog.start()
    dialog.cancel()
    with qtbot.waitSignal(task.ended, timeout=WAIT_MS):
        pass
    assert task.outcome == "cancelled" and list(folder.iterdir()) == []
    assert "nothing was written" in dialog.status_label.text()
