"""The checks every path a run reads or writes goes through (one rule for every command and the window).

Inputs (:func:`check_input_file`, :func:`check_input_folder`, :func:`read_input_bytes`): only
regular files, or folders where a folder is expected. A named pipe, a device, a socket is
refused with one line and never opened for reading (opening a FIFO blocks until a writer
comes; reading a device can block forever or never end). The checks ``stat`` first and
open with ``O_NONBLOCK``, then verify the opened descriptor is still a regular file, so a
path swapped between the check and the read cannot hang the process either.

Outputs (:func:`check_outputs`): an output may only replace a regular file (never a device
node, FIFO, socket or folder), never an input of the same run (compared by real path and by
``(st_dev, st_ino)``, so symlinks and hard links are seen through), never another output of
the same run, and its folder must exist and accept a new file. All of it is checked before
any work starts. The final rename (:mod:`.atomic`) checks the non-regular rule again.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from .atomic import create_temp_beside
from .errors import StudioError
from .file_kinds import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, kind_of
from .text import printable


class PathCheckError(StudioError):
    """A path given to a run cannot be used (special file, missing, unreadable, an input as output ...)."""


def _stat(path: Path, what: str) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise PathCheckError(f"{printable(path)}: no such {what}") from None
    except PermissionError:
        raise PathCheckError(f"{printable(path)}: permission denied") from None
    except OSError as exc:
        raise PathCheckError(f"{printable(path)}: {exc.strerror or exc}") from None


def check_input_file(path: str | os.PathLike, what: str = "file") -> Path:
    """`path` if it is a regular file this process can open for reading.

    A symlink is followed. Nothing is read; a special file is never opened.

    Args:
        path: the file.
        what: what the file is for, used in messages (``file``, ``annotation file`` ...).

    Raises:
        PathCheckError: missing, not a regular file (named kind), or permission denied.
    """
    path = Path(path)
    mode = _stat(path, what).st_mode
    if not stat.S_ISREG(mode):
        raise PathCheckError(f"{printable(path)}: is {kind_of(mode)}, not a regular file")
    os.close(_open_regular_fd(path))
    return path


def check_input_folder(path: str | os.PathLike, what: str = "folder") -> Path:
    """`path` if it is a folder this process can list.

    Raises:
        PathCheckError: missing, not a folder (named kind), or permission denied.
    """
    path = Path(path)
    mode = _stat(path, what).st_mode
    if not stat.S_ISDIR(mode):
        raise PathCheckError(f"{printable(path)}: is {kind_of(mode)}, not a folder")
    if not os.access(path, os.R_OK | os.X_OK):
        raise PathCheckError(f"{printable(path)}: permission denied")
    return path


def _open_regular_fd(path: Path) -> int:
    """An O_RDONLY descriptor of `path`, opened without blocking and verified regular."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except PermissionError:
        raise PathCheckError(f"{printable(path)}: permission denied") from None
    except FileNotFoundError:
        raise PathCheckError(f"{printable(path)}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket or a device without its driver
            raise PathCheckError(f"{printable(path)}: not a regular file") from None
        raise PathCheckError(f"{printable(path)}: {exc.strerror or exc}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise PathCheckError(f"{printable(path)}: is {kind_of(mode)}, not a regular file")
    return fd


def read_input_bytes(path: str | os.PathLike, max_bytes: int | None = None, what: str = "file") -> bytes:
    """The content of the regular file `path` (see :func:`check_input_file`).

    Args:
        max_bytes: refuse files larger than this (None: no limit).

    Raises:
        PathCheckError: not a readable regular file, or larger than `max_bytes`.
    """
    path = Path(path)
    _stat(path, what)
    fd = _open_regular_fd(path)
    try:
        size = os.fstat(fd).st_size
        if max_bytes is not None and size > max_bytes:
            raise PathCheckError(f"{printable(path)}: {size / 1e6:.0f} MB, more than the "
                                 f"{max_bytes / 1e6:.0f} MB accepted for a {what}")
        os.set_blocking(fd, True)
        handle, fd = os.fdopen(fd, "rb", closefd=True), -1
        with handle:
            return handle.read()
    except OSError as exc:
        raise PathCheckError(f"{printable(path)}: cannot read ({exc.strerror or exc})") from None
    finally:
        if fd >= 0:
            os.close(fd)


# -- outputs ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Identity:
    real: str
    inode: tuple[int, int] | None


def _identity(path: Path) -> _Identity:
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
        inode = (st.st_dev, st.st_ino)
    except OSError:
        inode = None
    return _Identity(real, inode)


def _same(a: _Identity, b: _Identity) -> bool:
    return a.real == b.real or (a.inode is not None and a.inode == b.inode)


def input_identities(inputs: Iterable[str | os.PathLike | None]) -> list[tuple[Path, _Identity]]:
    """(path, identity) of every existing input; a folder input counts with each image or
    video file directly in it (what a folder source or an images folder reads; a results
    file written there by an earlier run may be replaced)."""
    media = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS
    out = []
    for item in inputs:
        if item is None:
            continue
        path = Path(item)
        try:
            mode = os.stat(path).st_mode
        except OSError:
            continue
        out.append((path, _identity(path)))
        if stat.S_ISDIR(mode):
            try:
                with os.scandir(path) as entries:
                    for entry in entries:
                        if Path(entry.name).suffix.lower() in media:
                            out.append((Path(entry.path), _identity(Path(entry.path))))
            except OSError:
                pass
    return out


def check_output_file(path: str | os.PathLike, *, force: bool | None = None, label: str = "",
                      inputs: Iterable[tuple[Path, _Identity]] = ()) -> Path:
    """Check one output file (see :func:`check_outputs`); returns `path`.

    Args:
        force: False refuses an existing regular file ("use --force"); True or None
            (the option always replaces) allow replacing it.
        label: the option, e.g. ``--json``, named in messages.
        inputs: :func:`input_identities` of the run's inputs.

    Raises:
        PathCheckError: with a one-line reason.
    """
    path = Path(path)
    name = printable(path)
    where = f"{label} {name}" if label else name
    identity = _identity(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise PathCheckError(f"{where}: {exc.strerror or exc}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise PathCheckError(f"{where}: is a folder; give a file name")
        if not stat.S_ISREG(st.st_mode):
            raise PathCheckError(f"{where}: is {kind_of(st.st_mode)}; refusing to replace it (give a regular file)")
        for input_path, input_id in inputs:
            if _same(identity, input_id):
                same = "" if os.path.realpath(input_path) == identity.real else f" (the same file as {printable(input_path)})"
                raise PathCheckError(f"{where}: is an input of this run{same}; refusing to overwrite it")
        if force is False:
            raise PathCheckError(f"{where}: already exists (use --force to overwrite)")
    own = Path(os.path.abspath(path))  # a symlink output is replaced itself: its own folder counts
    folder = own.parent
    if not folder.is_dir():
        raise PathCheckError(f"{where}: folder {printable(path.parent)} does not exist")
    try:  # probe by creating a file: os.access says yes to root on read-only mounts
        create_temp_beside(own).unlink(missing_ok=True)
    except OSError as exc:
        raise PathCheckError(f"{where}: cannot write in folder {printable(folder)} ({exc.strerror or exc})") from None
    return path


def check_outputs(outputs: Mapping[str, str | os.PathLike | None], inputs: Iterable[str | os.PathLike | None] = (),
                  *, force: bool | None | Mapping[str, bool | None] = None) -> None:
    """Check every output of a run against the rules of this module, before any work starts.

    Args:
        outputs: option label (``--json``) -> path (None: not given).
        inputs: every file or folder the run reads (source, model, annotations, images
            folder, settings, log file); a folder counts with the files in it.
        force: see :func:`check_output_file`; one value for all, or one per label.

    Raises:
        PathCheckError: the first output that breaks a rule, or two outputs naming one file.
    """
    given = {label: Path(p) for label, p in outputs.items() if p is not None}
    known = input_identities(inputs)
    seen: list[tuple[str, _Identity]] = []
    for label, path in given.items():
        check_output_file(path, force=force.get(label) if isinstance(force, Mapping) else force,
                          label=label, inputs=known)
        identity = _identity(path)
        for other_label, other in seen:
            if _same(identity, other):
                raise PathCheckError(f"{other_label} and {label} name the same file ({printable(path)})")
        seen.append((label, identity))
