"""LatestJobRunner: the newest job wins, invalidated answers are never delivered, clean stop."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Slot

from conftest import GUI_WAIT_MS
from movenet_studio.gui.latest_job import LatestJobRunner


class Answers(QObject):
    def __init__(self):
        super().__init__()
        self.values = []

    @Slot(object, float)
    def add(self, value, ms):
        self.values.append(value)


def _blocking_job(value, entered: threading.Event, gate: threading.Event, ran: list):
    def job():
        ran.append(value)
        entered.set()
        assert gate.wait(GUI_WAIT_MS / 1000)
        return value
    return job


def test_newest_job_wins_and_stale_answers_are_dropped(qtbot):
    runner = LatestJobRunner("test-latest-job")
    answers = Answers()
    runner.finished.connect(answers.add)
    ran: list = []
    entered, gate = threading.Event(), threading.Event()
    try:
        runner.submit(_blocking_job("first", entered, gate, ran))
        assert entered.wait(GUI_WAIT_MS / 1000)  # "first" runs and waits for the gate
        runner.submit(lambda: ran.append("replaced") or "replaced")
        runner.submit(lambda: ran.append("newest") or "newest")  # replaces the waiting one
        assert runner.busy
        gate.set()
        qtbot.waitUntil(lambda: "newest" in answers.values, timeout=GUI_WAIT_MS)
        assert ran == ["first", "newest"] and answers.values == ["first", "newest"]
        assert not runner.busy

        # A job whose data went away (a new source) while it ran: its answer is never delivered.
        entered.clear(), gate.clear()
        runner.submit(_blocking_job("old source", entered, gate, ran))
        assert entered.wait(GUI_WAIT_MS / 1000)
        runner.invalidate()
        runner.submit(lambda: "new source")
        gate.set()
        qtbot.waitUntil(lambda: "new source" in answers.values, timeout=GUI_WAIT_MS)
        assert "old source" not in answers.values and runner.stale_answers == 1
    finally:
        gate.set()
        assert runner.stop()
    runner.submit(lambda: "after stop")  # ignored: no thread is started again
    assert runner.stop()


def test_a_failing_job_delivers_nothing_and_the_runner_carries_on(qtbot):
    runner = LatestJobRunner("test-latest-job")
    answers = Answers()
    runner.finished.connect(answers.add)
    try:
        runner.submit(lambda: 1 / 0)
        runner.submit(lambda: "next")  # (may replace the failing one: either way "next" arrives)
        qtbot.waitUntil(lambda: answers.values == ["next"], timeout=GUI_WAIT_MS)
    finally:
        assert runner.stop()
