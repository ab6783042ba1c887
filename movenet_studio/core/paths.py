"""Where bundled data lives: the models/ and resources/ folders, in a checkout or in a wheel."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _bundled_dir(name: str) -> Path:
    """The bundled folder `name` (models or resources).

    A wheel carries it inside the package (movenet_studio/_bundled/NAME); a checkout or an
    editable install has it at the project root. Frozen apps (PyInstaller) put it next to
    the package too, under _bundled.
    """
    for candidate in (_PACKAGE_DIR / "_bundled" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    return _PACKAGE_DIR.parent / name


def models_dir() -> Path:
    """Folder of the bundled model files; the environment variable MOVENET_STUDIO_MODELS overrides it."""
    override = os.environ.get("MOVENET_STUDIO_MODELS")
    return Path(override) if override else _bundled_dir("models")


def resources_dir() -> Path:
    """Folder of icons, the .desktop file and other resources."""
    return _bundled_dir("resources")


#: The bundled sample media (Apache-2.0, tfjs-models pose-detection test data), in resources/samples.
SAMPLE_NAMES = ("pose_1.mp4", "pose_squats.mp4", "pose.jpg")


def samples_dir() -> Path:
    """Folder of the bundled sample media (resources/samples; see its README for source and licence)."""
    return resources_dir() / "samples"


def sample_path(name: str = SAMPLE_NAMES[0]) -> Path:
    """A bundled sample by file name (default ``pose_1.mp4``, the window's first-run video).

    Raises:
        ValueError: `name` is not one of :data:`SAMPLE_NAMES`.
    """
    if name not in SAMPLE_NAMES:
        raise ValueError(f"no bundled sample {name!r}; samples: {', '.join(SAMPLE_NAMES)}")
    return samples_dir() / name
