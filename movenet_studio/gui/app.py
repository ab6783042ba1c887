"""GUI entry point: :class:`GuiOptions` and :func:`run` (called by the CLI).

Nothing happens at import time; :func:`run` creates the QApplication (unless one exists),
configures pyqtgraph, builds the :class:`~.main_window.MainWindow` and runs the event loop.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QCoreApplication, QEvent, QIODevice, QObject, QTimer, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from ..core.atomic import atomic_output
from ..core.media.live import LiveOptions
from ..core.preprocessing.profile import PreprocessProfile
from ..core.drawing.overlay_options import OverlayOptions
from ..core.tracking.smoothing import OneEuroConfig
from ..core.text import printable
from ..logs import LOGGER_NAME, configure_logging
from .window.classification_controller import ClassifierRequest
from .window.main_window import MainWindow
from .platform_libraries import uses_xcb, xcb_problem
from .source_info import Pace
from .run_stats import RunStats
from .settings import APPLICATION, ORGANIZATION, StudioSettings
from .window.signals import SignalQuit
from .layout_names import LAYOUT_KEYS
from .window.window_setup import APP_NAME

#: An exit-after run gives up when no result arrived for this long, in ms.
EXIT_AFTER_TIMEOUT_MS = 120_000
#: --exit-after-frames: a paused source this long after its last result has shown all it will.
EXIT_IDLE_MS = 3_000

#: Exit codes of :func:`run`.
EXIT_OK, EXIT_FAILED, EXIT_BAD_OPTIONS, EXIT_TIMEOUT = 0, 1, 2, 3


@dataclass(frozen=True)
class GuiOptions:
    """How to start the GUI.

    Attributes:
        source: a video, image, folder or ``camera:N`` to open; default: the last source.
        model: model key or .tflite/.onnx path; default: the saved model (Lightning float16).
        backend: the backend (``tflite``, ``onnx``); default: the saved one (``tflite``).
        threads: runtime CPU threads; default: the saved number (2).
        exit_after_frames: quit after this many results were received (smoke tests,
            screenshots); files loop so the count is always reached, and the window uses
            its default 1400x900 layout instead of the saved one.
        screenshot: with ``exit_after_frames``, grab the whole window to this PNG first.
        settings_path: a QSettings ini file (tests); default: the platform's settings.
        pace: ``realtime`` (files at their frame rate) or ``max`` (as fast as inference runs).
        provider: ONNX Runtime execution provider (with the onnx backend); default: the saved one.
        tracker: MultiPose tracker (``none``, ``boxes``, ``keypoints``); default: the saved one.
        min_pose_score: MultiPose minimum pose score 0..1; default: the saved one.
        compare: open in compare mode with configuration B = ``model[:backend]``.
        stats_json: write the run's figures (:class:`~.run_stats.RunStats`: processed and
            displayed FPS, drops, stage p50/p95, event-loop lag) to this JSON file at exit.
        loop: loop files (soak runs; not saved); at exit a line on stdout gives resident
            memory after warm-up, peak and growth, and thread counts (also in ``stats_json``).
        overlays: initial overlay layers, e.g. ``skeleton,heatmaps,centre,offsets,regression,decode,crop``
            (the export's names); default: the saved choices.
        crop: crop-region tracking (default: on).
        first_crop: a video's first crop region, ``centre`` (TF.js, default) or ``pad``.
        smoothing: One Euro keypoint smoothing (default: on).
        one_euro: the One Euro filter's parameters (``--smoothing``); default: the saved ones.
        preprocess: the preprocessing profile (``--channels/--resize/--interpolation``);
            default: the saved one. input_range: a float input's range (``--input-range``);
            default: the one remembered for the model file.
        classifier: a pose classifier to load before the source opens
            (:class:`~.classification_controller.ClassifierRequest`); default: the saved one.
        layout: a named dock layout (``default``, ``heads``, ``compare``, ``timeline``);
            default: the saved one.
        window_size: (width, height) of the window in px; default: the saved size (1400x900
            with ``exit_after_frames``).
        live: timeouts and reconnection of cameras and streams (default: the documented defaults).
    """

    source: str | None = None
    model: str | None = None
    backend: str | None = None
    threads: int | None = None
    exit_after_frames: int | None = None
    screenshot: Path | None = None
    settings_path: Path | None = None
    pace: str = Pace.REALTIME.value
    provider: str | None = None
    tracker: str | None = None
    min_pose_score: float | None = None
    compare: str | None = None
    stats_json: Path | None = None
    loop: bool = False
    overlays: str | None = None
    crop: bool | None = None
    first_crop: str | None = None
    smoothing: bool | None = None
    one_euro: OneEuroConfig | None = None
    preprocess: PreprocessProfile | None = None
    input_range: tuple[float, float] | None = None
    classifier: ClassifierRequest | None = None
    layout: str | None = None
    window_size: tuple[int, int] | None = None
    live: LiveOptions | None = None


def configure_pyqtgraph() -> None:
    """Global pyqtgraph options of the app (row-major images). Idempotent."""
    import pyqtgraph as pg

    pg.setConfigOptions(imageAxisOrder="row-major")


def apply_dark_theme(app: QApplication) -> None:
    """Fusion style with a dark palette (matches pyqtgraph's dark plots)."""
    app.setStyle("Fusion")
    palette = QPalette()
    base, window, text, mid = QColor(30, 32, 36), QColor(42, 45, 50), QColor(225, 228, 232), QColor(70, 74, 80)
    highlight = QColor(42, 130, 218)
    roles = {
        QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base, QPalette.ColorRole.AlternateBase: window,
        QPalette.ColorRole.ToolTipBase: window, QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.Text: text, QPalette.ColorRole.Button: window,
        QPalette.ColorRole.ButtonText: text, QPalette.ColorRole.BrightText: QColor(255, 80, 80),
        QPalette.ColorRole.Highlight: highlight, QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: highlight, QPalette.ColorRole.Mid: mid,
        QPalette.ColorRole.PlaceholderText: QColor(140, 145, 150),
    }
    for role, colour in roles.items():
        palette.setColor(role, colour)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 124, 130))
    app.setPalette(palette)


