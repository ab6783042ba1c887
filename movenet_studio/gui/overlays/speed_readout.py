"""The optional on-video readout of speed (as Google's TF.js demo and Android sample show):
processed frames per second and the newest frame's inference time, top left of the video."""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QWidget

from ..engine import EngineResult

#: Results over which the frame rate is measured.
RATE_WINDOW = 30


class SpeedReadout(QLabel):
    """A small label over the top-left corner of `parent` (the video's graphics widget):
    ``28.4 FPS · inference 23.1 ms``. Hidden until :meth:`set_enabled`; window only (exports
    have their own ``timing`` overlay)."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("speedReadout")
        self.setStyleSheet("QLabel#speedReadout { color: #f0f0f0; background: rgba(0, 0, 0, 150); "
                           "padding: 3px 6px; border-radius: 3px; font-weight: bold; }")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.move(8, 8)
        self._times: deque[tuple[float, int]] = deque(maxlen=RATE_WINDOW)
        self._playing = True
        self.setText("– FPS")
        self.hide()

    @Slot(bool)
    def set_enabled(self, on: bool) -> None:
        """Show or hide the readout."""
        self.setVisible(bool(on))
        self.raise_()

    @Slot(object)
    def add_result(self, result: EngineResult) -> None:
        """Account for one result (the text changes only while shown)."""
        self._times.append((result.finished_at, result.processed))
        if not self.isVisible():
            return
        (t0, n0), (t1, n1) = self._times[0], self._times[-1]
        fps = f"{(n1 - n0) / (t1 - t0):.1f}" if t1 > t0 and n1 > n0 else "–"
        inference = result.result.timings_ms.get("inference")
        rate = f"{fps} FPS" if self._playing else "paused"  # stepping frames is not a frame rate
        text = rate + (f" · inference {inference:.1f} ms" if inference is not None else "")
        self.setText(text)
        self.adjustSize()

    @Slot(bool)
    def set_playing(self, playing: bool) -> None:
        """Playback started or paused: while paused the readout says "paused", not a rate, and
        the rate is measured afresh when playback resumes."""
        self._playing = bool(playing)
        self._times.clear()
        if not playing:
            text = self.text()
            self.setText("paused" + (text[text.index(" · "):] if " · " in text else ""))
            self.adjustSize()

    @Slot()
    def reset(self) -> None:
        """Forget the rate (new source, paused)."""
        self._times.clear()
