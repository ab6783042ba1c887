"""The main window: builds the widgets and controllers and wires their signals. No behaviour of
its own beyond routing (which path is a model, which a source) and persisting settings. Its
menus and actions: :mod:`.window_menus`; opening sources and models (also dropped ones):
:mod:`.window_sources`; its starting configuration: :mod:`.window_setup`."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QSplitter, QWidget

from ...core.media.live import LiveOptions
from ...core.media.urls import is_url
from ...core.paths import sample_path
from ...core.text import printable
from ...core.pipeline_config import PipelineConfig
from ...core.preprocessing.profile import PreprocessProfile
from ...core.tracking.smoothing import OneEuroConfig
from .classification_controller import ClassificationController, ClassifierRequest
from ..compare.compare_controller import CompareController
from ..compare.compare_controls import ComparePanel
from ..compare.compare_view import SideView
from ..controls.side_panel import ControlPanel
from ..controls.wheel_guard import WheelGuard
from ..engine import MAX_DELIVERY_HZ, MAX_PACE_DELIVERY_HZ, Engine, EngineState, ModelInfo
from ..garbage import GuiThreadGarbageCollector
from ..overlays.head_overlays import HoverReadout
from ..panels.heads_panel import HeadsPanel
from ..panels.latency_panel import LatencyPanel
from .messages import ErrorReporter
from ..panels.model_info import ModelInfoPanel
from ..panels.model_input_view import ModelInputView
from .preprocess_controller import PreprocessController
from ..controls.preprocess_controls import PreprocessControls
from .overlay_controller import OverlayController
from ..controls.overlay_controls import OverlayControls, TrackingControls
from ..overlay_state import parse_overlays
from ..player import SourcePlayer
from ..source_info import Pace, SourceInfo
from ..panels.scroll_area import VerticalScrollArea
from ..overlays.speed_readout import SpeedReadout
from ..overlays.video_note import VideoNote
from ..settings import StudioSettings
from ..panels.timeline_panel import TimelinePanel
from ..video_view import VideoView
from .layouts import Docks, apply_layout
from ..layout_names import DEFAULT_LAYOUT
from .window_menus import WindowMenus
from .window_sources import WindowSources
from .window_setup import APP_NAME, startup_config

COMPARING_MESSAGE, SWITCHING_MESSAGE = "Comparing with", "Switching to"
#: Status messages announcing a model load: cleared when the model is there (or failed).
PENDING_MESSAGES = (COMPARING_MESSAGE, SWITCHING_MESSAGE)
DEFAULT_SIZE = (1400, 900)


class MainWindow(WindowMenus, WindowSources, QMainWindow):
    """MoveNet Studio's window: video in the centre, controls left, latency right.

    Args:
        settings: typed settings (read at start, written at close).
        model: model key or file to load instead of the saved one.
        backend: the backend (``tflite``, ``onnx``) instead of the saved one.
        threads: runtime threads instead of the saved number.
        pace: :class:`~..source_info.Pace` of file playback.
        loop: loop files (default: the saved setting).
        persist_loop: write the loop state back to settings at close.
        restore_layout: restore the saved window geometry and dock layout (off for
            screenshots, which want the default 1400x900 layout).
        provider: ONNX Runtime execution provider instead of the saved one.
        tracker: MultiPose tracker (``none``, ``boxes``, ``keypoints``) instead of the saved one.
        min_pose_score: MultiPose minimum pose score instead of the saved one.
        compare: start in compare mode with configuration B = ``model[:backend]``.
        overlays: initial overlay layers, a ``--overlays`` list such as ``skeleton,heatmaps``
            (default: the saved choices); raises ValueError for an unknown name.
        crop, smoothing: crop tracking / keypoint smoothing (default: on; not saved).
        first_crop: a video's first crop region, ``centre`` (TF.js, default) or ``pad``.
        one_euro: the One Euro filter's parameters (default: the saved ones, TF.js's at first).
        classifier: a pose classifier to load first (the source opens once it has loaded);
            default: the one remembered in the settings.
        layout: a named layout (:data:`~.layouts.LAYOUT_KEYS`) instead of the saved one (and
            its saved arrangement); raises KeyError for an unknown name.
        window_size: (width, height) in px instead of the saved geometry (default 1400x900).

    Call :meth:`start` after constructing it to launch the worker threads; closing the
    window (or :meth:`shutdown`) stops them.
    """

    def __init__(self, settings: StudioSettings, *, model: str | None = None, backend: str | None = None,
                 threads: int | None = None, pace: Pace | str = Pace.REALTIME, loop: bool | None = None,
                 persist_loop: bool = True, restore_layout: bool = True, parent: QWidget | None = None,
                 provider: str | None = None, tracker: str | None = None, min_pose_score: float | None = None,
                 compare: str | None = None, overlays: str | None = None, crop: bool | None = None,
                 smoothing: bool | None = None, one_euro: OneEuroConfig | None = None,
                 preprocess: PreprocessProfile | None = None, input_range: tuple[float, float] | None = None,
                 classifier: ClassifierRequest | None = None, layout: str | None = None,
                 window_size: tuple[int, int] | None = None, first_crop: str | None = None,
                 live: LiveOptions | None = None):
        super().__init__(parent)
        self._garbage = GuiThreadGarbageCollector(self)  # collect only here, never in a worker thread
        self._garbage.start()
        self.settings = settings
        self._persist_loop = persist_loop
        self._source: SourceInfo | None = None
        self._last_index: int | None = None  # frame index of the newest result shown
        self._model: ModelInfo | None = None
        self._comparing = False
        self._shut_down = False
        self.layout_key = layout or (settings.layout if restore_layout else DEFAULT_LAYOUT)  # View > Layout
        threshold = settings.threshold
        threads = threads if threads is not None and threads > 0 else settings.threads
        loop = settings.loop if loop is None else loop
        config, self._startup_note = startup_config(settings, model=model, backend=backend, threads=threads,
                                                    provider=provider, tracker=tracker, min_pose_score=min_pose_score,
                                                    crop=crop, smoothing=smoothing, one_euro=one_euro,
                                                    preprocess=preprocess, input_range=input_range,
                                                    first_crop=first_crop)

        display_hz = MAX_PACE_DELIVERY_HZ if Pace(pace) == Pace.MAX else MAX_DELIVERY_HZ
        self.engine = Engine(config, self, max_delivery_hz=display_hz)  # (newest result wins in between)
        self.player = SourcePlayer(self.engine, pace=pace, loop=loop, live=live, parent=self)
        self.video_view = VideoView(threshold)
        self.controls = ControlPanel(threads, threshold)
        self.controls.source.set_loop(loop)
        self.controls.source.camera_spin.setValue(settings.camera_index)
        self.controls.model.select(config.model)
        self.latency_panel = LatencyPanel()
        self.controls.backend.show_config(config.backend, config.provider)
        self.controls.people.show_config(config.tracker, config.min_pose_score)
        self.model_info = ModelInfoPanel()
        self.compare_panel = ComparePanel()
        self.side_view = SideView(threshold)  # B beside A in side-by-side compare mode
        self.compare = CompareController(self.engine, self.compare_panel, self.video_view, self.side_view, self)
        self.reporter = ErrorReporter(self.statusBar(), self)
        self.zoom_label = QLabel()  # the video's zoom (View > Fit frame, Actual pixels)
        self.zoom_label.setToolTip("Video zoom: screen pixels per frame pixel (Ctrl+0 fits the frame, 1 shows 1:1)")
        self.statusBar().addPermanentWidget(self.zoom_label)
        self.video_view.zoom_changed.connect(self._show_zoom)
        self.state_label = QLabel()
        self.statusBar().addPermanentWidget(self.state_label)

        self.views = QSplitter(Qt.Orientation.Horizontal)
        self.views.addWidget(self.video_view)
        self.views.addWidget(self.side_view)
        self.setCentralWidget(self.views)
        self.controls_dock = self._dock("Controls", "controlsDock", self.controls, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.latency_dock = self._dock("Latency", "latencyDock", self.latency_panel,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.compare_dock = self._dock("Compare A / B", "compareDock", self.compare_panel,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.model_info_dock = self._dock("Model info", "modelInfoDock", self.model_info,
                                          Qt.DockWidgetArea.RightDockWidgetArea)
        self._make_inspection(parse_overlays(overlays) if overlays is not None else settings.overlays, config)
        self.controls_wheel = WheelGuard(self.controls_dock.widget())  # the wheel scrolls the panel
        self.timeline = TimelinePanel(settings.timeline_keypoint, config.one_euro)  # trajectories, jitter, filter
        self.timeline_dock = self._dock("Timeline", "timelineDock", self.timeline,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.timeline.attach(self.engine, self.player)
        self._make_classification(classifier)
        self.setAcceptDrops(True)
        self._make_actions()
        self._connect()
        self._connect_backend_and_compare()
        self._update_title()
        self._show_state(self.engine.state.value)
        self.resize(*(window_size or DEFAULT_SIZE))
        if compare:
            self.compare.start(compare)
        restored = False
        if restore_layout and settings.geometry is not None and window_size is None:
            self.restoreGeometry(settings.geometry)
        if restore_layout and layout is None and settings.window_state is not None:
            restored = self.restoreState(settings.window_state)  # the user's own arrangement of that layout
        self.overlay_controller.sync()  # after the layout: the heads dock shows while a head layer is on
        if not restored:  # (after the sync: the layout tabs the Heads dock only when it shows)
            self.apply_layout(self.layout_key, sync=False)

    # ------------------------------------------------------------------ construction
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea,
              scroll: bool = True) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        if scroll:  # scroll=False: views that scale to any size (images) fill the dock instead
            widget = VerticalScrollArea(widget)  # never a horizontal scroll bar
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    @property
    def docks(self) -> Docks:
        """The docks a named layout places."""
        return Docks(controls=self.controls_dock, latency=self.latency_dock, compare=self.compare_dock,
                     model_info=self.model_info_dock, classification=self.classification_dock,
                     model_input=self.model_input_dock, heads=self.heads_dock, timeline=self.timeline_dock,
                     layers=self.layers.dock)

    def apply_layout(self, key: str, sync: bool = True) -> None:
        """Arrange the docks as named layout `key` (View > Layout) and remember it; `sync`: then
        show the Heads dock iff a head layer is on (Inspect heads always shows it)."""
        apply_layout(self, self.docks, key)
        self.layout_key = key
        self.settings.layout = key
        if sync:
            self.overlay_controller.sync()
            if key == "heads":
                self.heads_dock.show()
        {"heads": self.heads_dock, "timeline": self.timeline_dock, "compare": self.compare_dock}.get(
            key, self.latency_dock).raise_()  # the layout's own panel in front of its tab group
        if hasattr(self, "layout_actions"):
            self.layout_actions[key].setChecked(True)

    def _make_inspection(self, overlays, config: PipelineConfig) -> None:
        """Overlay and tracking controls, heads panel, model input view, hover readout (overlay_controller.py)."""
        self.overlay_controls = OverlayControls(overlays)
        self.tracking_controls = TrackingControls(config.crop, config.smoothing)
        panel_layout = self.controls.layout()
        panel_layout.insertWidget(panel_layout.indexOf(self.controls.display) + 1, self.overlay_controls)
        panel_layout.insertWidget(panel_layout.indexOf(self.overlay_controls) + 1, self.tracking_controls)
        self.preprocess_controls = PreprocessControls(config.preprocess)
        panel_layout.insertWidget(panel_layout.indexOf(self.tracking_controls) + 1, self.preprocess_controls)
        self.preprocess = PreprocessController(self.preprocess_controls, self.engine, self.settings, self)
        self.heads_panel = HeadsPanel(overlays.colormap, overlays.centre_colormap)
        self.model_input_view = ModelInputView()
        self.readout = HoverReadout(self.video_view.view_box, self)
        # Right column, top to bottom: the latency tabs, the model input, the heads (while a head layer is on).
        self.model_input_dock = self._dock("Model input", "modelInputDock", self.model_input_view,
                                           Qt.DockWidgetArea.RightDockWidgetArea, scroll=False)
        self.heads_dock = self._dock("Heads", "headsDock", self.heads_panel, Qt.DockWidgetArea.RightDockWidgetArea,
                                     scroll=False)
        self.engine.result_ready.connect(self.model_input_view.add_result)
        self.overlay_controller = OverlayController(self.engine, self.overlay_controls, self.tracking_controls,
                                                    self.video_view, self.heads_panel, self.heads_dock, self.readout,
                                                    self.reporter, self)

    def _make_classification(self, request: ClassifierRequest | None) -> None:
        """The Classification dock and the pose captions on the video (classification_controller.py)."""
        self.classification = ClassificationController(self.engine, self.video_view, self.settings, self.reporter, self)
        self.classification_dock = self._dock("Classification", "classificationDock", self.classification.panel,
                                              Qt.DockWidgetArea.RightDockWidgetArea)
        self._classifier_request = request
        self.classification.loaded.connect(self.classification_dock.raise_)
        self.player.closed.connect(self.classification.clear)
        self.controls.display.threshold_changed.connect(self.classification.overlay.set_threshold)

    def _connect(self) -> None:
        engine, player, source = self.engine, self.player, self.controls.source
        engine.result_ready.connect(self.video_view.show_result)
        self.video_view.sample_requested.connect(self.open_sample)
        engine.result_ready.connect(self.latency_panel.add_result)
        engine.model_changed.connect(self.latency_panel.show_model)
        self.player.playing_changed.connect(self.latency_panel.set_playing)
        engine.result_ready.connect(self.controls.keypoints.add_result)
        engine.result_ready.connect(self._on_result)
        engine.model_changed.connect(self.controls.model.show_model)
        engine.model_changed.connect(self._on_model_changed)
        engine.model_failed.connect(self._on_model_failed)
        engine.error.connect(self.reporter.serious)  # a frame failed: status bar + details dialog
        engine.state_changed.connect(self._show_state)

        player.opened.connect(source.set_source)
        player.opened.connect(self._on_source_opened)
        player.open_failed.connect(self.reporter.serious)
        player.read_failed.connect(self.reporter.serious)
        player.note.connect(self.reporter.warn)
        player.playing_changed.connect(source.set_playing)
        player.playing_changed.connect(self._on_playing_changed)
        player.finished.connect(self._on_finished)
        player.closed.connect(self._on_source_closed)
        player.live_event.connect(self._on_live_event)
        player.live_event.connect(self.timeline.live_event)

        source.source_requested.connect(self.open_path)
        source.play_toggled.connect(player.toggle)
        source.step_requested.connect(player.step)
        source.seek_requested.connect(player.seek)
        source.loop_toggled.connect(player.set_loop)
        self.controls.model.model_requested.connect(self.open_model)
        self.controls.model.threads_changed.connect(engine.request_threads)
        self.controls.display.threshold_changed.connect(self.video_view.set_threshold)
        self.controls.display.input_region_toggled.connect(self.video_view.set_input_region_visible)
        self.speed_readout = SpeedReadout(self.video_view.graphics)  # Display > FPS and inference ms
        self.controls.display.speed_toggled.connect(self.speed_readout.set_enabled)
        engine.result_ready.connect(self.speed_readout.add_result)
        player.opened.connect(self.speed_readout.reset)
        player.playing_changed.connect(self.speed_readout.set_playing)
        self.video_note = VideoNote(self.video_view.graphics)  # a switch restarted the tracker
        engine.tracker_reset.connect(self.video_note.show_note)
        engine.tracker_reset.connect(self.reporter.info)
        player.opened.connect(self.video_note.clear_note)

    def _connect_backend_and_compare(self) -> None:
        engine, backend, people = self.engine, self.controls.backend, self.controls.people
        engine.model_changed.connect(backend.show_model)
        engine.model_changed.connect(people.show_model)
        engine.model_changed.connect(self.model_info.show_model)
        engine.model_changed.connect(self.compare.on_model_changed)
        engine.model_changed.connect(self._show_backend_note)
        engine.model_failed.connect(backend.revert)
        engine.model_failed.connect(self.compare.on_model_failed)
        engine.result_ready.connect(self.compare.show_result)
        backend.backend_requested.connect(self._backend_requested)
        people.tracker_changed.connect(self._tracker_requested)
        people.min_pose_score_changed.connect(self._min_pose_score_requested)
        self.controls.display.threshold_changed.connect(self.compare.set_threshold)
        self.compare.status.connect(self.reporter.info)
        self.compare.mode_changed.connect(self._on_compare_mode)
        self.player.opened.connect(self.compare_panel.table.reset)

    @Slot(str, object)
    def _backend_requested(self, backend: str, provider: str | None) -> None:
        self.reporter.info(f"Switching to {backend}{f' ({provider})' if provider else ''}…")
        self.engine.update_config(backend=backend, provider=provider)

    @Slot(str)
    def _tracker_requested(self, tracker: str) -> None:
        self.engine.update_config(tracker=tracker)

    @Slot(float)
    def _min_pose_score_requested(self, score: float) -> None:
        self.engine.update_config(min_pose_score=float(score))

    @Slot(bool, str)
    def _on_compare_mode(self, active: bool, _view_mode: str) -> None:
        if not active:
            self.reporter.clear_if_showing(COMPARING_MESSAGE)
        if active and not self._comparing:  # compare just started: show its table, tall enough
            self.compare_dock.show()
            self.compare_dock.raise_()
            self.resizeDocks([self.compare_dock], [640], Qt.Orientation.Vertical)
        self._comparing = active

    @Slot(object)
    def _show_backend_note(self, info: ModelInfo) -> None:
        notes = [f"{side}{m.spec.label}: {m.note}" for side, m in (("", info), ("B ", info.compare))
                 if m is not None and m.note]
        if notes:  # an ONNX provider that fell back to CPU
            self.reporter.warn("; ".join(notes))

    # ------------------------------------------------------------------ lifecycle
    def start(self, source: str | None = None, *, sample: bool = True) -> None:
        """Start the worker threads and open `source`.

        Default: the last source, if it still exists; else (a first start, or the last source
        is gone) the bundled sample video playing, when `sample` is True (tests that want the
        empty window pass False).
        """
        self.engine.start()
        self.player.start()
        gone = None
        if source is None:
            last = self.settings.last_source
            # Files and folders are reopened; a camera is never switched on unasked.
            if last and not last.lower().startswith("camera:") and (is_url(last) or Path(last).exists()):
                source = last
            elif sample and not last:
                source = str(sample_path())
            elif last and not last.lower().startswith("camera:"):  # deleted or moved since: say so
                gone = f"the last source {printable(last)} no longer exists"
                if sample:
                    source = str(sample_path())
                    gone += "; opened the sample video instead"
        if self._classifier_request is not None:  # open the source once the classifier is there
            self.classification.restore(self._classifier_request, then=partial(self.open_source, source)
                                        if source else None)
        else:
            self.classification.restore()
            if source:
                self.open_source(source)
        if self._startup_note:  # after "Opening ...", so the status bar shows the note
            self.reporter.warn(self._startup_note)
        if gone:
            self.reporter.warn(gone)
        if self.settings.note:  # stored settings unreadable or from an older version: reset
            self.reporter.warn(self.settings.note)

    def flush_views(self) -> None:
        """Bring the throttled panels up to date with the newest result (before a screenshot)."""
        self.latency_panel.refresh()
        self.controls.keypoints.refresh()
        self.compare.flush()
        self.heads_panel.refresh()
        self.model_input_view.refresh()
        self.timeline.flush()
        self.classification.panel.refresh()

    def shutdown(self) -> bool:
        """Stop the reader and worker threads (join with timeout) and save settings.

        Returns True when both threads have ended. Safe to call more than once.
        """
        if self._shut_down:
            return not (self.player.is_alive or self.engine.is_alive)
        self._shut_down = True
        self.player_stopped = self.player.stop()
        self.engine_stopped = self.engine.stop()
        self.exports.shutdown()
        self.classification.shutdown()
        if self.bench_dialog is not None:
            self.bench_dialog.shutdown()
        if self.evaluate_dialog is not None:
            self.evaluate_dialog.shutdown()
        if self.quantize_dialog is not None:
            self.quantize_dialog.shutdown()
        self.layers.shutdown()
        self.timeline.shutdown()
        self.video_view.shutdown()
        self._save_settings()
        self._garbage.stop()
        return self.player_stopped and self.engine_stopped

    def _save_settings(self) -> None:
        try:
            s = self.settings
            s.geometry = self.saveGeometry()
            s.window_state = self.saveState()
            s.threshold = self.controls.display.threshold
            s.camera_index = self.controls.source.camera_spin.value()
            s.timeline_keypoint = self.timeline.keypoint
            if self._persist_loop:
                s.loop = self.player.loop
                s.overlays = self.overlay_controls.checked  # like loop: not from exit-after (scripted) runs
                s.one_euro = self.engine.config.one_euro
            if self._model is not None:
                spec = self._model.spec
                s.model = spec.key if spec.bundled else str(spec.path)
                s.threads = self._model.config.threads
                s.backend = self._model.config.backend
                s.provider = self._model.config.provider
                s.tracker = self._model.config.tracker
                s.min_pose_score = self._model.config.min_pose_score
            s.sync()
        except Exception as exc:  # settings must never prevent closing
            self.reporter.warn(f"could not save settings: {exc}")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        """Stop the threads before the window goes away."""
        self.shutdown()
        super().closeEvent(event)

    # ------------------------------------------------------------------ signal handlers
    @Slot(object)
    def _on_model_changed(self, info: ModelInfo) -> None:
        self._model = info
        self.reporter.clear_if_showing(*PENDING_MESSAGES)  # what they announced is done
        if not info.kept and not info.spec.bundled and info.spec.path is not None:
            self.recent.add(str(info.spec.path))  # File > Open recent lists model files too
        if not info.kept:  # (kept: only head reading or compare changed, nothing was reloaded)
            self.reporter.info(f"Model: {info.spec.label} on {info.device} (loaded in {info.load_ms:.0f} ms)")
        self._update_title()

    @Slot(str, str)
    def _on_model_failed(self, message: str, details: str) -> None:
        self.reporter.clear_if_showing(*PENDING_MESSAGES)
        fallback = PipelineConfig().model
        if self._model is None and self.engine.config.model != fallback:
            # No model runs yet (e.g. the saved model file is gone): fall back to the default.
            self.reporter.serious(f"{message}; using {fallback} instead", details)
            self.controls.model.select(fallback)
            self.engine.request_model(replace(self.engine.config, model=fallback, backend="tflite", provider=None))
            return
        self.controls.model.revert()
        if self._model is None:
            self.controls.model.info_label.setText("No model loaded: pick one above.")
        self.reporter.serious(message, details)

    @Slot(float)
    def _show_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"zoom {zoom * 100:.0f} %")

    @Slot(str)
    def _show_state(self, state: str) -> None:
        colour = {EngineState.RUNNING.value: "#4caf50", EngineState.FAULTED.value: "#e53935"}.get(state, "#9e9e9e")
        self.state_label.setText(f"<span style='color:{colour}'>●</span> engine {state}")

    def _update_title(self) -> None:
        """``pose_1.mp4 — Lightning float16 (TFLite)``; Qt adds the application's display name
        (``MoveNet Studio``) once, so the title does not repeat it (it is the title only when
        no display name is set and nothing is open)."""
        parts = []
        if self._source is not None:
            parts.append(self._source.name)
        if self._model is not None:
            parts.append(self._model.spec.label)
        display_name = QApplication.applicationDisplayName()
        if not parts or not display_name or display_name == QApplication.applicationName():
            parts = parts or [APP_NAME]
        self.setWindowTitle(" — ".join(parts))
