"""The headless stream loop: a typed :class:`StreamRequest` -> an open source and pipeline
(:class:`Stream`) -> one :class:`~movenet_studio.core.frame_result.FrameResult` per frame, handed to
sinks (objects with ``add(result)``: the results JSON and heads NPZ writers, the video writer of
an export, the event detector, timing and trajectory recorders).

``infer`` and ``batch`` (:mod:`movenet_studio.core.output.infer_run`) and ``export``
(:func:`movenet_studio.core.output.export.export_video`) run their frames through
:func:`stream_results`; nothing here knows the command line: a command turns its options into the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

from ..classify.classification import FrameClassifier
from ..classify.classifier import ClassifierError, keypoint_count_problem, load_classifier
from ..decoding.keypoints import NUM_KEYPOINTS
from ..errors import StudioError
from ..media.live import BoundedLive, LiveOptions
from ..media.opener import open_source
from ..media.prefetch import PrefetchSource
from ..media.sources import ImageSource, Source
from ..frame_result import FrameResult
from ..pipeline import Pipeline
from ..pipeline_config import PipelineConfig


@dataclass(frozen=True, slots=True)
class ClassifierFiles:
    """A pose classifier to load for a run (``--classifier``, ``--labels``, ``--classifier-order``, ``--count``)."""

    path: Path
    labels: Path
    order: str = "xy"
    count: str | None = None

    def build(self) -> FrameClassifier:
        """Probe and load the classifier (strict: a frame that cannot be classified raises).

        Raises:
            ClassifierError: unreadable or wrong files, or `count` names no class.
        """
        return FrameClassifier(load_classifier(self.path, self.labels, threads=1), self.order, self.count)


@dataclass(frozen=True, slots=True)
class StreamRequest:
    """What a headless run reads and how (picklable: a batch task ships it to a Dask worker).

    Attributes:
        source: a video, image, image folder, ``camera:N`` or stream URL.
        config: the pipeline to build.
        max_frames: stop after this many frames (None: the source's end).
        duration: live sources: stop after this many seconds.
        loop: start a video or folder again at its end (a new run of the pipeline each time).
        live: how live sources open, reconnect and report (None: the defaults, silent).
        classifier: the classification stage to attach, or None.
    """

    source: str
    config: PipelineConfig
    max_frames: int | None = None
    duration: float | None = None
    loop: bool = False
    live: LiveOptions | None = None
    classifier: ClassifierFiles | None = None


class Sink(Protocol):
    """Where each result goes (:meth:`add`); :meth:`close` finishes a file."""

    def add(self, result: FrameResult) -> object: ...


def open_request_source(source: str, live: LiveOptions | None = None, max_frames: int | None = None,
                        duration: float | None = None) -> Source:
    """`source` opened for a headless run: a live source wrapped in a
    :class:`~movenet_studio.core.media.live.BoundedLive` (`max_frames`, `duration`).

    Raises:
        SourceError: the source cannot be opened (one line; credentials hidden).
    """
    opened = open_source(source, live)
    if not opened.is_live:
        return opened
    return BoundedLive(opened, max_frames, duration)


def check_keypoint_count(pipeline) -> None:
    """Refuse a pose model whose poses do not have the 17 keypoints a classifier needs.

    Raises:
        ClassifierError: the model declares another keypoint count (a 13-keypoint model).
    """
    count = getattr(pipeline.model, "num_keypoints", NUM_KEYPOINTS)
    if count != NUM_KEYPOINTS:
        raise ClassifierError(f"{pipeline.model.path.name}: {keypoint_count_problem(count)}")


def attach_classifier(pipeline, stage: FrameClassifier | None) -> None:
    """Give `pipeline` the classification `stage` (nothing when None); on a model whose poses do
    not have 17 keypoints, close the pipeline and raise (:func:`check_keypoint_count`)."""
    if stage is None:
        return
    try:
        check_keypoint_count(pipeline)
    except StudioError:
        pipeline.close()
        raise
    pipeline.classifier = stage


def stream_results(source: Source, pipeline: Pipeline, *, limit: int | None = None, loop: bool = False,
                   on_restart: Callable[[], None] | None = None) -> Iterator[FrameResult]:
    """The loop: every frame `source` reads through `pipeline`, one result each, until the
    source ends or `limit` results were made. With `loop` a file source that ends is seeked
    to its start and the pipeline reset (`on_restart` is called) and reading goes on (a source
    that gave no frame, or a live one, ends)."""
    count = 0
    while limit is None or count < limit:
        frame = source.read()
        if frame is None:
            if not loop or source.is_live or count == 0:
                return
            source.seek(0)
            pipeline.reset()
            if on_restart is not None:
                on_restart()
            continue
        yield pipeline.process(frame)
        count += 1


class Stream:
    """A :class:`StreamRequest` opened: its source (read ahead on a thread for files; a live
    source reads on its own thread) and its pipeline (with the classifier). Close it (or use
    it as a context manager) to close both.

    The classifier is loaded first (a bad one fails fast), then the source is opened (before
    the model loads), then the pipeline is built.

    Attributes:
        source: the open source.
        pipeline: the pipeline.
        classifier: the classification stage, or None.
        generation: runs of the source so far minus one (a ``loop`` restart adds one).

    Args:
        request: what to open.
        limit: a live source stops after this many frames (``max_frames``; None when an
            export's own range bounds the run).

    Raises:
        StudioError: the classifier, the source or the model cannot be used.
    """

    def __init__(self, request: StreamRequest, *, limit: int | None = None) -> None:
        self.request = request
        self.classifier = request.classifier.build() if request.classifier is not None else None
        opened = open_request_source(request.source, request.live, limit, request.duration)
        self.source = opened if opened.is_live else PrefetchSource(opened)
        try:
            photo = isinstance(getattr(self.source, "source", self.source), ImageSource)  # one crop: no numba
            self.pipeline = Pipeline(request.config, crop_kernel="off" if photo else "now")
            attach_classifier(self.pipeline, self.classifier)
        except BaseException:
            self.source.close()
            raise
        self.generation = 0
        self._closed = False

    def results(self) -> Iterator[FrameResult]:
        """The request's results (its ``max_frames`` and ``loop``), :func:`stream_results`."""
        def restarted() -> None:
            self.generation += 1
        return stream_results(self.source, self.pipeline, limit=self.request.max_frames, loop=self.request.loop,
                              on_restart=restarted)

    def run(self, sinks: Iterable[Sink]) -> int:
        """Every result into each of `sinks` in order; the count of frames."""
        sinks = list(sinks)
        count = 0
        for result in self.results():
            for sink in sinks:
                sink.add(result)
            count += 1
        return count

    def close(self) -> None:
        """Close the pipeline (once) and the source."""
        try:
            if not self._closed:
                self._closed = True
                self.pipeline.close()
        finally:
            self.source.close()

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

