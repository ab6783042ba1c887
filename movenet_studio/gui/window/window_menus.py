"""The main window's menus: the actions with their shortcuts, the menu bar, and the commands
only the menus trigger (copy keypoints, reset layout, benchmark, shortcuts, about).

:class:`WindowMenus` is a mixin of :class:`~.main_window.MainWindow`: it reads the widgets and
controllers the window has built (player, controls, views, docks, reporter, settings).
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QObject, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from ... import __version__
from ..dialogs.bench_dialog import BenchDialog
from ..dialogs.evaluate_dialog import EvaluateDialog
from ..dialogs.quantize_dialog import QuantizeDialog
from .export_actions import ExportController
from ..overlays.head_diff import HeadDiffController
from .layers_controller import LayersController
from ..layout_names import LAYOUTS
from ..dialogs.log_folder import LogFolderAction
from .recent_and_copy import RecentSources, copy_keypoints
from ..dialogs.shortcuts import ShortcutsDialog
from .window_setup import APP_NAME


#: Overlay layers with a one-key toggle (View > Overlays): name, menu text, key.
OVERLAY_HOTKEYS = (("skeleton", "&Skeleton", "S"), ("heatmaps", "Keypoint &heatmaps", "H"),
                   ("centre", "&Centre heatmap", "C"), ("offsets", "&Offsets", "O"),
                   ("regression", "&Regression", "R"), ("decode", "&Decode steps", "D"),
                   ("crop", "Crop re&gion", "G"))


class _EnabledMirror(QObject):
    """Keeps an action enabled exactly while the check box it mirrors is (greyed out for a
    model that cannot feed the layer)."""

    def __init__(self, action: QAction):
        super().__init__(action)
        self._action = action

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.EnabledChange and isinstance(watched, QWidget):
            self._action.setEnabled(watched.isEnabled())
        return False


class WindowMenus:
    """Menus and actions of the main window (a mixin: call :meth:`_make_actions` once the
    widgets, docks and controllers exist)."""

    def _action(self, text: str, slot, shortcuts: tuple[str | QKeySequence, ...] = (), tip: str = "") -> QAction:
        """A window-wide action (its shortcuts work wherever the focus is) that calls `slot`."""
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _check_action(self, text: str, check: QCheckBox, shortcut: str) -> QAction:
        """A checkable action with `shortcut` that mirrors `check` (a panel's check box): it
        toggles the box (and so whatever the box controls), and follows it, enabled state included."""
        action = self._action(text, check.toggle, (shortcut,), check.toolTip())
        action.setCheckable(True)
        action.setChecked(check.isChecked())
        check.toggled.connect(action.setChecked)
        check.installEventFilter(_EnabledMirror(action))
        action.setEnabled(check.isEnabled())
        return action

    def _make_actions(self) -> None:
        """Every action of the menus, with its shortcuts (also those of the export, layers,
        head-difference and recent-files controllers, created here), then the menus."""
        source = self.controls.source
        self.open_action = self._action("&Open…", source.choose_file, (QKeySequence.StandardKey.Open,),
                                        "Open a video, image or model file")
        self.open_folder_action = self._action("Open &folder…", source.choose_folder, ("Ctrl+Shift+O",))
        self.open_model_action = self._action("Open &model file…", self.controls.model.choose_file, ("Ctrl+M",))
        self.open_stream_action = self._action("Open s&tream…", self.choose_stream, ("Ctrl+U",),
                                               "Open a network stream: rtsp://, http(s):// (MPEG-TS, MJPEG, HLS), "
                                               "udp://, tcp://")
        self.open_camera_action = self._action("Open &camera…", self.choose_camera, ("Ctrl+Shift+K",),
                                               "Pick a camera and one of its modes (size, frame rate, pixel format)")
        self.quit_action = self._action("&Quit", self.close, ("Ctrl+Q",))
        self.play_action = self._action("&Play / Pause", self.player.toggle, ("Space",))
        self.step_action = self._action("&Step", self.player.step, ("Right", "."))
        self.step_back_action = self._action("Step &back", self.player.step_back, ("Left", ","))
        self.first_action = self._action("&First frame", self.player.seek_first, ("Home",))
        self.last_action = self._action("&Last frame", self.player.seek_last, ("End",))
        self.loop_action = self._action("&Loop", source.loop_check.toggle, ("L",))
        self.fit_action = self._action("&Fit frame", self.video_view.reset_zoom, ("Ctrl+0",),
                                       "Show the whole frame, whatever its aspect")
        self.actual_size_action = self._action("&Actual pixels (1:1)", self.video_view.actual_size, ("1", "Ctrl+Alt+0"),
                                               "One frame pixel per screen pixel")
        self.about_action = self._action("&About", self._about)
        self.shortcuts_action = self._action("&Keyboard shortcuts", self.show_shortcuts, ("F1",))
        self.sample_action = self._action("Open &sample video", self.open_sample,
                                          tip="Play the bundled sample (pose_1.mp4, Apache-2.0, from Google's tfjs-models)")
        self.exports = ExportController(self, view=self.video_view, player=self.player, engine=self.engine,
                                        reporter=self.reporter, classification=self.classification)
        self._shortcuts_dialog: ShortcutsDialog | None = None
        self.bench_action = self._action("&Benchmark…", self.show_benchmark, ("Ctrl+B",),
                                         "Measure models, backends and threads on the open source")
        self.bench_dialog: BenchDialog | None = None
        self.evaluate_action = self._action("&Evaluate…", self.show_evaluate, ("Ctrl+Alt+E",),
                                            "Error atlas on COCO annotations: every keypoint's error class, what "
                                            "each costs in AP, and where a second model moves them")
        self.evaluate_dialog: EvaluateDialog | None = None
        self.quantize_action = self._action("&Quantize…", self.show_quantize, ("Ctrl+Shift+Q",),
                                            "Quantize a float model on the open source, repaired by keypoint impact")
        self.quantize_dialog: QuantizeDialog | None = None
        self.layers = LayersController(self)  # Tools > Compare layers...: the Layers dock
        self.head_diff = HeadDiffController(self)  # compare: heatmap / centre A - B over the video

        self.overlay_actions = {name: self._check_action(title, self.overlay_controls.checks[name], key)
                                for name, title, key in OVERLAY_HOTKEYS}
        self.compare_action = self._check_action("&Compare A / B", self.compare_panel.enable_check, "B")
        self.recent = RecentSources(self.settings, self.open_path, self)  # sources and model files
        self.copy_keypoints_action = self._action("&Copy keypoints", self.copy_keypoints, ("Ctrl+Shift+C",),
                                                  "Copy the frame's keypoints as JSON (infer --json's frame format)")
        self._make_menus()

    def _make_menus(self) -> None:
        """The menu bar: File, Edit, Playback, View, Tools, Help."""
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        for action in (self.open_action, self.open_folder_action, self.open_stream_action, self.open_camera_action,
                       self.open_model_action):
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
        view.addAction(self.actual_size_action)
        layouts = view.addMenu("&Layout")
        group = QActionGroup(self)
        self.layout_actions: dict[str, QAction] = {}
        for layout in LAYOUTS:
            action = self._action(layout.title, partial(self.apply_layout, layout.key), (layout.shortcut,), layout.tip)
            action.setCheckable(True)
            action.setChecked(layout.key == self.layout_key)
            group.addAction(action)
            layouts.addAction(action)
            self.layout_actions[layout.key] = action
        layouts.addSeparator()
        self.reset_layout_action = self._action("&Reset layout", self.reset_layout,
                                                tip="Put every panel back where the chosen layout puts it")
        layouts.addAction(self.reset_layout_action)
        view.addAction(self.reset_layout_action)
        overlays = view.addMenu("&Overlays")
        for action in self.overlay_actions.values():
            overlays.addAction(action)
        view.addAction(self.compare_action)
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
        self.tools_menu.addAction(self.evaluate_action)
        self.tools_menu.addAction(self.quantize_action)
        self.help_menu = menu.addMenu("&Help")
        self.help_menu.addAction(self.shortcuts_action)
        self.help_menu.addAction(self.sample_action)
        self.log_folder = LogFolderAction(self.reporter, self)
        self.help_menu.addAction(self.log_folder.action)
        self.help_menu.addAction(self.about_action)

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
        """Docks back where the chosen named layout puts them (the heads dock shows while a head
        layer is on)."""
        self.apply_layout(self.layout_key)

    @Slot()
    def show_benchmark(self) -> None:
        """Show the Benchmark dialog (non-modal; runs in the background on the open source)."""
        if self.bench_dialog is None:
            self.bench_dialog = BenchDialog(self)
        self.bench_dialog.refresh_source()
        self.bench_dialog.show()
        self.bench_dialog.raise_()

    @Slot()
    def show_evaluate(self) -> None:
        """Show the Evaluate dialog (non-modal; runs in the background, apart from playback)."""
        if self.evaluate_dialog is None:
            self.evaluate_dialog = EvaluateDialog(self, self.settings.qsettings)
        self.evaluate_dialog.show()
        self.evaluate_dialog.raise_()
    def show_quantize(self) -> None:
        """Show the Quantize dialog (non-modal; runs in the background, the open source preselected)."""
        if self.quantize_dialog is None:
            self.quantize_dialog = QuantizeDialog(self)
        self.quantize_dialog.refresh()
        self.quantize_dialog.show()
        self.quantize_dialog.raise_()

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
