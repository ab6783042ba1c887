"""The sandbox: check an untrusted model file in a child process before loading it in this one.

TFLite and ONNX Runtime parse model files in native code, and crafted or damaged files
have crashed them (TensorFlow Lite has a long CVE list for malformed models). A crash in
the app's process would take the window with it, so a model file that is not bundled is
first loaded, allocated and invoked once on a blank input in a child process; only when
that succeeds is it loaded in the app.

This module is the mechanism only (the child's command line, its timeout, reading its
report, turning a crash into a message); what the child checks lives with the file's owner:
:func:`movenet_studio.core.backends.model_check.check_model_child` for MoveNet models (flag
``--probe-model``, asked for by :func:`movenet_studio.core.models.resolve.probe_model`) and
:func:`movenet_studio.core.classify.classifier.check_classifier_child` for pose classifiers. The
command line maps each flag to its check and runs it with :func:`run_check`.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable

from .errors import ModelError
from .text import first_line

#: Seconds a probe may take before the file is declared unusable.
PROBE_TIMEOUT_S = 60.0


def probe_command(path: Path, flag: str) -> list[str]:
    """The child-process command line that probes `path` (works in a frozen app too)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, flag, str(path)]
    return [sys.executable, "-m", "movenet_studio.cli", flag, str(path)]


def probe_file(path: Path, timeout_s: float | None = None, *, flag: str, what: str) -> dict:
    """Check `path` in a child process (the command line with `flag`, see :func:`run_check`).

    Args:
        path: the model file.
        timeout_s: seconds before the child is killed and the file refused (default
            :data:`PROBE_TIMEOUT_S`, looked up at call time).
        flag: the child's command-line flag, naming the owner's check (``--probe-model``,
            ``--probe-classifier``).
        what: what the file should be, for messages (``MoveNet model``, ``pose classifier``).

    Returns:
        The child's report: ``{"ok": True, ...}`` with what the owner's check reports.

    Raises:
        ModelError: "not a usable <what>" with the reason (the child's error message,
            the signal that killed it, or the timeout).
    """
    path = Path(path)
    name = path.name
    timeout_s = PROBE_TIMEOUT_S if timeout_s is None else timeout_s
    try:  # errors="replace": a runtime that prints junk before dying must not raise here
        proc = subprocess.run(probe_command(path, flag), capture_output=True, text=True, errors="replace",
                              timeout=timeout_s, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ModelError(f"{name}: not a usable {what} (loading it took over {timeout_s:g} s)") from None
    report = _last_json_line(proc.stdout)
    if proc.returncode == 0 and report.get("ok"):
        return report
    if report.get("error"):
        raise ModelError(report["error"])
    if proc.returncode < 0:
        try:
            killer = signal.Signals(-proc.returncode).name
        except ValueError:
            killer = f"signal {-proc.returncode}"
        raise ModelError(f"{name}: not a usable {what} (the runtime crashed loading it: {killer})")
    tail = proc.stderr.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
    raise ModelError(f"{name}: not a usable {what} ({tail[0][:200]})")


def _last_json_line(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return {}
    return {}


def run_check(path: str, what: str, check: Callable[[Path], dict]) -> int:
    """Child side: run the owner's `check` on `path` and print its one-line JSON report; exit 0 on success.

    Args:
        path: the file, as given on the command line.
        what: what the file should be, for messages (``MoveNet model``, ``pose classifier``).
        check: returns the report (``{"ok": True, ...}``) or raises with the reason.

    Returns:
        The child's exit code: 0 when the check passed, 1 when it raised (a native crash
        kills the child instead, and :func:`probe_file` names the signal).
    """
    file = Path(path)
    try:
        report, code = check(file), 0
    except Exception as exc:  # every failure becomes a report; a native crash kills us instead
        message = first_line(exc)
        if not message.startswith(file.name):
            message = f"{file.name}: not a usable {what} ({message})"
        report, code = {"ok": False, "error": message}, 1
    print(json.dumps(report), flush=True)
    return code


def check_onnx(path: Path) -> None:
    """Run ``onnx.checker`` on `path`; raises ModelError with its first line."""
    import onnx

    try:
        onnx.checker.check_model(str(path))
    except Exception as exc:
        raise ModelError(f"{path.name}: not a valid ONNX model ({first_line(exc)[:200]})") from None
