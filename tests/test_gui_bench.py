"""Tools > Benchmark…: run_bench in the background from the window, plots, cancel, JSON (offscreen)."""

from __future__ import annotations

import json

import pytest

from conftest import GUI_WAIT_MS, data_file, wait_progress
from movenet_studio.gui.dialogs.bench_dialog import parse_threads

WAIT_MS = GUI_WAIT_MS


@pytest.fixture
def bench(make_window, qtbot):
    """The window on pose.jpg (first result shown) and its Benchmark dialog."""
    window = make_window(source=str(data_file("pose.jpg")))
    qtbot.waitUntil(lambda: window.video_view.last_result is not None, timeout=WAIT_MS)
    window.bench_action.trigger()
    dialog = window.bench_dialog
    assert dialog.isVisible() and not dialog.isModal()
    return window, dialog


def test_parse_threads():
    assert parse_threads(" 1, 2,2 ,4") == [1, 2, 4]
    for bad in ("", "0", "two", "1,-1"):
        with pytest.raises(ValueError):
            parse_threads(bad)


def test_tiny_benchmark_plots_and_saves_json(bench, qtbot, tmp_path):
    window, dialog = bench
    assert "pose.jpg" in dialog.source_label.text()
    dialog.set_selection(models=["lightning-float16"], backends=["tflite"], threads=[1], heads=False,
                         frames=3, warmup=1)
    assert [c.label for c in dialog.configs()] == ["lightning-float16 tflite 1t"]
    with qtbot.waitSignal(dialog.finished_report, timeout=WAIT_MS) as done:
        dialog.run_button.click()
        assert dialog.running and dialog.cancel_button.isEnabled() and not dialog.run_button.isEnabled()
    report = done.args[0]
    assert not report.cancelled and [r.status for r in report.results] == ["ok"]
    heights = dialog.plots.bar_heights()
    assert len(heights["raw"]) == len(heights["pipeline"]) == 1
    assert heights["raw"][0] == pytest.approx(report.results[0].raw_fps) and heights["pipeline"][0] > 0
    for series in ("raw p50", "raw p95", "raw p99", "pipeline p50", "pipeline p95", "pipeline p99"):
        assert len(heights[series]) == 1 and heights[series][0] > 0, series
    assert heights["raw p50"][0] <= heights["raw p99"][0]
    assert dialog.plots.labels == ["lightning-float16 tflite 1t"]
    assert "lightning-float16 tflite 1t" in dialog.table.toPlainText()
    # The text report is readable: at the dialog's size every line and column shows, unscrolled.
    dialog.tabs.setCurrentWidget(dialog.table)
    qtbot.waitUntil(dialog.table.isVisible, timeout=WAIT_MS)
    assert dialog.table.horizontalScrollBar().maximum() == 0 and dialog.table.verticalScrollBar().maximum() == 0
    assert dialog.save_button.isEnabled()
    out = tmp_path / "bench.json"
    assert dialog.save_json(out)
    saved = json.loads(out.read_text())
    assert saved["configurations"][0]["model"] == "lightning-float16" and saved["frames"] == 3
    qtbot.waitUntil(lambda: not dialog.running and dialog.run_button.isEnabled(), timeout=WAIT_MS)


def test_per_op_profile_shown_per_configuration(bench, qtbot):
    window, dialog = bench
    dialog.set_selection(models=["lightning-float16"], backends=["tflite", "onnx"], threads=[1], heads=False,
                         frames=2, warmup=1, per_op=True)
    with qtbot.waitSignal(dialog.finished_report, timeout=WAIT_MS) as done:
        dialog.run_button.click()
    tflite, onnx = done.args[0].results
    assert tflite.per_op is None and onnx.per_op is not None
    # The profiled configuration is shown first: op types slowest on top, Conv first for MoveNet.
    assert dialog.per_op_choice.count() == 2 and dialog.per_op_choice.currentData() is onnx
    rows = dialog.per_op_plot.rows
    assert rows[0][0] == "Conv" and [r[1] for r in rows[:-1]] == sorted((r[1] for r in rows[:-1]), reverse=True)
    assert list(dialog.per_op_plot.bars.opts["width"]) == [r[1] for r in rows]
    assert sum(r[2] for r in rows) == pytest.approx(1.0, abs=1e-3)
    assert "per-op profile of lightning-float16 onnx 1t" in dialog.table.toPlainText()
    dialog.per_op_choice.setCurrentIndex(0)  # TFLite: no bars, the reason in the title
    assert dialog.per_op_plot.rows == [] and "no per-op profile" in dialog.per_op_plot.plotItem.titleLabel.text
    qtbot.waitUntil(lambda: not dialog.running and dialog.run_button.isEnabled(), timeout=WAIT_MS)


def test_cancel_keeps_the_window_live(bench, qtbot):
    window, dialog = bench
    dialog.pause_check.setChecked(False)
    dialog.set_selection(models=["lightning-float16"], backends=["tflite"], threads=[1], frames=5000, warmup=0)
    with qtbot.waitSignal(dialog.finished_report, timeout=WAIT_MS) as done:
        task = dialog.start()
        wait_progress(qtbot, task.progress)
        # The window still serves results while the benchmark runs (Space shows the image again).
        with qtbot.waitSignal(window.engine.result_ready, timeout=WAIT_MS):
            window.play_action.trigger()
        dialog.cancel_button.click()
    report = done.args[0]
    assert report.cancelled and report.results[0].status == "cancelled"
    assert dialog.status_label.text().startswith("Cancelled")
    qtbot.waitUntil(lambda: not dialog.running, timeout=WAIT_MS)


def test_bad_choices_do_not_start(bench):
    _window, dialog = bench
    dialog.set_selection(models=[])
    assert dialog.start() is None and "model" in dialog.status_label.text()
    dialog.set_selection(models=["lightning-float16"], threads=[])
    dialog.threads_edit.setText("zero")
    assert dialog.start() is None and dialog.task is None


def test_closing_the_window_stops_a_running_benchmark(bench, qtbot):
    window, dialog = bench
    dialog.set_selection(models=["lightning-float16"], backends=["tflite"], threads=[1], frames=5000, warmup=0)
    task = dialog.start()
    wait_progress(qtbot, task.progress)
    window.close()
    assert not task.is_running
