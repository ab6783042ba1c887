"""The main window: builds the widgets and controllers and wires their signals. No behaviour of
its own beyond routing (which path is a model, which a source) and persisting settings."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QSplitter, QWidget

from .. import __version__
from ..core.backends import default_backend
from ..core.paths import sample_path
from ..core.pipeline import PipelineConfig
from ..core.preprocess_profile import PreprocessProfile
from ..core.smoothing import OneEuroConfig
from .bench_dialog import BenchDialog
from .head_diff import HeadDiffController
from .layers_controller import LayersController
from .compare_controller import CompareController
from .compare_controls import ComparePanel
from .compare_view import SideView
from .classification_controller import ClassificationController, ClassifierRequest
from .controls import MODEL_EXTENSIONS, ControlPanel
from .engine import Engine, EngineResult, EngineState, ModelInfo
from .export_actions import ExportController
from .garbage import GuiThreadGarbageCollector
from .head_overlays import HoverReadout
from .heads_panel import HeadsPanel
from .latency_panel import LatencyPanel
from .log_folder import LogFolderAction
from .messages import ErrorReporter
from .model_info import ModelInfoPanel
from .model_input_view import ModelInputView
from .preprocess_controls import PreprocessControls
from .overlay_controller import OverlayController
from .overlay_controls import OverlayControls, TrackingControls, parse_overlays
from .player import Pace, SourceInfo, SourcePlayer
from .recent_and_copy import RecentSources, copy_keypoints
from .scroll_area import VerticalScrollArea
from .speed_readout import SpeedReadout
from .settings import StudioSettings
from .shortcuts import ShortcutsDialog
from .timeline_panel import TimelinePanel
from .video_view import VideoView

APP_NAME = "MoveNet Studio"
END_MESSAGE = "End of"  # the status message at the end of a file (cleared when playback starts again)
DEFAULT_SIZE = (1400, 900)


def _is_missing_file(model: str) -> bool:
    """True when a saved model names a file (not a catalog key) that is not there any more."""
    return is_model_path(model) and not Path(model).expanduser().is_file()


def is_model_path(path: str | Path) -> bool:
    """True when `path` names a model file (.tflite / .onnx) rather than a source."""
    return Path(str(path)).suffix.lower() in MODEL_EXTENSIONS


class MainWindow(QMainWindow):
    """MoveNet Studio's window: video in the centre, controls left, latency right.

    Args:
        settings: typed settings (read at start, written at close).
        model: model key or file to load instead of the saved one.
        backend: runtime (``tflite``, ``onnx``) instead of the saved one.
        threads: runtime threads instead of the saved number.
        pace: :class:`~.player.Pace` of file playback.
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
        one_euro: the One Euro filter's parameters (default: the saved ones, TF.js's at first).
        classifier: a pose classifier to load first (the source opens once it has loaded);
            default: the one remembered in the settings.

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
                 classifier: ClassifierRequest | None = None):
        super().__init__(parent)
        self._garbage = GuiThreadGarbageCollector(self)  # collect only here, never in a worker thread
        self._garbage.start()
        self.settings = settings
        self._persist_loop = persist_loop
        self._source: SourceInfo | None = None
        self._model: ModelInfo | None = None
        self._comparing = False
        self._shut_down = False
        threshold = settings.threshold
        threads = threads if threads is not None and threads > 0 else settings.threads
        loop = settings.loop if loop is None else loop
        saved_model, self._startup_note = settings.model, ""
        if model is None and _is_missing_file(saved_model):
            self._startup_note = f"the saved model {saved_model} no longer exists; using {PipelineConfig().model}"
            saved_model = PipelineConfig().model
        # As in the CLI: a model file picks its backend by its format unless a backend is named.
        chosen = model or saved_model
        backend = backend or (default_backend(chosen) if is_model_path(chosen) else settings.backend)
        config = PipelineConfig(model=chosen, backend=backend, threads=threads)
        config = replace(config, provider=provider or (settings.provider if config.backend == "onnx" else None),
                         tracker=tracker or settings.tracker,
                         min_pose_score=settings.min_pose_score if min_pose_score is None else min_pose_score)

        config = replace(config, crop=crop is not False, smoothing=smoothing is not False,
                         one_euro=one_euro or settings.one_euro, preprocess=preprocess or settings.preprocess,
                         input_range=input_range or (settings.input_range_for(chosen) if is_model_path(chosen) else None))

        self.engine = Engine(config, self)
        self.player = SourcePlayer(self.engine, pace=pace, loop=loop, parent=self)
        self.video_view = VideoView(threshold)
        self.controls = ControlPanel(threads, threshold)
        self.controls.source.set_loop(loop)
        self.controls.source.camera_spin.setValue(settings.camera_index)
        self.controls.model.select(config.model)
        self.latency_panel = LatencyPanel()
        self.controls.runtime.show_config(config.backend, config.provider)
        self.controls.people.show_config(config.tracker, config.min_pose_score)
        self.model_info = ModelInfoPanel()
        self.compare_panel = ComparePanel()
        self.side_view = SideView(threshold)  # B beside A in side-by-side compare mode
        self.compare = CompareController(self.engine, self.compare_panel, self.video_view, self.side_view, self)
        self.reporter = ErrorReporter(self.statusBar(), self)
        self.state_label = QLabel()
        self.statusBar().addPermanentWidget(self.state_label)

        self.views = QSplitter(Qt.Orientation.Horizontal)
        self.views.addWidget(self.video_view)
        self.views.addWidget(self.side_view)
        self.setCentralWidget(self.views)
        self.controls_dock = self._dock("Controls", "controlsDock", self.controls, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.latency_dock = self._dock("Latency", "latencyDock", self.latency_panel,
                                       Qt.DockWidgetArea.RightDockWidgetArea, scroll=False)
        self.compare_dock = self._dock("Compare A / B", "compareDock", self.compare_panel,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.model_info_dock = self._dock("Model info", "modelInfoDock", self.model_info,
                                          Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.latency_dock, self.compare_dock)
        self.tabifyDockWidget(self.latency_dock, self.model_info_dock)
        self.latency_dock.raise_()
        self._make_inspection(parse_overlays(overlays) if overlays is not None else settings.overlays, config)
        self.timeline = TimelinePanel(settings.timeline_keypoint, config.one_euro)  # trajectories, jitter, filter
        self.timeline_dock = self._dock("Timeline", "timelineDock", self.timeline,
                                        Qt.DockWidgetArea.BottomDockWidgetArea, scroll=False)
        self.timeline.attach(self.engine, self.player)
        self._make_classification(classifier)
        self.setAcceptDrops(True)
        self._make_actions()
        self._connect()
        self._connect_runtime_and_compare()
        self._update_title()
        self._show_state(self.engine.state.value)
        self.resize(*DEFAULT_SIZE)
        self.resizeDocks([self.controls_dock, self.latency_dock], [300, 380], Qt.Orientation.Horizontal)
        self.resizeDocks([self.timeline_dock], [360], Qt.Orientation.Vertical)
        if compare:
            self.compare.start(compare)
        self._default_state = self.saveState()  # View > Reset layout
        if restore_layout and settings.geometry is not None:
            self.restoreGeometry(settings.geometry)
        if restore_layout and settings.window_state is not None:
            self.restoreState(settings.window_state)
        self.overlay_controller.sync()  # after the layout: the heads dock shows while a head layer is on

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

    def _make_inspection(self, overlays, config: PipelineConfig) -> None:
        """Overlay and tracking controls, heads panel, model input view, hover readout (overlay_controller.py)."""
        self.overlay_controls = OverlayControls(overlays)
        self.tracking_controls = TrackingControls(config.crop, config.smoothing)
        panel_layout = self.controls.layout()
        panel_layout.insertWidget(panel_layout.indexOf(self.controls.display) + 1, self.overlay_controls)
        panel_layout.insertWidget(panel_layout.indexOf(self.overlay_controls) + 1, self.tracking_controls)
        self.preprocess_controls = PreprocessControls(config.preprocess)
        panel_layout.insertWidget(panel_layout.indexOf(self.tracking_controls) + 1, self.preprocess_controls)
        self.preprocess_controls.profile_changed.connect(self._set_preprocess)
        self.preprocess_controls.input_range_changed.connect(self._set_input_range)
        self.engine.model_changed.connect(self._show_preprocess)
        self.heads_panel = HeadsPanel(overlays.colormap, overlays.centre_colormap)
        self.model_input_view = ModelInputView()
        self.readout = HoverReadout(self.video_view.view_box, self)
        # Right column, top to bottom: the latency tabs, the model input, the heads (while a head layer is on).
        self.model_input_dock = self._dock("Model input", "modelInputDock", self.model_input_view,
                                           Qt.DockWidgetArea.RightDockWidgetArea, scroll=False)
        self.heads_dock = self._dock("Heads", "headsDock", self.heads_panel, Qt.DockWidgetArea.RightDockWidgetArea,
                                     scroll=False)
        self.resizeDocks([self.latency_dock, self.model_input_dock, self.heads_dock], [330, 220, 330],
                         Qt.Orientation.Vertical)
        self.engine.result_ready.connect(self.model_input_view.add_result)
        self.overlay_controller = OverlayController(self.engine, self.overlay_controls, self.tracking_controls,
                                                    self.video_view, self.heads_panel, self.heads_dock, self.readout,
                                                    self.reporter, self)

    def _make_classification(self, request: ClassifierRequest | None) -> None:
        """The Classification dock and the pose captions on the video (classification_controller.py)."""
        self.classification = ClassificationController(self.engine, self.video_view, self.settings, self.reporter, self)
        self.classification_dock = self._dock("Classification", "classificationDock", self.classification.panel,
                                              Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.latency_dock, self.classification_dock)
        self.latency_dock.raise_()
        self._classifier_request = request
        self.classification.loaded.connect(self.classification_dock.raise_)
        self.player.closed.connect(self.classification.clear)
        self.controls.display.threshold_changed.connect(self.classification.overlay.set_threshold)

    def _action(self, text: str, slot, shortcuts: tuple[str | QKeySequence, ...] = (), tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        source = self.controls.source
        self.open_action = self._action("&Open…", source.choose_file, (QKeySequence.StandardKey.Open,),
                                        "Open a video, image or model file")
        self.open_folder_action = self._action("Open &folder…", source.choose_folder, ("Ctrl+Shift+O",))
        self.open_model_action = self._action("Open &model file…", self.controls.model.choose_file, ("Ctrl+M",))
        self.quit_action = self._action("&Quit", self.close, ("Ctrl+Q",))
        self.play_action = self._action("&Play / Pause", self.player.toggle, ("Space",))
        self.step_action = self._action("&Step", self.player.step, ("Right", "."))
        self.step_back_action = self._action("Step &back", self.player.step_back, ("Left", ","))
        self.first_action = self._action("&First frame", self.player.seek_first, ("Home",))
        self.last_action = self._action("&Last frame", self.player.seek_last, ("End",))
        self.loop_action = self._action("&Loop", source.loop_check.toggle, ("L",))
        self.fit_action = self._action("&Fit frame", self.video_view.reset_zoom, ("Ctrl+0",))
        self.about_action = self._action("&About", self._about)
        self.shortcuts_action = self._action("&Keyboard shortcuts", self.show_shortcuts, ("F1",))
        self.sample_action = self._action("Open &sample video", self.open_sample,
                                          tip="Play the bundled sample (pose_1.mp4, Apache-2.0, from Google's tfjs-models)")
        self.exports = ExportController(self)  # Save frame, Export video/keypoints (background)
        self._shortcuts_dialog: ShortcutsDialog | None = None
        self.bench_action = self._action("&Benchmark…", self.show_benchmark, ("Ctrl+B",),
                                         "Measure models, runtimes and threads on the open source")
        self.bench_dialog: BenchDialog | None = None
        self.layers = LayersController(self)  # Tools > Compare layers...: the Layers dock
        self.head_diff = HeadDiffController(self)  # compare: heatmap / centre A - B over the video

        self.recent = RecentSources(self.settings, self.open_source, self)
        self.copy_keypoints_action = self._action("&Copy keypoints", self.copy_keypoints, ("Ctrl+Shift+C",),
                                                  "Copy the frame's keypoints as JSON (infer --json's frame format)")

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        for action in (self.open_action, self.open_folder_action, self.open_model_action):
            file_menu.addAction(action)
        file_menu.addMenu(self.recent.menu)
        file_menu.addSeparator()
        for action in self.exports.actions():
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.classification.open_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit = menu.addMenu("&Edit")
        edit.addAction(self.copy_keypoints_action)
        playback = menu.addMenu("&Playback")
        for action in (self.play_action, self.step_action, self.step_back_action, self.first_action,
                       self.last_action, self.loop_action):
            playback.addAction(action)
        view = menu.addMenu("&View")
        view.addAction(self.fit_action)
        self.reset_layout_action = self._action("&Reset layout", self.reset_layout,
                                                tip="Put every panel back where it was on a first start")
        view.addAction(self.reset_layout_action)
        view.addSeparator()
        view.addAction(self.controls_dock.toggleViewAction())
        view.addAction(self.latency_dock.toggleViewAction())
        view.addAction(self.compare_dock.toggleViewAction())
        view.addAction(self.model_info_dock.toggleViewAction())
        view.addAction(self.heads_dock.toggleViewAction())
        view.addAction(self.model_input_dock.toggleViewAction())
        view.addAction(self.classification_dock.toggleViewAction())
        view.addAction(self.layers.dock.toggleViewAction())
        view.addAction(self.timeline_dock.toggleViewAction())
        self.tools_menu = menu.addMenu("&Tools")
        self.tools_menu.addAction(self.bench_action)
        self.tools_menu.addAction(self.layers.action)
        self.help_menu = menu.addMenu("&Help")
        self.help_menu.addAction(self.shortcuts_action)
        self.help_menu.addAction(self.sample_action)
        self.log_folder = LogFolderAction(self.reporter, self)
        self.help_menu.addAction(self.log_folder.action)
        self.help_menu.addAction(self.about_action)

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
        player.playing_changed.connect(source.set_playing)
        player.playing_changed.connect(self._on_playing_changed)
        player.finished.connect(self._on_finished)
        player.closed.connect(self._on_source_closed)

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

    def _connect_runtime_and_compare(self) -> None:
        engine, runtime, people = self.engine, self.controls.runtime, self.controls.people
        engine.model_changed.connect(runtime.show_model)
        engine.model_changed.connect(people.show_model)
        engine.model_changed.connect(self.model_info.show_model)
        engine.model_changed.connect(self.compare.on_model_changed)
        engine.model_changed.connect(self._show_runtime_note)
        engine.model_failed.connect(runtime.revert)
        engine.model_failed.connect(self.compare.on_model_failed)
        engine.result_ready.connect(self.compare.show_result)
        runtime.runtime_requested.connect(self._runtime_requested)
        people.tracker_changed.connect(self._tracker_requested)
        people.min_pose_score_changed.connect(self._min_pose_score_requested)
        self.controls.display.threshold_changed.connect(self.compare.set_threshold)
        self.compare.status.connect(self.reporter.info)
        self.compare.mode_changed.connect(self._on_compare_mode)
        self.player.opened.connect(self.compare_panel.table.reset)

    @Slot(str, object)
    def _runtime_requested(self, backend: str, provider: str | None) -> None:
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
        if active and not self._comparing:  # compare just started: show its table, tall enough
            self.compare_dock.show()
            self.compare_dock.raise_()
            self.resizeDocks([self.compare_dock], [640], Qt.Orientation.Vertical)
        self._comparing = active

    @Slot(object)
    def _show_runtime_note(self, info: ModelInfo) -> None:
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
        if source is None:
            last = self.settings.last_source
            # Files and folders are reopened; a camera is never switched on unasked.
            if last and not last.lower().startswith("camera:") and Path(last).exists():
                source = last
            elif sample and not last:
                source = str(sample_path())
        if self._classifier_request is not None:  # open the source once the classifier is there
            self.classification.restore(self._classifier_request, then=partial(self.open_source, source)
                                        if source else None)
        else:
            self.classification.restore()
            if source:
                self.open_source(source)
        if self._startup_note:  # after "Opening ...", so the status bar shows the note
            self.reporter.warn(self._startup_note)
        if self.settings.note:  # stored settings unreadable or from an older version: reset
            self.reporter.warn(self.settings.note)

    @Slot()
    def copy_keypoints(self) -> None:
        """Edit > Copy keypoints: the frame on screen as JSON on the clipboard."""
        text = copy_keypoints(self.video_view)
        if text is None:
            self.reporter.info("No frame to copy keypoints from")
        else:
            index = self.video_view.last_result.result.index
            self.reporter.info(f"Copied the keypoints of frame {index} as JSON")

    @Slot()
    def reset_layout(self) -> None:
        """Docks back to the first-start layout (the heads dock shows while a head layer is on)."""
        self.restoreState(self._default_state)
        self.overlay_controller.sync()

    @Slot()
    def open_sample(self) -> None:
        """Open and play the bundled sample video (pose_1.mp4, resources/samples)."""
        self.open_source(str(sample_path()))

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
        self.layers.shutdown()
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

    # ------------------------------------------------------------------ requests
    @Slot(str)
    def open_path(self, path: str) -> None:
        """Open `path` as a model when it is a .tflite/.onnx file, else as a source."""
        if is_model_path(path):
            self.open_model(path)
        else:
            self.open_source(path)

    @Slot(str)
    def open_source(self, spec: str) -> None:
        """Open a video, image, folder or ``camera:N`` (answer arrives asynchronously)."""
        self.reporter.info(f"Opening {spec}…")
        self.player.open(spec)

    @Slot(object)
    def _set_preprocess(self, profile) -> None:
        """A new preprocessing profile: remembered, and the pipeline rebuilt with it."""
        self.settings.preprocess = profile
        self.engine.update_config(preprocess=profile)

    @Slot(object)
    def _set_input_range(self, value_range) -> None:
        """A float input range for the running model file: remembered for that file, pipeline rebuilt."""
        model = self.engine.config.model
        if is_model_path(model):
            self.settings.set_input_range_for(model, value_range)
        self.engine.update_config(input_range=tuple(value_range))

    @Slot(object)
    def _show_preprocess(self, info) -> None:
        """Show the running model's profile and, for a float32-input file, its input range."""
        self.preprocess_controls.show_profile(info.config.preprocess)
        io = getattr(info.spec, "io", None)
        self.preprocess_controls.show_input(io.input.value_range if io is not None and io.input.dtype == "float32"
                                            else None)

    @Slot(str)
    def open_model(self, name: str) -> None:
        """Switch to model `name` (catalog key or file path) live; on failure the old one stays."""
        self.reporter.info(f"Loading model {name}…")
        # From the engine's config: keeps the other settings (heads, crop, threads ...) asked for.
        config = replace(self.engine.config, model=str(name),
                         input_range=self.settings.input_range_for(str(name)) if is_model_path(str(name)) else None)
        if is_model_path(str(name)) and default_backend(name) != config.backend:  # the file's format picks the runtime
            config = replace(config, backend=default_backend(name), provider=None)
        self.engine.request_model(config)

    def handle_paths(self, paths: list[str]) -> None:
        """Open dropped paths: model files switch the model, the first other path becomes the source."""
        sources = []
        for path in paths:
            if is_model_path(path):
                self.open_model(path)
            else:
                sources.append(path)
        if sources:
            self.open_source(sources[0])
            if len(sources) > 1:
                self.reporter.info(f"Opened {Path(sources[0]).name}; {len(sources) - 1} more dropped path(s) ignored")

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt name)
        """Accept local files and folders."""
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt name)
        """Open dropped files: video/image/folder as the source, .tflite/.onnx as the model."""
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.handle_paths(paths)
        else:
            event.ignore()

    # ------------------------------------------------------------------ signal handlers
    @Slot(object)
    def _on_result(self, result: EngineResult) -> None:
        self.controls.source.set_position(result.result.index)

    @Slot(object)
    def _on_source_opened(self, info: SourceInfo) -> None:
        self._source = info
        self.latency_panel.reset()
        self.settings.last_source = info.spec
        self.recent.add(info.spec)
        if info.kind == "camera":
            self.settings.camera_index = int(info.spec.split(":", 1)[1])
        self.reporter.info(f"Opened {info.name} ({info.details})")
        self._update_title()

    @Slot()
    def _on_source_closed(self) -> None:
        self._source = None
        self.controls.source.set_source(None)
        self._update_title()

    @Slot()
    def _on_finished(self) -> None:
        name = self._source.name if self._source else "source"
        self.reporter.info(f"{END_MESSAGE} {name} (Space plays it again, L loops)")

    @Slot(bool)
    def _on_playing_changed(self, playing: bool) -> None:
        if playing and self.statusBar().currentMessage().startswith(END_MESSAGE):
            self.statusBar().clearMessage()  # the end is no longer where playback is

    @Slot(object)
    def _on_model_changed(self, info: ModelInfo) -> None:
        self._model = info
        if not info.kept:  # (kept: only head reading or compare changed, nothing was reloaded)
            self.reporter.info(f"Model: {info.spec.label} on {info.device} (loaded in {info.load_ms:.0f} ms)")
        self._update_title()

    @Slot(str, str)
    def _on_model_failed(self, message: str, details: str) -> None:
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

    @Slot()
    def show_benchmark(self) -> None:
        """Show the Benchmark dialog (non-modal; runs in the background on the open source)."""
        if self.bench_dialog is None:
            self.bench_dialog = BenchDialog(self)
        self.bench_dialog.refresh_source()
        self.bench_dialog.show()
        self.bench_dialog.raise_()

    @Slot()
    def show_shortcuts(self) -> None:
        """Show the keyboard shortcuts (non-modal, rebuilt from the current actions)."""
        if self._shortcuts_dialog is None:
            self._shortcuts_dialog = ShortcutsDialog(self)
        self._shortcuts_dialog.refresh()
        self._shortcuts_dialog.show()
        self._shortcuts_dialog.raise_()

    @Slot()
    def _about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<b>{APP_NAME}</b> {__version__}<br>A visual inspector for Google's MoveNet pose models.")
