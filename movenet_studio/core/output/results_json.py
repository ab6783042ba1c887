"""The ``infer --json`` results file, written atomically (no half-written file under the final name)."""

from __future__ import annotations

import json
from pathlib import Path

from ... import __version__
from ..atomic import atomic_output
from ..backends import Backend
from ..models.catalog import ModelSpec, model_to_json
from ..text import hide_credentials


def frame_to_json(result) -> dict:
    """One :class:`~movenet_studio.core.frame_result.FrameResult` as a JSON object (docs/reference/formats.md)."""
    crop = result.crop_region.as_tuple() if result.crop_region is not None else None
    poses = [pose.to_json() for pose in result.poses]
    classification = getattr(result, "classification", None)
    if classification is not None:  # a pose classifier ran: its answer per pose
        for pose, answer in zip(poses, classification.poses):
            pose["classification"] = answer.to_json()
    frame = getattr(result, "frame", None)
    document = {
        "index": result.index,
        "timestamp_ms": round(float(result.timestamp_ms), 3),
        "size": None if frame is None else [int(frame.shape[1]), int(frame.shape[0])],
        "crop": None if crop is None else [round(float(v), 6) for v in crop],
        "timings_ms": {k: round(float(v), 3) for k, v in result.timings_ms.items()},
        "poses": poses,
    }
    passes = getattr(result, "crop_passes", ())
    if passes:  # a still image's crop refinement: every pass's region and pose score, in order
        document["crop_passes"] = [p.to_json() for p in passes]
    return document


class ResultsWriter:
    """Collects frame results and writes them to `path` on :meth:`close`.

    The JSON goes to a temporary file beside `path` and is renamed over it only when
    complete, so a failed or interrupted run leaves no half-written file under `path`.

    Raises:
        OSError: on close, when the folder is not writable.
    """

    def __init__(self, path: Path, *, source: str, model: ModelSpec, backend: Backend,
                 preprocess: dict | None = None) -> None:
        self.path = Path(path)
        described = model_to_json(model)
        if preprocess is not None:  # the preprocessing profile the model input was made with
            described["preprocess"] = preprocess
        self._document = {
            "source": hide_credentials(str(source)),  # a URL's password never reaches a file
            "model": described,
            "backend": {"name": backend.name, "device": backend.device},
            "generator": f"movenet-studio {__version__}",
            "frames": [],
        }

    def add(self, result) -> None:
        """Append one frame result."""
        self._document["frames"].append(frame_to_json(result))

    def set_summary(self, key: str, value) -> None:
        """Store `value` (JSON-serialisable) as ``summary[key]`` of the file (e.g. ``classification``)."""
        self._document.setdefault("summary", {})[key] = value

    def close(self) -> None:
        """Write the file atomically."""
        with atomic_output(self.path) as handle:
            json.dump(self._document, handle, separators=(",", ":"))
