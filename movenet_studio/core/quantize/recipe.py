"""``OUT.recipe.json``: enough to rebuild a quantized model.

The recipe names the float model (path and SHA-256), the backend, scheme, weight
granularity, the I/O types (``io``; a recipe without it means ``float``), the blocks kept
float (the repair search's answer, fixed), the calibration sources and frame count (and
the frame indices used, as a check), the preprocessing profile and the library versions.
:func:`request_from_recipe` turns it back into a request with ``keep_float`` fixed, so
re-running it skips the search and, with the same library versions, writes the same file
byte for byte.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from ..errors import StudioError
from ..preprocessing.profile import PreprocessProfile
from .frames import ModelInput

FORMAT = "movenet-studio quantize recipe"
VERSION = 1


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def recipe_document(request, spec, driver, calibration: list[ModelInput], kept_float: list[str], tail) -> dict:
    """The recipe of a finished run."""
    indices: dict[str, list[int]] = {}
    for item in calibration:
        indices.setdefault(item.source, []).append(int(item.index))
    return {
        "format": FORMAT, "version": VERSION,
        "model": {"name": request.model, "path": str(spec.path), "sha256": sha256(spec.path), "backend": spec.format},
        "scheme": request.scheme, "per_tensor": bool(request.per_tensor), "io": request.io,
        "keep_float": list(kept_float), "decode_tail_float_ops": len(tail.ops),
        "calibration": {"sources": list(request.calibration), "frames": int(request.frames),
                        "holdout": list(request.holdout), "frames_used": indices},
        "preprocess": asdict(request.preprocess),
        "libraries": driver.library_versions(),
        "target_px": request.target_px,
    }


def read_recipe(path: Path) -> dict:
    """Load and check a recipe file.

    Raises:
        StudioError: not a readable recipe of this format.
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StudioError(f"{Path(path).name}: not a readable recipe ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StudioError(f"{Path(path).name}: not a {FORMAT} (no 'format': '{FORMAT}')")
    return document


def request_kwargs(recipe: dict) -> dict:
    """The :class:`~.job.QuantizeRequest` fields a recipe fixes (everything but out and report).

    Raises:
        StudioError: a field is missing or malformed.
    """
    try:
        model = recipe["model"]
        calibration = recipe["calibration"]
        return {
            "model": str(model["path"]), "backend": str(model["backend"]), "scheme": str(recipe["scheme"]),
            "per_tensor": bool(recipe["per_tensor"]), "io": str(recipe.get("io", "float")),
            "keep_float": tuple(str(b) for b in recipe["keep_float"]) or "none",
            "calibration": tuple(str(s) for s in calibration["sources"]),
            "holdout": tuple(str(s) for s in calibration["holdout"]), "frames": int(calibration["frames"]),
            "preprocess": PreprocessProfile(**recipe.get("preprocess", {})),
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise StudioError(f"recipe: missing or malformed field ({exc})") from None
