"""Atomic file output: write beside the target, rename over it only when complete.

An interrupted or failed write (cancel, disk full, crash) never leaves a half-written file
under the final name; the temporary file is removed on failure.
"""

from __future__ import annotations

import json
import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


def create_temp_beside(path: Path) -> Path:
    """Create an empty ``.NAME.<random>.part<ext>`` beside `path` (mode 0666 & ~umask) and return it.

    The extension is kept last so writers that pick a format by extension (OpenCV) still can.

    Raises:
        OSError: the folder does not exist or is not writable.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part{path.suffix}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return tmp


@contextmanager
def atomic_output(path: Path, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside `path` for writing; on success rename it over `path`.

    Args:
        path: the final file.
        mode: ``"w"`` (text, UTF-8) or ``"wb"``.

    Raises:
        OSError: the folder is not writable, or writing failed (nothing is left behind).
    """
    path = Path(path)
    tmp = create_temp_beside(path)
    try:
        with open(tmp, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomic(path: str | Path, document: object) -> None:
    """Write `document` as indented JSON to `path` atomically (see :func:`atomic_output`).

    Raises:
        OSError: the folder is not writable.
        ValueError: the document holds NaN or infinity (not valid JSON).
    """
    with atomic_output(Path(path)) as handle:
        json.dump(document, handle, indent=2, allow_nan=False)
        handle.write("\n")
