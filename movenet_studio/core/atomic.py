"""Atomic file output: write beside the target, rename over it only when complete.

An interrupted or failed write (cancel, disk full, crash, SIGINT/SIGTERM/SIGHUP in the CLI)
never leaves a half-written file under the final name; the temporary file is removed on
failure. The rename never replaces anything but a regular file or a symlink (a device node,
FIFO, socket or folder under the final name is refused, see :mod:`.files`); an output that
is a symlink is replaced itself, by the new regular file: nothing is ever written through a
link (its target, maybe another file of the user's, stays as it was).
"""

from __future__ import annotations

import json
import os
import stat
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from .file_kinds import kind_of

#: Longest file name (bytes) when the file system does not say (Linux, macOS, Windows: 255).
DEFAULT_NAME_MAX = 255


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):
        return DEFAULT_NAME_MAX


def _cut(encoded: bytes, limit: int) -> str:
    """The first `limit` bytes of the file name `encoded`, without a UTF-8 character cut in half."""
    head = encoded[:max(0, limit)]
    i = len(head)
    while i > 0 and 0x80 <= head[i - 1] <= 0xBF:  # continuation bytes at the end
        i -= 1
    if i > 0 and head[i - 1] >= 0xC0:  # their lead byte: keep the character only if complete
        need = 2 if head[i - 1] < 0xE0 else 3 if head[i - 1] < 0xF0 else 4
        if len(head) - (i - 1) < need:
            head = head[:i - 1]
    return os.fsdecode(head)


def create_temp_beside(path: Path) -> Path:
    """Create an empty ``.NAME.<random>.part<ext>`` beside `path` (mode 0666 & ~umask) and return it.

    The extension is kept last so writers that pick a format by extension still can. NAME is
    shortened so the temporary name fits the file system's name limit (255 bytes), however
    long the final name.

    Raises:
        OSError: the folder does not exist or is not writable.
    """
    path = Path(path)
    token = uuid.uuid4().hex[:8]
    suffix = path.suffix if len(os.fsencode(path.suffix)) <= 32 else ""
    fixed = len(os.fsencode(f"..{token}.part{suffix}"))
    stem = _cut(os.fsencode(path.name), _name_max(path.parent) - fixed)
    tmp = path.with_name(f".{stem}.{token}.part{suffix}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return tmp


def replace_regular(tmp: Path, path: Path) -> None:
    """Rename the finished `tmp` over `path`, unless `path` exists and is neither a regular
    file nor a symlink (a symlink is replaced itself, never followed).

    Raises:
        IsADirectoryError, OSError: `path` is a folder, a device node, a FIFO or a socket
            (it is left as it is), or the rename failed.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise OSError(f"{path}: is {kind_of(mode)}; refusing to replace it")
    os.replace(tmp, path)


@contextmanager
def atomic_output(path: Path, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside `path` for writing; on success rename it over `path`.

    Args:
        path: the final file (a symlink there is replaced, not followed).
        mode: ``"w"`` (text, UTF-8) or ``"wb"``.

    Raises:
        OSError: the folder is not writable, `path` is not a regular file, or writing
            failed (nothing is left behind).
    """
    path = Path(path)
    tmp = create_temp_beside(path)
    try:
        with open(tmp, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        replace_regular(tmp, path)
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
