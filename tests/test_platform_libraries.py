"""The window names the system libraries Qt's xcb plugin lacks (issue 26) instead of Qt's abort."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from movenet_studio.gui.platform_libraries import XCB_LIBRARIES, parse_ldd, uses_xcb, xcb_plugin

LDD_SAMPLE = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f30)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""
#: Libraries every Linux system has (not X11's): not in the package table.
BASE = re.compile(r"^(linux-vdso|ld-linux|libc\.|libm\.|libstdc\+\+|libgcc_s|libpthread|libdl|librt|libz\.|libzstd|"
                  r"libpcre2|libexpat|libpng16|libbrotli|libbsd|libmd\.|libsystemd|libcap|libgcrypt|libgpg-error|"
                  r"liblzma|liblz4|libXau|libXdmcp|libGLdispatch)")


def test_ldd_not_found_lines_are_read_once_each():
    assert parse_ldd(LDD_SAMPLE) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("ldd") is None, reason="ldd on Linux")
def test_every_library_the_installed_xcb_plugin_links_has_a_package():
    plugin = xcb_plugin()
    assert plugin is not None and plugin.name == "libqxcb.so"
    qt_lib = plugin.parents[2] / "lib" / "libQt6XcbQpa.so.6"
    output = subprocess.run(["ldd", str(plugin), str(qt_lib)], capture_output=True, text=True, check=False).stdout
    # (name, where the loader found it): the libraries PySide6 ships (Qt's, ICU) are not the system's
    linked = [line.split()[:3] for line in output.splitlines() if "=>" in line]
    system = {name for name, _, where in linked if "PySide6" not in where and "shiboken" not in where.lower()
              and "Qt6" not in name and not BASE.match(name)}
    assert system and system <= XCB_LIBRARIES.keys(), system - XCB_LIBRARIES.keys()


def test_xcb_is_what_qt_uses_unless_told_otherwise():
    assert uses_xcb({}, "linux") and uses_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"}, "linux") and not uses_xcb({}, "darwin")
    assert not uses_xcb({"WAYLAND_DISPLAY": "wayland-0"}, "linux")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin is Linux's")
def test_the_window_says_in_one_line_why_x11_cannot_start(tmp_path):
    """No display (and perhaps missing libraries): one line and exit 1, not Qt's abort (134)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="xcb", HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "movenet_studio.cli", "gui", "--exit-after-frames", "1"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    lines = [line for line in done.stderr.splitlines() if line.startswith("MoveNet Studio:")]
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert "missing libxcb" in lines[0] or "DISPLAY is not set" in lines[0]


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (apt-get install xvfb)")
def test_the_window_starts_on_a_real_x11_display(tmp_path):
    """Under Xvfb with QT_QPA_PLATFORM=xcb: the X11 window opens, plays and grabs a screenshot."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            display = pipe.readline().strip()
        assert display, "Xvfb gave no display number"
        env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
        env.update(QT_QPA_PLATFORM="xcb", DISPLAY=f":{display}", HOME=str(tmp_path))
        shot = tmp_path / "x11.png"
        done = subprocess.run([sys.executable, "-m", "movenet_studio.cli", "gui", "--exit-after-frames", "3",
                               "--screenshot", str(shot), "--window-size", "1280x720"],
                              capture_output=True, text=True, env=env, timeout=300, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        assert shot.stat().st_size > 10_000
    finally:
        server.terminate()
        server.wait(timeout=30)
