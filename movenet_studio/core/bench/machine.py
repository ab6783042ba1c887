"""What machine a benchmark ran on (CPU model, cores, memory, runtime versions) and its memory use
(resident size, peak resident size per configuration)."""

from __future__ import annotations

import os
import platform
import sys

import numpy as np

from ... import __version__

def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (Linux), else :func:`platform.processor`, else ``unknown``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "Processor", "cpu model") and value.strip():
                    return value.strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            import subprocess

            out = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True,
                                 text=True, timeout=2, check=False).stdout.strip()
            if out:
                return out
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or "unknown"


def _dist_version(*names: str) -> str | None:
    from importlib import metadata

    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def machine_info() -> dict:
    """This machine and the runtimes in use, as JSON-ready data.

    Keys: ``platform``, ``machine`` (architecture), ``cpu_model``, ``logical_cores``,
    ``physical_cores``, ``usable_cores`` (CPU affinity), ``memory_total_mb``, ``python``,
    ``numpy``, ``opencv``, ``tflite_runtime``, ``onnxruntime``, ``movenet_studio``.
    Runtime versions are read from package metadata where possible (no heavy import).
    """
    import cv2
    import psutil

    from ..backends import runtime_version

    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count()
    ort = _dist_version("onnxruntime", "onnxruntime-gpu", "onnxruntime-directml", "onnxruntime-openvino")
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu_model(),
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "usable_cores": usable,
        "memory_total_mb": round(psutil.virtual_memory().total / 1e6),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "tflite_runtime": runtime_version("tflite"),
        "onnxruntime": f"onnxruntime {ort}" if ort else "none",
        "movenet_studio": __version__,
    }


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter of this process (Linux >= 4.0); True on success."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb(scoped: bool) -> float | None:
    """Peak RSS in MB: VmHWM (since the last reset) when `scoped`, else the lifetime peak."""
    if scoped:
        try:
            with open("/proc/self/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024 / 1e6
        except (OSError, ValueError, IndexError):
            pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6
    except (ImportError, OSError):
        pass
    try:
        import psutil

        info = psutil.Process().memory_info()
        return getattr(info, "peak_wset", info.rss) / 1e6  # Windows has peak_wset
    except Exception:  # noqa: BLE001 - memory figures are best effort
        return None


def rss_mb() -> float | None:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 1e6
    except Exception:  # noqa: BLE001
        return None
