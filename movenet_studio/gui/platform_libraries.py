"""Which system libraries Qt's xcb platform plugin (the X11 window) cannot find, named before Qt
tries to load it.

Without them Qt prints "Could not load the Qt platform plugin "xcb"" and blames a library that
is often installed (``libxcb-cursor0``), then aborts. :func:`missing_xcb_libraries` runs ``ldd``
on the plugin of the installed PySide6 (falling back to loading each library of
:data:`XCB_LIBRARIES` with ctypes when there is no ``ldd``), and :func:`xcb_problem` turns the
answer into one line naming the Debian/Ubuntu packages to install. Qt-free: it runs before the
QApplication exists.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: Every library (soname) Qt 6's xcb platform plugin and its GL integrations link, beyond libc and
#: libstdc++, with the Debian/Ubuntu package holding it (``ldd`` on ``libqxcb.so``,
#: ``libQt6XcbQpa.so.6`` and ``xcbglintegrations/*.so`` of PySide6 6.11, Debian 12).
XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1", "libX11.so.6": "libx11-6", "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0", "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1", "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-xkb.so.1": "libxcb-xkb1", "libxcb-glx.so.0": "libxcb-glx0",
    "libxkbcommon.so.0": "libxkbcommon0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1", "libGLX.so.0": "libglx0", "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1", "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0", "libdbus-1.so.3": "libdbus-1-3",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)


def xcb_plugin() -> Path | None:
    """The installed PySide6's ``platforms/libqxcb.so``, or None (not Linux, not found). Does not import PySide6."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        plugin = Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def parse_ldd(output: str) -> list[str]:
    """The sonames ``ldd`` reports as ``not found`` in `output`, once each, in order."""
    return list(dict.fromkeys(_NOT_FOUND.findall(output)))


def _unloadable(sonames) -> list[str]:
    missing = []
    for soname in sonames:
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.append(soname)
    return missing


def missing_xcb_libraries(plugin: Path | None = None) -> list[str]:
    """Sonames the xcb plugin needs that the dynamic loader cannot find ([] when all are there).

    Uses ``ldd`` on `plugin` (default :func:`xcb_plugin`), which follows Qt's own libraries to
    theirs; without ``ldd`` (or a plugin) each library of :data:`XCB_LIBRARIES` is loaded with ctypes.
    """
    plugin = plugin or xcb_plugin()
    ldd = shutil.which("ldd")
    if plugin is not None and ldd is not None:
        try:
            done = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20, check=False)
            return parse_ldd(done.stdout)
        except (OSError, subprocess.SubprocessError):
            pass
    return _unloadable(XCB_LIBRARIES)


def uses_xcb(environ=os.environ, platform: str = sys.platform) -> bool:
    """True when Qt will pick its xcb plugin: Linux with ``QT_QPA_PLATFORM`` unset (and no Wayland
    session) or naming xcb first."""
    if not platform.startswith("linux"):
        return False
    requested = environ.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        return requested.split(";")[0].split(":")[0] == "xcb"
    return not environ.get("WAYLAND_DISPLAY")


def xcb_problem(environ=os.environ, platform: str = sys.platform) -> str | None:
    """One line naming the libraries the X11 window cannot start without, and the packages that
    hold them; None when Qt will not use xcb or nothing is missing."""
    if not uses_xcb(environ, platform):
        return None
    missing = missing_xcb_libraries()
    if not missing:
        return None
    packages = list(dict.fromkeys(XCB_LIBRARIES.get(name, name) for name in missing))
    return (f"Qt's X11 (xcb) platform plugin cannot load: missing {', '.join(missing)}. Install them, e.g. "
            f"sudo apt-get install {' '.join(packages)} (or run without a window: QT_QPA_PLATFORM=offscreen)")
