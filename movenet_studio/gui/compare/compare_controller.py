"""Compare mode's logic: configuration B from the controls and :attr:`Engine.config` to the
engine; results to the table, the overlay and the side view (:mod:`.compare_view` for the whole)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QLabel

from ...core.analysis.compare import config_b_from, follow_a, parse_spec
from ...core.models.catalog import bundled_keys
from ...core.pipeline_config import PipelineConfig
from .compare_controls import ComparePanel
from .compare_view import A_COLOUR, SIDE_BY_SIDE, CompareOverlay, SideView
from ..engine import Engine, EngineResult, ModelInfo
from ..slot_timing import timed


class CompareController(QObject):
    """Compare mode's logic: configuration B from the panel and :attr:`Engine.config` to the
    engine; results to the table, the overlay and the side view.

    Args:
        engine: the engine (its config path: :meth:`Engine.request_compare`).
        panel: the dock content.
        view: A's video view (has ``view_box`` and ``overlay``); B's overlay is added to it.
        side_view: B's own view (shown in side-by-side mode).
        parent: Qt parent.

    Signals:
        mode_changed(bool, str): compare on/off and the view mode, after every change
            (the window shows / hides the side view and the dock).
        status(str): a message for the status bar.
    """

    mode_changed = Signal(bool, str)
    status = Signal(str)

    def __init__(self, engine: Engine, panel: ComparePanel, view, side_view: SideView,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.engine, self.panel, self.view, self.side_view = engine, panel, view, side_view
        self.overlay = CompareOverlay(view.view_box)
        side_view.link_to(view.view_box)
        # "A" over A's view in side-by-side mode (floating, like B's title).
        self.a_title = QLabel("A", view.graphics)
        self.a_title.setStyleSheet("color: #%02x%02x%02x; font-weight: bold; background: rgba(16, 18, 20, 170); "
                                   "padding: 2px 4px;" % A_COLOUR)
        self.a_title.move(4, 4)
        self.a_title.setVisible(False)
        side_view.setVisible(False)
        self._active = False
        self._pair: tuple[PipelineConfig, PipelineConfig] | None = None
        self._last: EngineResult | None = None
        self._b_chosen = False  # the user picked B: stop suggesting one
        self.b_heads = False  # B reads its heads (head-difference overlays, head_diff.py)
        panel.changed.connect(self._request)
        panel.model_combo.activated.connect(self._b_picked)
        panel.view_mode_changed.connect(self._mode_picked)

    @property
    def active(self) -> bool:
        """True while the engine runs a comparison (as last announced by model_changed)."""
        return self._active

    @property
    def view_mode(self) -> str:
        """:data:`OVERLAY` or :data:`SIDE_BY_SIDE`."""
        return self.panel.view_mode

    def config_b(self, model: str, backend: str, threads: int) -> PipelineConfig:
        """Configuration B beside A's (:attr:`Engine.config`) by the CLI's policy
        (:func:`~movenet_studio.core.analysis.compare.config_b_from`): B's model, backend and threads;
        A's provider when both run on ONNX; heads only while the head-difference overlays ask
        for them (:meth:`set_b_heads`)."""
        return config_b_from(self.engine.config, model, backend, threads=threads, heads=self.b_heads)

    def set_b_heads(self, on: bool) -> None:
        """Read B's heads too (the head-difference overlays), keeping B's pipeline."""
        self.b_heads = bool(on)
        running = self.engine.compare_config
        if running is not None and running.heads != self.b_heads:
            self.engine.request_compare(replace(running, heads=self.b_heads))

    def start(self, spec: str, mode: str | None = None) -> None:
        """Turn compare mode on with ``model[:backend]`` `spec` (as the CLI's ``--compare``).

        Raises:
            StudioError: an empty spec.
        """
        model, backend = parse_spec(spec, self.engine.config.backend)
        self._b_chosen = True
        if mode is not None:
            self.panel.set_view_mode(mode)
        config = self.config_b(model, backend, self.engine.config.threads)
        self.panel.show_config(True, config)
        self.engine.request_compare(config)

    @Slot()
    def stop(self) -> None:
        """Turn compare mode off (back to A alone)."""
        self.panel.show_config(False, self.engine.compare_config)
        self.engine.request_compare(None)

    @Slot()
    def _request(self) -> None:
        if not self.panel.enabled:
            self.engine.request_compare(None)
            self.status.emit("Compare off: A alone")
            return
        model, backend, threads = self.panel.spec()
        config = self.config_b(model, backend, threads)
        self.status.emit(f"Comparing with {model} ({backend})…")
        self.engine.request_compare(config)

    @Slot(int)
    def _b_picked(self, _index: int) -> None:
        self._b_chosen = True

    @Slot(str)
    def _mode_picked(self, _mode: str) -> None:
        self._apply_mode()
        if self._last is not None and self._last.compare is not None:
            self.show_result(self._last)

    def _apply_mode(self) -> None:
        side = self._active and self.view_mode == SIDE_BY_SIDE
        self.side_view.setVisible(side)
        self.a_title.setVisible(side)
        if side or not self._active:
            self.overlay.clear()
        if not side:
            self.side_view.clear()
        # Overlay mode: A in one colour, B (dashed) in another; otherwise A looks as usual.
        self.view.overlay.set_edge_colour(A_COLOUR if self._active and not side else None)
        self.mode_changed.emit(self._active, self.view_mode)

    @Slot(object)
    def on_model_changed(self, info: ModelInfo) -> None:
        """Follow the engine: compare on/off, and B's options kept in step with A's."""
        active = info.compare is not None
        if active:
            b = info.compare.config
            synced = follow_a(b, info.config)
            if synced != b and self.engine.compare_config == b:
                self.engine.request_compare(synced)  # A's options changed: B follows
        pair = (info.config, info.compare.config) if active else None
        if pair != self._pair:  # other models: the running figures start again
            self.panel.table.reset()
            self._pair = pair
        self._active = active
        config_b = info.compare.config if active else self.engine.compare_config
        if not active and config_b is None and not self._b_chosen:
            config_b = self._contrast(info)  # a useful default B: the other precision of A's model
        self.panel.show_config(active, config_b)
        self._apply_mode()

    @staticmethod
    def _contrast(info: ModelInfo) -> PipelineConfig | None:
        """A's config with the other bundled precision of A's model (float16 <-> int8), or None."""
        spec = info.spec
        if not spec.bundled:
            return None
        other = {"float16": "int8", "int8": "float16"}.get(spec.precision)
        key = f"{spec.variant}-{other}"
        if other is None or key not in bundled_keys():
            return None
        return config_b_from(info.config, key, "tflite")

    @Slot(str, str)
    def on_model_failed(self, _message: str, _details: str) -> None:
        """After a refused switch, show the mode and configuration B that still run."""
        model = self.engine.model
        active = model is not None and model.compare is not None
        self.panel.show_config(active, model.compare.config if active else self.engine.compare_config)

    @Slot(object)
    @timed("compare.show_result")
    def show_result(self, result: EngineResult) -> None:
        """Draw B and account for the comparison (connected to :attr:`Engine.result_ready`)."""
        self._last = result
        frame = result.compare
        if frame is None:
            if self.overlay.visible_keypoints or self.overlay.visible_edges:
                self.overlay.clear()
            return
        threshold = self.view.overlay.threshold
        if self.view_mode == SIDE_BY_SIDE:
            b = result.model.compare
            self.side_view.set_threshold(threshold)
            self.side_view.show_result(frame.b, f"B  {b.spec.label}" if b is not None else "B")
            title = f"A  {result.model.spec.label}"
            if self.a_title.text() != title:
                self.a_title.setText(title)
                self.a_title.adjustSize()
        else:
            self.overlay.set_poses(frame.b.poses, threshold)
        self.panel.table.add_result(result)

    @Slot(float)
    def set_threshold(self, threshold: float) -> None:
        """Redraw B with another keypoint threshold."""
        self.overlay.set_threshold(threshold)
        self.side_view.set_threshold(threshold)

    def flush(self) -> None:
        """Bring the throttled table up to date (before a screenshot)."""
        self.panel.table.refresh()
