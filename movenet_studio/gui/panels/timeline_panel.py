"""The Timeline dock: keypoint trajectories over time, jitter and lag, and the filter's knobs.

The panel owns a :class:`~movenet_studio.core.analysis.trajectories.TrajectoryRecorder` fed on the
inference worker thread with *every* processed frame (``Engine.add_result_observer``), so
jitter and lag are measured on all frames even when the display skips some. The GUI thread
only takes one keypoint's snapshot for the plots, at most every :data:`PLOT_INTERVAL_MS`,
and moves the current-frame mark at most every :data:`CURSOR_INTERVAL_MS`. Jitter and lag
over the whole recording (tens of ms for a long clip) are computed on a thread of their own
(:class:`~.latest_job.LatestJobRunner`) at most every :data:`JITTER_INTERVAL_S`: the newest
answer wins and answers computed before a new source opened are dropped. Clicking a plot
seeks the source to that frame; the One Euro parameters apply live (``Engine.set_one_euro``)
and the figures then describe the frames smoothed with the new parameters (see
:func:`~.core.jitter.measure_jitter`).
"""

from __future__ import annotations

import time
from dataclasses import replace

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QSplitter, QVBoxLayout, QWidget

from ...core.analysis.events import EVENT_KINDS, events_of_trajectory

from ...core.analysis.jitter import KeypointJitter, measure_jitter
from ...core.tracking.smoothing import MOVENET_KEYPOINT_FILTER_CONFIG, OneEuroConfig
from ...core.analysis.trajectories import TrajectoryRecorder
from ..engine import Engine, EngineResult, ModelInfo
from ..latest_job import LatestJobRunner
from ..player import SourcePlayer
from ..source_info import SourceInfo
from .empty_state import EmptyState
from .readable import WrappedLabel, keypoint_label
from .scroll_area import VerticalScrollArea
from .smoothing_controls import SmoothingControls
from .tables import EMPTY, figures_table, fill_row
from ..throttle import RefreshThrottle
from .timeline_plots import LEGEND_HTML, TimelinePlots
from ..slot_timing import timed

#: The plots are redrawn at most this often (ms): a timeline needs no video rate.
PLOT_INTERVAL_MS = 200
#: The current-frame mark moves at most this often (ms): each move repaints the four plots.
CURSOR_INTERVAL_MS = 100
#: The jitter table is recomputed at most this often (s), and at most 10 % of the time
#: (a 10-minute clip takes ~0.1 s): it measures the whole recording, on its own thread.
JITTER_INTERVAL_S = 1.0

#: First widths (px) of the knobs, the plots and the jitter table (a splitter: the user drags them).
TIMELINE_PART_WIDTHS = (240, 800, 230)


def _number(value: float | None, digits: int = 2) -> str:
    return EMPTY if value is None else f"{value:.{digits}f}"


