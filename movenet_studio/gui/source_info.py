"""What the source player has opened (:class:`SourceInfo`) and how fast it plays files
(:class:`Pace`); Qt-free, so the window's panels can read them without the player."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..core.media.live import LiveSource
from ..core.media.sources import ImageFolderSource, ImageSource, Source


class Pace(str, enum.Enum):
    """How fast a file source is played."""

    REALTIME = "realtime"  #: the file's frame rate
    MAX = "max"            #: as fast as the inference worker takes frames


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What the player has opened.

    Attributes:
        spec: what was asked for (a path, or ``camera:N``).
        name: what to show the user.
        kind: ``video``, ``image``, ``folder``, ``camera`` or ``stream``.
        is_live: True for cameras and streams (no seeking, no end).
        frame_count: number of frames, or None when unknown.
        fps: nominal frame rate, or None.
    """

    spec: str
    name: str
    kind: str
    is_live: bool
    frame_count: int | None
    fps: float | None

    @property
    def seekable(self) -> bool:
        """True when the source has a known length greater than one frame."""
        return not self.is_live and bool(self.frame_count) and self.frame_count > 1

    @property
    def details(self) -> str:
        """Kind, length and rate for people, e.g. ``video, 120 frames, 30 fps``; a folder holds
        independent photos and has no rate: ``folder, 4 photos``."""
        parts = [self.kind]
        unit = "photo" if self.kind in ("folder", "image") else "frame"
        if self.frame_count:
            parts.append(f"{self.frame_count} {unit}{'s' if self.frame_count != 1 else ''}")
        if self.fps and unit == "frame":
            parts.append(f"{self.fps:.3g} fps")
        return ", ".join(parts)


def source_kind(source: Source) -> str:
    """``camera``/``stream`` (a live source's own kind), ``folder``, ``image`` or ``video``."""
    if isinstance(source, LiveSource):
        return source.kind
    if isinstance(source, ImageFolderSource):
        return "folder"
    if isinstance(source, ImageSource):
        return "image"
    return "video"
