"""Compare mode, the backend / provider selectors and the model-info panel in the real window
(bundled models, shared test media, offscreen)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from movenet_studio.core.decoding.keypoints import KEYPOINT_NAMES
from movenet_studio.gui.compare.compare_view import A_COLOUR, OVERLAY, SIDE_BY_SIDE
from movenet_studio.gui.engine import EngineState

from conftest import GUI_WAIT_MS, data_file

WAIT_MS = GUI_WAIT_MS
CPU, CUDA = "CPUExecutionProvider", "CUDAExecutionProvider"


def _wait_result(window, qtbot, check) -> None:
    """Wait until the result on screen satisfies `check(result)`."""
    qtbot.waitUntil(lambda: window.video_view.last_result is not None and check(window.video_view.last_result),
                    timeout=WAIT_MS)


def test_compare_mode_a_and_b_then_back_to_single(make_window, qtbot):
    from movenet_studio.cli import build_parser
    from movenet_studio.cli.compare import configs_from_args

    source = str(data_file("pose_squats.mp4"))
    window = make_window(source=source, model="lightning", compare="lightning-int8", smoothing=False, threads=1)
    table = window.compare_panel.table
    qtbot.waitUntil(lambda: table.frames >= 3, timeout=WAIT_MS)
    # One configuration-B policy: the CLI's B for the same A and SPEC is the window's.
    args = build_parser().parse_args(["compare", source, "--a", "lightning", "--b", "lightning-int8",
                                      "--no-smoothing", "--threads", "1"])
    assert configs_from_args(args) == (window.engine.config, window.engine.compare_config)
    assert window.engine.compare_config.smoothing is False and window.engine.compare_config.threads == 1
    result = window.video_view.last_result
    assert result.compare is not None and result.result is result.compare.a
    assert result.model.spec.key == "lightning-float16" and result.model.compare.spec.key == "lightning-int8"
    assert result.compare.shared_input and result.compare.distances_px.shape == (1, len(KEYPOINT_NAMES))
    assert window.compare.active and window.compare_panel.enabled and table.isVisibleTo(window)

    table.refresh()  # the table refreshes at most every 100 ms
    rows = table.rows()
    assert list(rows) == ["all"] + [n.replace("_", " ") for n in KEYPOINT_NAMES]
    for name, texts in rows.items():
        assert "–" not in texts, (name, texts)
        delta, mean, top, score_a, score_b = (float(t) for t in texts)
        assert 0 <= delta <= top and 0 <= mean <= top and 0 <= score_a <= 1 and 0 <= score_b <= 1
    assert "Lightning int8" in table.summary.text() and "exact model input" in table.summary.text()

    # Overlay mode: A in one colour, B's skeleton over it.
    assert window.compare_panel.view_mode == OVERLAY
    assert window.video_view.overlay.edge_colour == A_COLOUR
    assert window.compare.overlay.visible_keypoints > 0 and window.compare.overlay.visible_edges > 0
    # The latency panel shows B's inference beside A's (table and plot); model info shows both.
    panel = window.latency_panel

    def b_row() -> bool:
        panel.refresh()  # the panel refreshes at most every 100 ms
        return "inference (B)" in panel.stage_rows()

    qtbot.waitUntil(b_row, timeout=WAIT_MS)
    assert all(text != "–" for text in panel.stage_rows()["inference (B)"])
    assert "inference (B)" in panel.curves
    assert "int8" in window.model_info.text("model", "b") and window.model_info.values["model"][1].isVisibleTo(
        window.model_info)

    # Side by side: B in a second view, zoom linked to A's.
    shown = window.side_view.frames_shown
    window.compare_panel.set_view_mode(SIDE_BY_SIDE)
    qtbot.waitUntil(lambda: window.side_view.frames_shown > shown, timeout=WAIT_MS)
    assert window.side_view.isVisible() and window.side_view.view_box.linkedView(0) is window.video_view.view_box
    assert window.side_view.overlay.visible_keypoints > 0
    assert window.compare.overlay.visible_keypoints == 0 and window.video_view.overlay.edge_colour is None

    # Off: back to A alone (the last frame is rerun at once).
    with qtbot.waitSignal(window.engine.model_changed, timeout=WAIT_MS,
                          check_params_cb=lambda info: info.compare is None):
        window.compare_panel.enable_check.setChecked(False)
    _wait_result(window, qtbot, lambda r: r.compare is None)
    assert window.engine.compare_config is None and not window.compare.active
    assert not window.side_view.isVisible() and not table.isVisibleTo(window)
    assert window.compare.overlay.visible_keypoints == 0 and window.video_view.overlay.edge_colour is None
    assert not window.model_info.values["model"][1].isVisibleTo(window.model_info)
    assert not any(r.serious for r in window.reporter.history), window.reporter.history


def test_backend_switch_tflite_to_onnx_live(make_window, qtbot):
    window = make_window(source=str(data_file("pose.jpg")), model="lightning")
    _wait_result(window, qtbot, lambda r: True)
    assert window.model_info.text("runtime").startswith(("ai-edge-litert", "tflite-runtime"))
    assert window.compare_panel.spec() == ("lightning-int8", "tflite", 2)  # B suggested: the other precision
    runtime = window.controls.backend
    assert runtime.backend == "tflite" and not runtime.provider_combo.isEnabled()
    with qtbot.waitSignal(window.engine.model_changed, timeout=WAIT_MS,
                          check_params_cb=lambda info: info.config.backend == "onnx"):
        runtime.select("onnx")
    _wait_result(window, qtbot, lambda r: r.model.spec.format == "onnx")
    info = window.video_view.last_result.model
    assert info.spec.key == "lightning-float16" and info.provider == CPU
    assert window.engine.config.backend == "onnx" and runtime.backend == "onnx" and runtime.provider_combo.isEnabled()
    assert window.model_info.text("runtime").startswith("onnxruntime ")
    assert CPU in window.model_info.text("device")
    assert window.model_info.text("file").endswith(".onnx")
    assert "uint8" in window.model_info.text("input") and "[1x1x17x3]" in window.model_info.text("output")
    assert window.model_info.text("precision") == "float16" and window.model_info.text("size").endswith("MB")
    assert not any(r.serious for r in window.reporter.history)


@pytest.fixture
def failing_cuda(monkeypatch):
    """onnxruntime lists CUDA, but a session asked to use it fails to start (as in test_onnx.py)."""
    real_session = ort.InferenceSession

    def fake_session(model, sess_options=None, providers=None, **kwargs):
        if providers and providers[0] == CUDA:
            raise RuntimeError("CUDA failure 100: no CUDA-capable device is detected")
        return real_session(model, sess_options=sess_options, providers=providers, **kwargs)

    monkeypatch.setattr(ort, "get_available_providers", lambda: [CUDA, CPU])
    monkeypatch.setattr(ort, "InferenceSession", fake_session)


def test_provider_fallback_note_is_shown(failing_cuda, make_window, qtbot):
    window = make_window(source=str(data_file("pose.jpg")), model="lightning")
    _wait_result(window, qtbot, lambda r: True)
    runtime = window.controls.backend
    runtime.refresh_providers()
    assert runtime.provider_combo.findData(CUDA) > 0
    with qtbot.waitSignal(window.engine.model_changed, timeout=WAIT_MS,
                          check_params_cb=lambda info: info.config.provider == CUDA):
        runtime.select("onnx", CUDA)
    info = window.engine.model
    assert info.provider == CPU and "CUDAExecutionProvider failed to start" in info.note
    # Visible: the runtime group, the model-info panel and the status bar.
    assert "failed to start" in runtime.note and runtime.note_label.isVisibleTo(window)
    assert "failed to start" in window.model_info.text("note")
    assert window.model_info.values["note"][0].isVisibleTo(window.model_info)
    assert "failed to start" in window.statusBar().currentMessage()
    _wait_result(window, qtbot, lambda r: r.model.provider == CPU and r.model.config.provider == CUDA)


def test_int8_with_onnx_is_refused_and_the_old_model_keeps_running(make_window, qtbot):
    window = make_window(source=str(data_file("pose.jpg")), model="lightning-int8")
    _wait_result(window, qtbot, lambda r: True)
    with qtbot.waitSignal(window.engine.model_failed, timeout=WAIT_MS) as failed:
        window.controls.backend.select("onnx")
    message = failed.args[0]
    assert "lightning-int8" in message and "no bundled ONNX file" in message
    assert window.reporter.last.serious and window.reporter.last.message == message
    model = window.engine.model
    assert model.spec.key == "lightning-int8" and model.config.backend == "tflite"
    assert window.engine.config.backend == "tflite" and window.engine.state == EngineState.RUNNING
    assert window.controls.backend.backend == "tflite"  # the selector shows what runs again
    # The int8 TFLite model still serves frames.
    with qtbot.waitSignal(window.engine.result_ready, timeout=WAIT_MS) as done:
        window.open_source(str(data_file("pose.jpg")))
    assert done.args[0].model.spec.key == "lightning-int8" and done.args[0].result.poses


def test_compare_b_refused_keeps_single_mode(make_window, qtbot):
    window = make_window(source=str(data_file("pose.jpg")), model="lightning")
    _wait_result(window, qtbot, lambda r: True)
    panel = window.compare_panel
    panel.model_combo.setCurrentIndex(panel.model_combo.findData("multipose-float16"))
    with qtbot.waitSignal(window.engine.model_failed, timeout=WAIT_MS) as failed:
        panel.enable_check.setChecked(True)
    assert "cannot compare" in failed.args[0]
    assert window.engine.compare_config is None and not panel.enabled and not window.compare.active


def test_gui_cli_passes_compare_provider_and_pipeline_options(monkeypatch):
    import movenet_studio.gui.app as app
    from movenet_studio.cli import build_parser

    seen = []
    monkeypatch.setattr(app, "run", lambda options: seen.append(options) or 0)
    parser = build_parser()
    args = parser.parse_args(["gui", "clip.mp4", "--model", "lightning", "--compare", "lightning-int8",
                              "--provider", "cpu", "--tracker", "keypoints", "--min-pose-score", "0.4"])
    assert args.run(args) == 0
    options = seen[0]
    assert options.compare == "lightning-int8" and options.provider == CPU and options.backend == "onnx"
    assert options.tracker == "keypoints" and options.min_pose_score == 0.4
    args = parser.parse_args(["gui"])
    args.run(args)
    assert seen[1].tracker is None and seen[1].min_pose_score is None and seen[1].compare is None
    with pytest.raises(SystemExit):
        args = parser.parse_args(["gui", "--provider", "cuda", "--backend", "tflite"])
        args.run(args)
