"""What the worker's one-slot mailboxes carry: a frame to run, or a model to load."""

from __future__ import annotations

from dataclasses import dataclass

from ..media.sources import Frame
from ..pipeline_config import PipelineConfig


@dataclass(frozen=True, slots=True)
class Job:
    """One frame for the worker.

    Attributes:
        frame: the source frame (RGB uint8, H x W x 3) and its index and timestamp (ms).
        frame_id: the worker's running number of submitted frames.
        generation: the engine generation it was submitted under (stale results are dropped).
        submitted_at: ``time.perf_counter()`` at submission, in seconds (submit-to-result).
        restart: the source restarted here (seek, loop): per-source state is reset first.
    """

    frame: Frame
    frame_id: int
    generation: int
    submitted_at: float
    restart: bool = False


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """A model to load: configuration A, and B beside it for compare mode (None: A alone)."""

    config: PipelineConfig
    compare: PipelineConfig | None = None
