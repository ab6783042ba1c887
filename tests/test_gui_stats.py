"""gui --stats-json: RunStats figures through the real entry point, the lag probe, the CLI flag."""

from __future__ import annotations

import json

import pytest

from conftest import GUI_WAIT_MS, data_file
from movenet_studio.cli import main
from movenet_studio.gui.app import EXIT_OK, GuiOptions, run
from movenet_studio.gui.engine import MAX_PACE_DELIVERY_HZ
from movenet_studio.gui.run_stats import LagProbe


def test_stats_json_from_a_max_pace_run(qapp, tmp_path):
    out = tmp_path / "stats.json"
    code = run(GuiOptions(source=str(data_file("pose_1.mp4")), exit_after_frames=25, pace="max", stats_json=out,
                          settings_path=tmp_path / "s.ini"))
    assert code == EXIT_OK
    stats = json.loads(out.read_text())
    assert stats["pace"] == "max" and stats["source"].endswith("pose_1.mp4")
    assert (stats["model"], stats["backend"], stats["threads"]) == ("lightning-float16", "tflite", 2)
    assert "skeleton" in stats["overlays"]
    # 25 results received: the first starts the clock, 24 are measured.
    assert stats["displayed_frames"] == 24
    assert stats["processed_frames"] >= stats["displayed_frames"]
    assert stats["processed_fps"] > 0 and stats["displayed_fps"] > 0 and stats["wall_s"] > 0
    assert stats["processed_fps"] >= stats["displayed_fps"]
    assert stats["dropped_frames"] == 0  # max pace waits for the worker instead of dropping
    assert stats["display_max_hz"] == MAX_PACE_DELIVERY_HZ  # the window shows at most 30 results a second
    for stage in ("read", "preprocess", "inference", "total"):
        figures = stats["stages_ms"][stage]
        assert figures["count"] == 24 and 0 < figures["p50"] <= figures["p95"], stage
    lag = stats["event_loop_lag_ms"]
    assert lag["interval_ms"] == 10 and lag["count"] > 0
    assert stats["submit_to_result_over_total_p95"] > 0
    slots = stats["gui_slots_ms"]  # where the GUI thread's time went
    assert slots["video.show_result"]["count"] == 24 and slots["engine.deliver (all result slots)"]["count"] >= 24
    assert slots["paint.video"]["count"] > 0 and slots["video.show_result"]["cpu_ms_per_frame"] > 0
    assert 0 <= lag["p50"] <= lag["p99"] <= lag["max"]
    assert stats["cpu_s"]["threads"].get("movenet-engine", 0) > 0
    assert len(stats["load_average"]["before"]) == 3


def test_lag_probe_measures_a_blocked_event_loop(qtbot):
    probe = LagProbe(5)
    probe.start()
    qtbot.waitUntil(lambda: len(probe.lags_ms) >= 3, timeout=GUI_WAIT_MS)
    # Block the GUI thread once (as a slow slot would) and let the probe see it.
    blocked_ms = 60
    import time

    end = time.perf_counter() + blocked_ms / 1000
    while time.perf_counter() < end:
        pass
    count = len(probe.lags_ms)
    qtbot.waitUntil(lambda: len(probe.lags_ms) > count, timeout=GUI_WAIT_MS)
    probe.stop()
    summary = probe.summary()
    assert summary["max"] >= blocked_ms - 5 - 1  # late by the block minus one interval (ms granularity)
    assert summary["count"] == len(probe.lags_ms) and not probe.running


def test_cli_flag(tmp_path, monkeypatch):
    seen = {}

    def fake_run(options):
        seen["options"] = options
        return 0

    monkeypatch.setattr("movenet_studio.gui.app.run", fake_run)
    assert main(["gui", "x.mp4", "--pace", "max", "--exit-after-frames", "5", "--stats-json",
                 str(tmp_path / "s.json")]) == 0
    options = seen["options"]
    assert options.stats_json == tmp_path / "s.json" and options.pace == "max" and options.exit_after_frames == 5


@pytest.mark.parametrize("frames", [3])
def test_stats_json_unwritable_fails_the_run(qapp, tmp_path, frames, capsys):
    code = run(GuiOptions(source=str(data_file("pose.jpg")), exit_after_frames=frames, pace="max",
                          stats_json=tmp_path / "missing" / "stats.json", settings_path=tmp_path / "s.ini"))
    assert code != EXIT_OK
    assert "could not write" in capsys.readouterr().err


def test_results_are_delivered_at_most_at_the_display_rate(qtbot):
    from movenet_studio.core.pipeline_config import PipelineConfig
    from movenet_studio.gui.engine import MAX_DELIVERY_HZ, Engine
    from test_gui_engine import FakePipeline, _frame

    assert 30 <= MAX_DELIVERY_HZ <= 120
    engine = Engine(PipelineConfig(model="m"), pipeline_factory=FakePipeline, max_delivery_hz=0.5)
    delivered = []
    engine.result_ready.connect(delivered.append)  # a GUI-thread signal (emitted by the engine's own slot)
    try:
        with qtbot.waitSignal(engine.model_changed, timeout=GUI_WAIT_MS):
            engine.start()
        with qtbot.waitSignal(engine.result_ready, timeout=GUI_WAIT_MS):
            engine.submit(_frame(1))
        # Two more results within the 2 s that must pass before the next delivery.
        for index in (2, 3):
            engine.submit(_frame(index))
            qtbot.waitUntil(lambda: engine.processed >= index, timeout=GUI_WAIT_MS)
        assert [r.result.index for r in delivered] == [1]
        with qtbot.waitSignal(engine.result_ready, timeout=GUI_WAIT_MS) as later:
            pass
        assert later.args[0].result.index == 3        # the newest one, frame 2 was replaced
        assert engine.render_skipped >= 1 and engine.delivered == 2
    finally:
        assert engine.stop()
