"""Typed, forgiving settings over QSettings.

Every value has a type and a default; a missing, unreadable, wrong-typed or out-of-range
value reads as the default, never as an exception. A settings file that cannot be parsed is
moved aside, and settings stored by an incompatible older version are cleared; either way
:attr:`StudioSettings.note` says what happened (the window shows it). Tests point the
settings at an ini file in a temporary folder.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import sys
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from ..core.drawing.colormaps import colormap_names
from ..core.models.model_io import parse_range, range_name
from ..core.preprocessing.profile import PreprocessProfile
from ..core.drawing.overlay_options import MAX_OFFSET_SCALE, OverlayOptions
from ..core.tracking.smoothing import MOVENET_KEYPOINT_FILTER_CONFIG, OneEuroConfig, format_one_euro, parse_one_euro
from ..core.text import printable
from .layout_names import DEFAULT_LAYOUT, LAYOUT_KEYS
from .overlay_state import DEFAULT_OVERLAYS, DEFAULT_THRESHOLD, overlay_names, parse_overlays

ORGANIZATION = "MoveNetStudio"
APPLICATION = "MoveNet Studio"

DEFAULT_MODEL = "lightning-float16"
DEFAULT_BACKEND = "tflite"
DEFAULT_THREADS = 2
DEFAULT_TRACKER = "boxes"
DEFAULT_MIN_POSE_SCORE = 0.25
MAX_THREADS = 64

#: Schema version of the stored settings (key ``meta/version``). Bump it when a key changes
#: meaning; raise :data:`MIN_SETTINGS_VERSION` too when old values would be misread.
SETTINGS_VERSION = 1
#: Stored settings older than this are cleared (with a note). Files written before the
#: version key existed hold the same keys as version 1 and count as version 1.
MIN_SETTINGS_VERSION = 1
VERSION_KEY = "meta/version"
#: Key of the heatmap keypoint (OverlayOptions.heatmap_keypoint; -1: the max over all keypoints).
HEATMAP_KEYPOINT_KEY = "overlays/heatmap_keypoint"
#: Its name before the joint -> keypoint rename: read when the new key is absent, removed on save.
OLD_HEATMAP_KEYPOINT_KEY = "overlays/heatmap_joint"

log = logging.getLogger(__name__)


def _range_key(model: str) -> str:
    """A settings key for a model file path (QSettings keys cannot hold slashes)."""
    return hashlib.sha1(str(Path(model).expanduser().resolve()).encode("utf-8", "replace")).hexdigest()[:16]


def absolute_path(value: str) -> str:
    """`value` as an absolute, normalised path when it names a file or folder
    (``../models/x.tflite`` -> ``/home/u/models/x.tflite``), so a stored path still works when the
    app next starts from another working directory. Symbolic links are kept as the user named
    them (``os.path.abspath``, not ``Path.resolve``): a link to a shared data folder stays the link. ``camera:N``, URLs (``scheme://``) and
    bundled model keys (no separator, no suffix, no such file) come back unchanged."""
    text = str(value)
    if not text.strip() or text.lower().startswith("camera:") or "://" in text:
        return text
    path = Path(text).expanduser()
    if path.is_absolute() or path.exists() or path.suffix or "/" in text or os.sep in text:
        return os.path.abspath(path)
    return text


def _native_file() -> Path | None:
    """The settings file QSettings' native format uses on Linux and other XDG systems (None
    on Windows and macOS, where native settings are not plain files)."""
    if sys.platform.startswith(("win", "darwin")):
        return None
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / ORGANIZATION / f"{APPLICATION}.conf"


def _special(path: Path) -> str:
    """``a named pipe (FIFO)`` etc. when `path` exists and is not a regular file, else ``""``."""
    from ..core.file_kinds import kind_of

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return ""
    return "" if stat.S_ISREG(mode) else kind_of(mode)


def _to_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
    return None


def _to_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, str) else value
        if isinstance(number, float) and not number.is_integer():
            return None
        return int(number)
    except (TypeError, ValueError, OverflowError):
        return None


def _to_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number == number else None  # no NaN


#: File > Open recent keeps this many sources.
RECENT_LIMIT = 10

class StudioSettings:
    """The persisted preferences of the GUI.

    Args:
        path: an ini file to use (tests, portable installs); default: the platform's
            QSettings location for MoveNet Studio.

    Attributes:
        note: why the stored settings were not used ("" when they were): the file could not
            be parsed (it is renamed to ``<name>.unreadable`` and defaults are used) or it was
            written by an older, incompatible version (it is cleared). Never an exception.
    """

    def __init__(self, path: Path | str | None = None):
        self.path: Path | None = Path(path) if path is not None else None
        self.note = ""
        self._qs = self._open()
        try:
            self._check()
        except Exception as exc:  # noqa: BLE001 - settings must never stop the app
            self.note = f"settings could not be checked ({exc}); defaults are used where values are unreadable"
        if self.note:
            log.warning("%s", self.note)

    def _open(self) -> QSettings:
        file = self.path if self.path is not None else _native_file()
        if file is not None and _special(file):  # QSettings would block opening a FIFO: never hand it one
            self.note = (f"the settings file {printable(file)} is {_special(file)}, not a regular file; "
                         "defaults are used and settings are not saved")
            return QSettings(str(Path(os.devnull) / "settings.ini"), QSettings.Format.IniFormat)  # never exists
        if self.path is not None:
            return QSettings(str(self.path), QSettings.Format.IniFormat)
        return QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)

    def _check(self) -> None:
        """Move an unparsable file aside, clear settings of an older schema, stamp the version."""
        keys = self._qs.allKeys()  # reads the file: a parse error shows in status() only after
        if self._qs.status() == QSettings.Status.FormatError:
            name = self._qs.fileName()
            aside = f"{name}.unreadable"
            try:
                os.replace(name, aside)
                where = f"it was renamed to {Path(aside).name}"
            except OSError as exc:
                where = f"it could not be moved aside ({exc.strerror or exc}) and will be overwritten"
            self._qs = self._open()
            self._qs.clear()
            self.note = f"the settings file {name} could not be read; {where}. Defaults are used."
        elif keys:
            raw = self._value(VERSION_KEY)
            version = SETTINGS_VERSION if raw is None else _to_int(raw)
            if version is None or version < MIN_SETTINGS_VERSION:
                self._qs.clear()
                self.note = (f"settings stored by an older or unknown version of MoveNet Studio "
                             f"(settings version {raw}) were reset to defaults.")
            elif version > SETTINGS_VERSION:
                return  # a newer app wrote them: read what this one understands, keep its stamp
            else:
                self._reset_unknown_values()
        self._qs.setValue(VERSION_KEY, SETTINGS_VERSION)

    def _reset_unknown_values(self) -> None:
        """Remove stored values this version does not know (``backend=quantum``), with a note:
        they read as their defaults."""
        from ..core.backends import available_backends
        from ..core.tracking.track_ids import TRACKER_KINDS

        def number(low, high, convert=_to_float):
            return lambda v: (n := convert(v)) is not None and low <= n <= high

        rules = {
            "model/backend": lambda v: isinstance(v, str) and v in available_backends(),
            "model/threads": number(1, MAX_THREADS, _to_int),
            "model/name": lambda v: isinstance(v, str) and bool(v.strip()) and "\0" not in v,
            "pipeline/tracker": lambda v: isinstance(v, str) and v in TRACKER_KINDS,
            "pipeline/min_pose_score": number(0.0, 1.0),
            "display/threshold": number(0.0, 1.0),
            "session/camera_index": number(0, 99, _to_int),
            "playback/loop": lambda v: _to_bool(v) is not None,
        }
        unknown = []
        for key, valid in rules.items():
            if self._qs.contains(key) and not valid(self._value(key)):
                unknown.append(f"{key.split('/')[-1]}={printable(self._value(key))[:40]}")
                self._qs.remove(key)
        if unknown:
            self.note = f"unknown stored settings reset to their defaults: {', '.join(unknown)}"

    @property
    def qsettings(self) -> QSettings:
        """The underlying QSettings."""
        return self._qs

    def _value(self, key: str) -> object:
        try:
            return self._qs.value(key)
        except Exception:  # a value PySide cannot convert
            return None

    # ------------------------------------------------------------------ window
    @property
    def geometry(self) -> QByteArray | None:
        """Saved main-window geometry (QMainWindow.saveGeometry), or None."""
        value = self._value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self._qs.setValue("window/geometry", value)

    @property
    def window_state(self) -> QByteArray | None:
        """Saved dock/toolbar state (QMainWindow.saveState), or None."""
        value = self._value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @window_state.setter
    def window_state(self, value: QByteArray) -> None:
        self._qs.setValue("window/state", value)

    # ------------------------------------------------------------------ session
    @property
    def last_source(self) -> str | None:
        """The last opened source (a path or ``camera:N``), or None."""
        value = self._value("session/last_source")
        return value if isinstance(value, str) and value.strip() else None

    @last_source.setter
    def last_source(self, value: str | None) -> None:
        if value:
            self._qs.setValue("session/last_source", absolute_path(value))
        else:
            self._qs.remove("session/last_source")

    @property
    def recent_sources(self) -> list[str]:
        """Sources opened lately, newest first, at most :data:`RECENT_LIMIT` (File > Open recent)."""
        value = self._value("session/recent_sources")
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            return []
        return [v for v in value if isinstance(v, str) and v.strip()][:RECENT_LIMIT]

    def add_recent_source(self, spec: str) -> None:
        """Put `spec` (a path made absolute) first in :attr:`recent_sources` (once; the oldest
        beyond the limit go)."""
        spec = absolute_path(spec)
        recent = [spec] + [s for s in self.recent_sources if s != spec]
        self._qs.setValue("session/recent_sources", recent[:RECENT_LIMIT])

    def clear_recent_sources(self) -> None:
        """Forget the recent sources."""
        self._qs.remove("session/recent_sources")

    @property
    def camera_index(self) -> int:
        """The camera index last used (0..99), default 0."""
        value = _to_int(self._value("session/camera_index"))
        return value if value is not None and 0 <= value <= 99 else 0

    @camera_index.setter
    def camera_index(self, value: int) -> None:
        self._qs.setValue("session/camera_index", int(value))

    @property
    def model(self) -> str:
        """The model (catalog key or file path; stored absolute), default ``lightning-float16``."""
        value = self._value("model/name")
        return value if isinstance(value, str) and value.strip() else DEFAULT_MODEL

    @model.setter
    def model(self, value: str) -> None:
        self._qs.setValue("model/name", absolute_path(value))

    @property
    def backend(self) -> str:
        """The backend name, default ``tflite``."""
        value = self._value("model/backend")
        return value if isinstance(value, str) and value.strip() else DEFAULT_BACKEND

    @backend.setter
    def backend(self, value: str) -> None:
        self._qs.setValue("model/backend", str(value))

    @property
    def provider(self) -> str | None:
        """ONNX Runtime execution provider (full name), or None for the best available."""
        value = self._value("model/provider")
        return value.strip() if isinstance(value, str) and value.strip() else None

    @provider.setter
    def provider(self, value: str | None) -> None:
        if value:
            self._qs.setValue("model/provider", str(value))
        else:
            self._qs.remove("model/provider")

    @property
    def tracker(self) -> str:
        """MultiPose tracker kind (``none``, ``boxes``, ``keypoints``), default ``boxes``."""
        from ..core.tracking.track_ids import TRACKER_KINDS

        value = self._value("pipeline/tracker")
        return value if isinstance(value, str) and value in TRACKER_KINDS else DEFAULT_TRACKER

    @tracker.setter
    def tracker(self, value: str) -> None:
        self._qs.setValue("pipeline/tracker", str(value))

    @property
    def min_pose_score(self) -> float:
        """MultiPose minimum pose score (0..1), default 0.25."""
        value = _to_float(self._value("pipeline/min_pose_score"))
        return value if value is not None and 0.0 <= value <= 1.0 else DEFAULT_MIN_POSE_SCORE

    @min_pose_score.setter
    def min_pose_score(self, value: float) -> None:
        self._qs.setValue("pipeline/min_pose_score", float(value))

    @property
    def threads(self) -> int:
        """Runtime CPU threads (1..64), default 2."""
        value = _to_int(self._value("model/threads"))
        return value if value is not None and 1 <= value <= MAX_THREADS else DEFAULT_THREADS

    @threads.setter
    def threads(self, value: int) -> None:
        self._qs.setValue("model/threads", int(value))

    @property
    def threshold(self) -> float:
        """Keypoint score threshold (0..1), default 0.3."""
        value = _to_float(self._value("display/threshold"))
        return value if value is not None and 0.0 <= value <= 1.0 else DEFAULT_THRESHOLD

    @threshold.setter
    def threshold(self, value: float) -> None:
        self._qs.setValue("display/threshold", float(value))

    @property
    def loop(self) -> bool:
        """Restart files at their end, default False."""
        value = _to_bool(self._value("playback/loop"))
        return False if value is None else value

    @loop.setter
    def loop(self, value: bool) -> None:
        self._qs.setValue("playback/loop", bool(value))

    @property
    def overlays(self) -> OverlayOptions:
        """The overlay choices of the window (layers, heatmap keypoint, opacities, offsets mode,
        colour map) as :class:`~movenet_studio.core.drawing.render.OverlayOptions`; default: the
        skeleton only. Each missing or bad value reads as its default."""
        options = DEFAULT_OVERLAYS
        layers = self._value("overlays/layers")
        if isinstance(layers, str):
            try:
                options = parse_overlays("" if layers.strip().lower() == "none" else layers, options)
            except ValueError:
                pass
        keypoint = _to_int(self._value(HEATMAP_KEYPOINT_KEY if self._qs.contains(HEATMAP_KEYPOINT_KEY)
                                       else OLD_HEATMAP_KEYPOINT_KEY))
        changes: dict[str, object] = {}
        if keypoint is not None and 0 <= keypoint < 17:
            changes["heatmap_keypoint"] = keypoint
        for key in ("heatmap_opacity", "centre_opacity"):
            value = _to_float(self._value(f"overlays/{key}"))
            if value is not None and 0.0 <= value <= 1.0:
                changes[key] = value
        field = _to_bool(self._value("overlays/offset_field"))
        if field is not None:
            changes["offset_field"] = field
        for key in ("colormap", "centre_colormap"):
            colormap = self._value(f"overlays/{key}")
            if isinstance(colormap, str) and colormap.lower() in colormap_names():
                changes[key] = colormap.lower()
        scale = _to_float(self._value("overlays/offset_scale"))
        if scale is not None and 1.0 <= scale <= MAX_OFFSET_SCALE:
            changes["offset_scale"] = scale
        return replace(options, **changes)

    @overlays.setter
    def overlays(self, options: OverlayOptions) -> None:
        self._qs.setValue("overlays/layers", overlay_names(options) or "none")
        self._qs.setValue(HEATMAP_KEYPOINT_KEY, -1 if options.heatmap_keypoint is None else int(options.heatmap_keypoint))
        self._qs.remove(OLD_HEATMAP_KEYPOINT_KEY)
        self._qs.setValue("overlays/heatmap_opacity", float(options.heatmap_opacity))
        self._qs.setValue("overlays/centre_opacity", float(options.centre_opacity))
        self._qs.setValue("overlays/offset_field", bool(options.offset_field))
        self._qs.setValue("overlays/colormap", str(options.colormap))
        self._qs.setValue("overlays/centre_colormap", str(options.centre_colormap))
        self._qs.setValue("overlays/offset_scale", float(options.offset_scale))

    @property
    def one_euro(self) -> OneEuroConfig:
        """The One Euro filter's parameters (``pipeline/smoothing``, ``--smoothing`` text);
        default and on a bad value: TF.js's."""
        value = self._value("pipeline/smoothing")
        try:
            return parse_one_euro(value) if isinstance(value, str) else MOVENET_KEYPOINT_FILTER_CONFIG
        except ValueError:
            return MOVENET_KEYPOINT_FILTER_CONFIG

    @one_euro.setter
    def one_euro(self, config: OneEuroConfig) -> None:
        self._qs.setValue("pipeline/smoothing", format_one_euro(config))

    @property
    def preprocess(self) -> PreprocessProfile:
        """The preprocessing profile (``pipeline/channels``, ``pipeline/resize``,
        ``pipeline/interpolation``); default and on a bad value: MoveNet's own."""
        try:
            return PreprocessProfile(*(str(self._value(f"pipeline/{k}") or d) for k, d in
                                       (("channels", "rgb"), ("resize", "letterbox"), ("interpolation", "auto"))))
        except ValueError:
            return PreprocessProfile()

    @preprocess.setter
    def preprocess(self, profile: PreprocessProfile) -> None:
        for key, value in profile.to_json().items():
            self._qs.setValue(f"pipeline/{key}", value)

    def input_range_for(self, model: str) -> tuple[float, float] | None:
        """The float input range remembered for model file `model` (None: its default)."""
        value = self._value(f"input_range/{_range_key(model)}")
        try:
            return parse_range(value) if isinstance(value, str) else None
        except ValueError:
            return None

    def set_input_range_for(self, model: str, value_range: tuple[float, float]) -> None:
        """Remember `value_range` for model file `model`."""
        self._qs.setValue(f"input_range/{_range_key(model)}", range_name(value_range))

    @property
    def timeline_keypoint(self) -> str:
        """The keypoint the Timeline plots (a name), default ``left_knee``."""
        value = self._value("timeline/keypoint")
        return value.strip() if isinstance(value, str) and value.strip() else "left_knee"

    @timeline_keypoint.setter
    def timeline_keypoint(self, name: str) -> None:
        self._qs.setValue("timeline/keypoint", str(name))

    @property
    def layout(self) -> str:
        """The named window layout last chosen (View > Layout), default ``default``."""
        value = self._value("window/layout")
        return value if isinstance(value, str) and value in LAYOUT_KEYS else DEFAULT_LAYOUT

    @layout.setter
    def layout(self, key: str) -> None:
        self._qs.setValue("window/layout", str(key))

    def sync(self) -> None:
        """Write pending changes to storage."""
        self._qs.sync()