class ExitAfterFrames(QObject):
    """Quits the application after `frames` results, grabbing the window to `screenshot` first.

    A source or model that fails to open, a source that fails while playing, a frame the model
    fails on (a model fault: NaN or a shape the decode cannot take; shown in the window first),
    or no result for :data:`EXIT_AFTER_TIMEOUT_MS`, also ends the run (with :data:`EXIT_FAILED`
    / :data:`EXIT_TIMEOUT`) so scripted runs never hang. A source that has shown all it will
    show and stays paused (a folder of photos opens paused on its first photo) ends it after
    :data:`EXIT_IDLE_MS` without a new result, with :data:`EXIT_OK`.
    """

    def __init__(self, window: MainWindow, frames: int, screenshot: Path | None,
                 timeout_ms: int = EXIT_AFTER_TIMEOUT_MS):
        super().__init__(window)
        self._window = window
        self._frames = max(1, int(frames))
        self._screenshot = screenshot
        self.count = 0
        self.exit_code: int | None = None
        self._watchdog = QTimer(self)
        self._watchdog.setSingleShot(True)
        self._watchdog.setInterval(timeout_ms)
        self._watchdog.timeout.connect(self._timed_out)
        window.engine.result_ready.connect(self._on_result)
        window.player.open_failed.connect(self._on_failure)
        window.player.read_failed.connect(self._on_failure)  # a file that stops decoding midway
        window.engine.model_failed.connect(self._on_model_failure)
        window.engine.error.connect(self._on_failure)  # a frame failed: shown, then a non-zero exit
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(EXIT_IDLE_MS)
        self._idle.timeout.connect(self._check_idle)
        self._watchdog.start()

    @Slot(object)
    def _on_result(self, _result) -> None:
        self.count += 1
        self._watchdog.start()
        self._idle.start()
        if self.count >= self._frames and self.exit_code is None:
            self._finish(EXIT_OK)

    @Slot(str, str)
    def _on_failure(self, message: str, _details: str) -> None:
        print(f"{APP_NAME}: {printable(message)}", file=sys.stderr)
        self._finish(EXIT_FAILED)

    @Slot(str, str)
    def _on_model_failure(self, message: str, details: str) -> None:
        if self._window.engine.model is None:
            self._on_failure(message, details)

    @Slot()
    def _check_idle(self) -> None:
        if not self._window.player.is_playing and self.exit_code is None:
            self._finish(EXIT_OK)  # paused, with nothing more to show: no more results will come

    @Slot()
    def _timed_out(self) -> None:
        print(f"{APP_NAME}: no result for {self._watchdog.interval() / 1000:.0f} s; giving up", file=sys.stderr)
        self._finish(EXIT_TIMEOUT)

    def _finish(self, code: int) -> None:
        if self.exit_code is not None:
            return
        self.exit_code = code
        self._watchdog.stop()
        self._idle.stop()
        # Let every other slot connected to this result run (and paint) before grabbing.
        QTimer.singleShot(0, self._grab_and_quit)

    @Slot()
    def _grab_and_quit(self) -> None:
        if self._screenshot is not None:
            self._window.flush_views()
            path = Path(self._screenshot)
            buffer = QBuffer()
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            try:  # encoded in memory, then written atomically (never through a device node, never half a file)
                if not self._window.grab().save(buffer, "PNG"):
                    raise OSError("the window could not be encoded as PNG")
                path.parent.mkdir(parents=True, exist_ok=True)
                with atomic_output(path, "wb") as handle:
                    handle.write(bytes(buffer.data()))
            except OSError as exc:
                print(f"{APP_NAME}: could not write screenshot {printable(path)} ({exc.strerror or exc})",
                      file=sys.stderr)
                self.exit_code = self.exit_code or EXIT_FAILED
        self._window.close()
        QApplication.instance().exit(self.exit_code)


