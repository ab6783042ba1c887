"""Counting repetitions of a pose class (squats, push-ups ...) from per-frame probabilities.

A repetition is one *entry* into the counted class. Two guards keep a noisy classifier
from counting one squat twice:

- hysteresis: a frame counts as "in the class" when the class probability is at least
  :data:`ENTER_PROBABILITY`, as "out of it" when it is at most :data:`EXIT_PROBABILITY`;
  values in between keep the current state;
- a minimum dwell: a change of state (in -> out or out -> in) is accepted only once the new
  state has held for :data:`MIN_DWELL_MS` of frame time (from the first frame of the new
  state to the current one), so a single outlier frame changes nothing.

Frames without a pose are no evidence either way: they leave the state and the pending
change alone. This is the usual debounced threshold crossing (a Schmitt trigger with a
hold time); Google's samples count nothing, so the constants here are our own, chosen on
``pose_squats.mp4`` (5 fps; squats last 5 to 7 frames) and sensible at 30 fps.
"""

from __future__ import annotations

#: A frame is "in the class" from this probability up.
ENTER_PROBABILITY = 0.6
#: A frame is "out of the class" at or below this probability.
EXIT_PROBABILITY = 0.4
#: A state change is accepted after the new state held this long (ms of frame time).
MIN_DWELL_MS = 200.0
#: Frame times are compared with this slack (ms): container timestamps such as 11399.999 ms
#: for a frame at 11.4 s must not miss the dwell by rounding.
TIME_SLACK_MS = 0.5


class RepetitionCounter:
    """Counts entries into one class with hysteresis and a minimum dwell.

    Args:
        enter: probability at or above which a frame is in the class (0..1).
        exit: probability at or below which a frame is out of it (0 <= exit <= enter).
        min_dwell_ms: how long (frame time, ms) a new state must hold before it is accepted.

    Attributes:
        count: repetitions since the last :meth:`reset`.
        inside: the accepted state: True while in the class.

    Raises:
        ValueError: (on construction) thresholds outside 0..1, `exit` above `enter`, or a
            negative dwell.
    """

    def __init__(self, enter: float = ENTER_PROBABILITY, exit: float = EXIT_PROBABILITY,
                 min_dwell_ms: float = MIN_DWELL_MS):
        if not 0.0 <= exit <= enter <= 1.0:
            raise ValueError(f"need 0 <= exit <= enter <= 1, got exit {exit}, enter {enter}")
        if min_dwell_ms < 0:
            raise ValueError(f"min_dwell_ms must be >= 0, got {min_dwell_ms}")
        self.enter, self.exit, self.min_dwell_ms = float(enter), float(exit), float(min_dwell_ms)
        self.count = 0
        self.inside = False
        self._pending_since: float | None = None  # first frame time of a state change not yet accepted

    def reset(self) -> None:
        """Forget everything: count 0, out of the class (call on a seek or a source change)."""
        self.count = 0
        self.inside = False
        self._pending_since = None

    def update(self, probability: float | None, timestamp_ms: float) -> bool:
        """Feed one frame.

        Args:
            probability: the counted class's probability on this frame (0..1), or None when
                the frame has no pose (or a non-finite value): no evidence, nothing changes.
            timestamp_ms: the frame's time in ms (non-decreasing within a run; a jump back
                restarts a pending change at this frame).

        Returns:
            True when this frame completed a repetition (an accepted entry into the class).
        """
        if probability is None or not (probability == probability):  # None or NaN
            return False
        wants_change = probability <= self.exit if self.inside else probability >= self.enter
        if not wants_change:
            self._pending_since = None
            return False
        if self._pending_since is None or timestamp_ms < self._pending_since:
            self._pending_since = float(timestamp_ms)
        if timestamp_ms - self._pending_since < self.min_dwell_ms - TIME_SLACK_MS:
            return False
        self._pending_since = None
        self.inside = not self.inside
        if self.inside:
            self.count += 1
        return self.inside
