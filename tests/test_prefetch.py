"""Reading ahead on a thread returns the same frames, seeks, carries errors, and stops cleanly."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import data_file
from movenet_studio.core.errors import SourceError
from movenet_studio.core.media.prefetch import PrefetchSource
from movenet_studio.core.media.sources import Frame, Source
from movenet_studio.core.media.opener import open_source


def test_same_frames_in_order_and_seek():
    path = data_file("pose_1.mp4")
    with open_source(path) as plain:
        expected = [f.rgb for f in plain]
    with PrefetchSource(open_source(path), depth=2) as source:
        got = [source.read() for _ in range(10)]
        assert [f.index for f in got] == list(range(10))
        assert all(np.array_equal(f.rgb, expected[f.index]) for f in got)
        source.seek(100)
        rest = list(source)
    assert [f.index for f in rest] == list(range(100, 120))
    assert source.read() is None


class _Failing(Source):
    name = "failing"

    def __init__(self):
        self.count = 0

    def read(self):
        self.count += 1
        if self.count == 3:
            raise SourceError("camera 0: stopped delivering frames")
        return Frame(self.count, 0.0, np.zeros((2, 2, 3), np.uint8), 0.0)


def test_errors_reach_the_consumer():
    source = PrefetchSource(_Failing())
    assert source.read().index == 1 and source.read().index == 2
    with pytest.raises(SourceError, match="stopped delivering"):
        source.read()
    assert source.read() is None
    source.close()


def test_close_while_reader_is_blocked_on_a_full_queue():
    source = PrefetchSource(open_source(data_file("pose_1.mp4")), depth=1)
    assert source.read().index == 0
    source.close()  # the reader is blocked in put(); close must still join it
    assert source._thread is None