def platform_problem(environ=os.environ) -> str | None:
    """Why Qt's X11 window cannot start here (missing xcb libraries, no display), or None."""
    if not uses_xcb(environ):
        return None
    problem = xcb_problem(environ)
    if problem is None and not environ.get("DISPLAY"):
        problem = ("no X display to open the window on (DISPLAY is not set); run inside a desktop session, "
                   "under xvfb-run, or without a window with QT_QPA_PLATFORM=offscreen")
    return problem


def ensure_logging() -> None:
    """Configure the ``movenet_studio`` log (rotating file) unless the CLI already did."""
    if not logging.getLogger(LOGGER_NAME).handlers:
        configure_logging()


def run(options: GuiOptions) -> int:
    """Run the GUI until its window closes; returns the process exit code.

    Creates the QApplication when there is none (an existing one, e.g. in tests, is reused
    and not re-themed), shows the main window and runs the event loop. Worker threads are
    stopped before returning. Engine errors and source failures go to the log file
    (:func:`ensure_logging`).
    """
    try:
        pace = Pace(options.pace or Pace.REALTIME.value)
    except ValueError:
        print(f"{APP_NAME}: unknown pace '{options.pace}'; use realtime or max", file=sys.stderr)
        return EXIT_BAD_OPTIONS
    if options.exit_after_frames is not None and options.exit_after_frames < 1:
        print(f"{APP_NAME}: exit_after_frames must be at least 1", file=sys.stderr)
        return EXIT_BAD_OPTIONS
    if options.overlays is not None:
        try:
            OverlayOptions.from_names(options.overlays)
        except ValueError as exc:
            print(f"{APP_NAME}: {exc}", file=sys.stderr)
            return EXIT_BAD_OPTIONS

    if options.layout is not None and options.layout not in LAYOUT_KEYS:
        print(f"{APP_NAME}: unknown layout '{printable(options.layout)}'; use {', '.join(LAYOUT_KEYS)}", file=sys.stderr)
        return EXIT_BAD_OPTIONS

    ensure_logging()
    app = QApplication.instance()
    if app is None:
        problem = platform_problem()
        if problem:  # one clear line instead of Qt's abort naming the wrong library
            print(f"{APP_NAME}: {problem}", file=sys.stderr)
            return EXIT_FAILED
        app = QApplication(sys.argv[:1])
        app.setOrganizationName(ORGANIZATION)
        app.setApplicationName(APPLICATION)
        app.setApplicationDisplayName(APP_NAME)
        apply_dark_theme(app)
    configure_pyqtgraph()

    exit_after = options.exit_after_frames
    looping = bool(exit_after or options.loop)
    settings = StudioSettings(options.settings_path)
    window = MainWindow(settings, model=options.model, backend=options.backend, threads=options.threads,
                        pace=pace, loop=True if looping else None, persist_loop=not looping,
                        restore_layout=not exit_after, provider=options.provider, tracker=options.tracker,
                        min_pose_score=options.min_pose_score, compare=options.compare,
                        overlays=options.overlays, crop=options.crop, smoothing=options.smoothing,
                        one_euro=options.one_euro, preprocess=options.preprocess, input_range=options.input_range,
                        classifier=options.classifier, layout=options.layout, window_size=options.window_size,
                        first_crop=options.first_crop, live=options.live)
    watcher = ExitAfterFrames(window, exit_after, options.screenshot) if exit_after else None
    stats = RunStats(window, stop_after=exit_after) if options.stats_json or options.loop else None
    signals = SignalQuit(window)
    window.show()
    window.start(options.source)
    code = EXIT_FAILED
    try:
        code = int(app.exec())
        if watcher is not None and watcher.exit_code is not None:
            code = watcher.exit_code
        if signals.signum is not None:
            code = 128 + signals.signum
            print(f"{APP_NAME}: interrupted ({signals.name})", file=sys.stderr)
        if stats is not None and options.loop:
            print(stats.memory.summary())
        if stats is not None and options.stats_json:
            stats.stop()
            try:
                stats.write(options.stats_json)
            except OSError as exc:
                print(f"{APP_NAME}: could not write {options.stats_json}: {exc}", file=sys.stderr)
                code = code or EXIT_FAILED
    finally:
        signals.restore()
        window.shutdown()
        # Destroy the window now, while its Python parts are intact (not at interpreter exit).
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        # Closing the last window posts a Quit event that arrives after exec() returned; left
        # queued, it would end the next event loop of a reused QApplication (tests) at once.
        QCoreApplication.removePostedEvents(app, QEvent.Type.Quit)
    return code