class TimelinePanel(QWidget):
    """Keypoint picker, filter parameters, jitter/lag figures and the timeline plots.

    Args:
        keypoint: name of the keypoint to plot first (e.g. ``left_knee``).
        one_euro: the filter parameters in use.

    Signals:
        keypoint_changed(str): the user picked another keypoint (saved in settings).
    """

    keypoint_changed = Signal(str)

    def __init__(self, keypoint: str = "left_knee", one_euro: OneEuroConfig = MOVENET_KEYPOINT_FILTER_CONFIG,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.recorder = TrajectoryRecorder()
        self._engine: Engine | None = None
        self._current: int | None = None
        self._fps = 30.0  # of the open source: turns a live outage's seconds into frames
        self._drop = None  # the LiveEvent of a feed that dropped and is not back yet
        self._jitter_due = float("-inf")
        self._jitter: dict[str, KeypointJitter] | None = None  # the figures shown
        self._wanted = keypoint
        self._source: SourceInfo | None = None  # the open source (a new series restarts its recording)
        self._config = None  # the configuration the series was recorded with (heads and filter aside)
        self.keypoint_combo = QComboBox()
        self.keypoint_combo.setToolTip("The keypoint plotted (also: click its row in the table)")
        self.figures = QLabel()
        self.figures.setWordWrap(True)
        self.figures.setTextFormat(Qt.TextFormat.RichText)
        self.smoothing = SmoothingControls(one_euro)
        self.table = figures_table(0, ["name", "raw", "smoothed", "lag ms"], "000.00")
        self.table.setToolTip("Jitter: RMS second difference of the position, px per frame² at 30 fps, before "
                              "(raw) and after smoothing; lag: how late the smoothed keypoint follows (ms)")
        self.plots = TimelinePlots()
        self.events_list = QListWidget()
        self.events_list.setToolTip("Failure events found on the frames seen so far (no ground truth needed): "
                                    "left/right swaps, person switches, keypoints outside the frame. Click one "
                                    "to go to its frame; they are the marks on the pose plot.")
        self.events_list.itemClicked.connect(self._event_clicked)
        self.events_label = QLabel("Events")
        self.events_label.setWordWrap(True)
        self.events: list = []
        self._frame_size: tuple[int, int] | None = None

        left = QVBoxLayout()
        left.addWidget(QLabel("Keypoint"))
        left.addWidget(self.keypoint_combo)
        left.addWidget(self.figures)
        left.addWidget(self.smoothing)
        left.addStretch(1)
        left_widget = QWidget()
        left_widget.setLayout(left)
        legend = WrappedLabel(LEGEND_HTML, lines=2)
        legend.setTextFormat(Qt.TextFormat.RichText)
        centre_widget = QWidget()
        centre = QVBoxLayout(centre_widget)
        centre.setContentsMargins(0, 0, 0, 0)
        centre.setSpacing(2)
        centre.addWidget(legend)
        self.plots_state = EmptyState(self.plots, "The Timeline plots each keypoint once frames have run: "
                                                  "open a video (or press Space)")
        centre.addWidget(self.plots_state, 1)
        # A splitter, not fixed widths: the knobs (scrolling when the dock is short) and the
        # table give way to a narrow window (1280x720 with the side docks open)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.table.setMinimumWidth(120)
        self.plots.setMinimumWidth(200)
        right = QSplitter(Qt.Orientation.Vertical)
        right.setChildrenCollapsible(False)
        events_widget = QWidget()
        events_layout = QVBoxLayout(events_widget)
        events_layout.setContentsMargins(0, 0, 0, 0)
        events_layout.addWidget(self.events_label)
        events_layout.addWidget(self.events_list, 1)
        right.addWidget(self.table)
        right.addWidget(events_widget)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right.setSizes([300, 200])  # the events list in view beside the table, not squeezed under it
        self.table.setMinimumHeight(60)
        self.events_list.setMinimumHeight(40)
        for part in (VerticalScrollArea(left_widget), centre_widget, right):
            self.splitter.addWidget(part)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes(list(TIMELINE_PART_WIDTHS))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        self._set_names(self.recorder.names)
        self.throttle = RefreshThrottle(self.refresh, self, PLOT_INTERVAL_MS, while_visible=True)
        self.cursor_throttle = RefreshThrottle(self._move_cursor, self, CURSOR_INTERVAL_MS, while_visible=True)
        self.jitter_jobs = LatestJobRunner("movenet-jitter", self)
        self.jitter_jobs.finished.connect(self._jitter_measured)
        self.event_jobs = LatestJobRunner("movenet-events", self)
        self.event_jobs.finished.connect(self._events_found)
        self.keypoint_combo.currentIndexChanged.connect(self._keypoint_picked)
        self.table.cellClicked.connect(self._row_clicked)

    def attach(self, engine: Engine, player: SourcePlayer) -> None:
        """Record every frame `engine` processes, follow its results, seek `player` on clicks and
        send filter changes to `engine`."""
        self._engine = engine
        engine.add_result_observer(self.recorder.add)
        engine.result_ready.connect(self.add_result)
        engine.model_changed.connect(self._model_changed)
        player.opened.connect(self.source_opened)
        self.plots.seek_requested.connect(player.seek)
        self.smoothing.one_euro_changed.connect(engine.set_one_euro)

    @property
    def keypoint(self) -> str:
        """Name of the keypoint plotted."""
        return self.keypoint_combo.currentText()

    def select_keypoint(self, name: str) -> None:
        """Plot keypoint `name` (ignored when the model has no keypoint of that name)."""
        index = self.keypoint_combo.findText(name)
        if index >= 0:
            self.keypoint_combo.setCurrentIndex(index)

    def _shown_names(self) -> tuple[str, ...]:
        return tuple(self.keypoint_combo.itemText(i) for i in range(self.keypoint_combo.count()))

    def _set_names(self, names: tuple[str, ...]) -> None:
        if self._shown_names() == names:
            return
        wanted = self.keypoint or self._wanted
        self.keypoint_combo.blockSignals(True)
        self.keypoint_combo.clear()
        self.keypoint_combo.addItems(list(names))
        self.keypoint_combo.setCurrentIndex(max(0, self.keypoint_combo.findText(wanted)))
        self.keypoint_combo.blockSignals(False)
        self.table.setRowCount(len(names))
        for row, name in enumerate(names):
            fill_row(self.table, row, keypoint_label(name, short=True))
            self.table.item(row, 0).setToolTip(name)

    # ------------------------------------------------------------------ slots
    @Slot(object)
    def source_opened(self, info: SourceInfo) -> None:
        """Start a new recording for the source (keeping frames the worker already recorded for it)."""
        generation = self._engine.generation if self._engine is not None else None
        self._source = info
        self.recorder.reset(info.frame_count, info.is_live, stills=info.kind in ("image", "folder"),
                            keep_generation=generation)
        self.plots.set_frame_range(info.frame_count - 1 if self.recorder.clip else None)
        self.plots.set_stills(info.kind in ("image", "folder"))
        self._current = None
        self._frame_size = None
        self._fps = info.fps or 30.0
        self._drop = None
        self.plots.clear_gaps()
        self._show_events([])
        self.flush()  # (drops figures of the previous source still being computed)

    @Slot(object)
    def _model_changed(self, info: ModelInfo) -> None:
        """A switch of model, runtime, provider, threads or pipeline options starts a new series
        (the frames recorded under the new generation stay): the plots and the jitter table
        never mix two configurations. Head reading and compare mode (``info.kept``) change
        nothing the model sees and keep the series. The filter's knobs are live only while
        keypoint smoothing is on."""
        config = replace(info.config, heads=False, one_euro=None)  # the filter has its own epochs
        if self._config is not None and config != self._config and not info.kept and self._source is not None:
            source = self._source
            self.recorder.reset(source.frame_count, source.is_live, stills=source.kind in ("image", "folder"),
                                keep_generation=self._engine.generation if self._engine is not None else None)
            self._jitter = None
            self.flush()
        self._config = config
        on = bool(info.config.smoothing)
        self.smoothing.setEnabled(on)
        self.smoothing.setTitle("Smoothing filter (One Euro)" if on else "Smoothing filter (off: see Tracking)")

    @Slot(object)
    @timed("timeline.add_result")
    def add_result(self, result: EngineResult) -> None:
        """A result was shown: move the frame mark and redraw the data when due (the recorder
        has the data already)."""
        self._current = int(result.result.index)
        frame = getattr(result.result, "frame", None)
        if frame is not None:
            self._frame_size = (int(frame.shape[1]), int(frame.shape[0]))
        self.cursor_throttle.request()
        self.throttle.request()

    @Slot()
    @timed("timeline.move_cursor")
    def _move_cursor(self) -> None:
        self.cursor_throttle.refreshed()
        self.plots.set_current(self._current)

    @Slot(int, int)
    def _row_clicked(self, row: int, _column: int) -> None:
        self.keypoint_combo.setCurrentIndex(row)

    @Slot(int)
    def _keypoint_picked(self, _row: int) -> None:
        self._wanted = self.keypoint
        self.keypoint_changed.emit(self.keypoint)
        if self._jitter is not None:
            self._show_jitter(self._jitter)  # the figures of all keypoints are there already
        self.refresh()

    def flush(self) -> None:
        """Redraw now with jitter figures of everything recorded so far, computed here (before
        a screenshot); an answer still being computed in the background is dropped."""
        self.jitter_jobs.invalidate()
        self.event_jobs.invalidate()
        self._jitter_due = float("-inf")
        self._refresh_plots()
        snapshot = self.recorder.snapshot()
        self._show_jitter(measure_jitter(snapshot))
        self._show_events(events_of_trajectory(snapshot, self._frame_size, independent=self.recorder.stills)
                          if len(snapshot.index) else [])

    def shutdown(self) -> None:
        """End the jitter thread (when the window closes)."""
        self.jitter_jobs.stop()
        self.event_jobs.stop()

    @Slot()
    @timed("timeline.refresh")
    def refresh(self) -> None:
        """Redraw the plots from the recorder; have the figures recomputed in the background when due."""
        self._refresh_plots()
        if time.perf_counter() >= self._jitter_due and not self.jitter_jobs.busy:
            recorder = self.recorder
            self.jitter_jobs.submit(lambda: measure_jitter(recorder.snapshot()))
            if not self.event_jobs.busy:
                size, stills = self._frame_size, recorder.stills
                self.event_jobs.submit(lambda: events_of_trajectory(recorder.snapshot(), size, independent=stills))

    def _refresh_plots(self) -> None:
        self.throttle.refreshed()
        self.cursor_throttle.refreshed()
        self._set_names(self.recorder.names)
        row = max(0, self.keypoint_combo.currentIndex())
        snapshot = self.recorder.snapshot(keypoint=row)
        self.plots_state.set_empty(len(snapshot.index) == 0)
        self.plots.set_data(snapshot)
        self.plots.set_current(self._current)

    @Slot(object, float)
    @timed("timeline.show_jitter")
    def _jitter_measured(self, jitter: dict[str, KeypointJitter], ms: float) -> None:
        """The newest jitter figures arrived (GUI thread); the next are due after
        :data:`JITTER_INTERVAL_S` or nine times this computation's time, whichever is longer.
        Figures of other keypoints than the table's (the model changed meanwhile) are dropped."""
        if tuple(jitter) != self._shown_names():
            self._jitter_due = float("-inf")
            return
        self._show_jitter(jitter)
        self._jitter_due = time.perf_counter() + max(JITTER_INTERVAL_S, 9 * ms / 1000)

    def _show_jitter(self, jitter: dict[str, KeypointJitter]) -> None:
        self._jitter = jitter
        for row, value in enumerate(jitter.values()):
            if row >= self.table.rowCount():
                break
            for column, text in enumerate((_number(value.raw_px), _number(value.smoothed_px),
                                           _number(value.lag_ms, 1)), start=1):
                self.table.item(row, column).setText(text)
        chosen = jitter.get(self.keypoint)
        if chosen is None or chosen.samples == 0:
            self.figures.setText("<i>Photos are independent: no jitter.</i>" if self.recorder.stills
                                 else "<i>Jitter needs three consecutive frames.</i>")
            return
        change = ""
        if chosen.raw_px and chosen.smoothed_px is not None:
            change = f" ({100 * (chosen.smoothed_px / chosen.raw_px - 1):+.0f} %)"
        lag = "" if chosen.lag_ms is None else f"<br>lag <b>{chosen.lag_ms:.1f} ms</b>"
        self.figures.setText(
            f"jitter raw <b>{_number(chosen.raw_px)}</b> → smoothed <b>{_number(chosen.smoothed_px)}</b>"
            f"{change} px/frame² at 30 fps{lag}<br><small>{chosen.samples} frame triplets with the "
            "current filter</small>")

    # ------------------------------------------------------------------ live feeds
    @Slot(object)
    def live_event(self, event) -> None:
        """A live feed dropped (a gap opens after its last frame) and came back or was lost (the
        gap is shaded over the frames the outage lasted, :class:`~movenet_studio.core.media.live.LiveEvent`)."""
        if event.kind == "dropped":
            self._drop = event
        elif event.kind in ("reconnected", "lost") and self._drop is not None:
            drop, self._drop = self._drop, None
            first = drop.last_index + 0.5
            self.plots.add_gap(first, first + (event.time_s - drop.time_s) * self._fps,
                               f"{drop.message}\n{event.message}")

    # ------------------------------------------------------------------ events
    @Slot(object, float)
    def _events_found(self, events: list, _ms: float) -> None:
        self._show_events(events)

    def _show_events(self, events: list) -> None:
        """List `events` and mark them on the pose plot."""
        self.events = list(events)
        self.plots.set_events(self.events)
        self.events_list.clear()
        for event in self.events:
            item = QListWidgetItem(f"{event.frame}: {event.kind.replace('_', ' ')} ({event.magnitude:.2f}) "
                                   f"{', '.join(event.keypoints[:4])}{' ...' if len(event.keypoints) > 4 else ''}")
            item.setData(Qt.ItemDataRole.UserRole, event.frame)
            self.events_list.addItem(item)
        counts = {kind: sum(1 for e in self.events if e.kind == kind) for kind in EVENT_KINDS}
        short = {"left_right_swap": "L/R swap", "person_switch": "switch", "outside_frame": "outside"}
        self.events_label.setText("Events: " + ", ".join(f"{n} {short[k]}" for k, n in counts.items()))
        self.events_label.setToolTip(", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()))

    @Slot(QListWidgetItem)
    def _event_clicked(self, item: QListWidgetItem) -> None:
        self.plots.seek_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))
