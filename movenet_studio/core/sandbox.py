"""Probe an untrusted model file in a child process before loading it in this one.

TFLite and ONNX Runtime parse model files in native code, and crafted or damaged files
have crashed them (TensorFlow Lite has a long CVE list for malformed models). A crash in
the app's process would take the window with it, so a model file that is not bundled is
first loaded, allocated and invoked once on a blank input in a child process; only when
that succeeds is it loaded in the app.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from .errors import ModelError
from .text import first_line

#: Seconds a probe may take before the file is declared unusable.
PROBE_TIMEOUT_S = 60.0
PROBE_FLAG = "--probe-model"


def probe_command(path: Path, flag: str = PROBE_FLAG) -> list[str]:
    """The child-process command line that probes `path` (works in a frozen app too)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, flag, str(path)]
    return [sys.executable, "-m", "movenet_studio.cli", flag, str(path)]


def probe_model(path: Path, timeout_s: float | None = None, *, flag: str = PROBE_FLAG,
                what: str = "MoveNet model") -> dict:
    """Load, allocate and invoke `path` once in a child process.

    Args:
        path: the model file.
        timeout_s: seconds before the child is killed and the file refused (default
            :data:`PROBE_TIMEOUT_S`, looked up at call time).
        flag: the child's command-line flag: :data:`PROBE_FLAG` for MoveNet models,
            :data:`~.classifier.CLASSIFIER_PROBE_FLAG` for pose classifiers.
        what: what the file should be, for messages (``MoveNet model``, ``pose classifier``).

    Returns:
        The child's report: ``{"ok": True, "architecture", "input_size", "input_dtype", "precision"}``.

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


def run_probe(path: str, flag: str = PROBE_FLAG) -> int:
    """Child side: check `path` thoroughly and print a one-line JSON report; exit 0 on success.

    `flag` says what `path` should be: a MoveNet model (:data:`PROBE_FLAG`) or a pose
    classifier (:data:`~.classifier.CLASSIFIER_PROBE_FLAG`).
    """
    import numpy as np

    from .backends import create_backend
    from .classify.classifier import CLASSIFIER_PROBE_FLAG, run_classifier_probe
    from .models.resolve import model_from_file

    what = "pose classifier" if flag == CLASSIFIER_PROBE_FLAG else "MoveNet model"
    try:
        file = Path(path)
        if flag == CLASSIFIER_PROBE_FLAG:
            print(json.dumps(run_classifier_probe(path)), flush=True)
            return 0
        if file.suffix.lower() == ".onnx":
            check_onnx(file)
        spec = model_from_file(file, probe=False)
        backend = create_backend(spec, threads=1)
        height, width = spec.input_size if spec.input_size[0] > 0 else (256, 256)
        output = backend.invoke(np.zeros((height, width, 3), np.uint8))
        expected = (1, 1, spec.num_keypoints, 3) if spec.architecture == "singlepose" else (1, 6, 56)
        if tuple(output.shape) != expected or not np.isfinite(output).all():
            raise ModelError(f"{file.name}: not a usable MoveNet model (output {tuple(output.shape)} "
                             f"{'with non-finite values' if output.shape == expected else f'instead of {expected}'})")
        report = {"ok": True, "architecture": spec.architecture, "input_size": list(spec.input_size),
                  "input_dtype": spec.input_dtype, "precision": spec.precision}
        code = 0
    except Exception as exc:  # every failure becomes a report; a native crash kills us instead
        message = first_line(exc)
        if not message.startswith(Path(path).name):
            message = f"{Path(path).name}: not a usable {what} ({message})"
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
