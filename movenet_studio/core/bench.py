"""Benchmarks: model load time, raw inference latency, pipeline latency per stage, throughput.

One *configuration* is (model, backend, threads, heads on/off). For each one,
:func:`run_bench` measures, in this order and in this process:

1. **load** (``load_ms``): wall time to build the :class:`~.pipeline.Pipeline`, i.e. resolve
   the model and load it in the runtime (TFLite: interpreter + ``allocate_tensors``).
2. **raw inference** (``raw``): :meth:`Backend.invoke` alone, repeated on one fixed model
   input (the first frame of the source, letterboxed to the model input): set the input
   tensor, run the runtime, read the output tensor. No reading, preprocessing or decode.
   ``raw_fps = 1000 / mean raw latency``.
3. **pipeline** (``stages``, ``pipeline_fps``): the real per-frame loop, reading SOURCE as
   fast as it decodes: ``frame = source.read(); pipeline.process(frame)``, with the source
   decoded ahead on a reader thread (:class:`~.prefetch.PrefetchSource`) as in the app and
   the other commands, so video decode overlaps inference. Per-stage latencies come from
   :attr:`FrameResult.timings_ms` (whatever stages the pipeline reports: read, preprocess,
   inference, heads, decode / postprocess, smoothing ... and their ``total``; ``read`` is
   the decode time spent on the reader thread). ``pipeline_fps = frames / wall time of the
   timed loop``, decode included. ``fps_ratio = pipeline_fps / raw_fps``.

Order: the very first invoke after loading is reported apart (``first_inference_ms``:
XNNPACK and ONNX Runtime do lazy set-up there); then ``warmup`` untimed invokes and
``warmup`` untimed pipeline frames; then the source is rewound and the pipeline reset; then
the ``frames`` timed invokes and ``frames`` timed pipeline frames run in :data:`BLOCKS`
alternating blocks (raw, pipeline, raw, pipeline ...), so that a change of machine load
during the run (other processes, thermal limits) affects both figures of the ratio alike.
The pipeline keeps its state across blocks (it reads the source on from where the previous
block stopped); a source shorter than ``frames`` is rewound as often as needed (``rewinds``;
the pipeline is reset at each rewind).

Peak RSS: configurations run one after the other in this process (so the GUI can run a
benchmark in a worker thread and the runtimes' libraries load once). On Linux the kernel's
peak-RSS counter (VmHWM) is reset before each configuration (``/proc/self/clear_refs``,
value 5), so ``peak_rss_mb`` is the process's peak resident memory *while that
configuration ran*, which includes the Python process and the libraries already loaded
(``rss_before_mb`` is the resident size just before the model was loaded; the difference is
roughly what the configuration added). Where the counter cannot be reset,
``peak_rss_mb`` is the process's lifetime peak (``ru_maxrss``) and ``rss_scope`` says
``process``.

A configuration the backend cannot run (unknown backend, no ONNX file for an int8 model,
runtime not installed) yields a row with ``status="skipped"`` and the reason; a runtime
failure mid-run yields ``status="failed"``. Nothing here imports Qt.
"""

from __future__ import annotations

import gc
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from .. import __version__
from .errors import StudioError
from .prefetch import PrefetchSource
from .preprocess import letterbox
from .sources import Frame, Source, open_source

#: progress(done, total, message): ``done`` of ``total`` work units (invokes + frames).
ProgressCallback = Callable[[int, int, str], None]
#: cancel() -> True to stop as soon as possible.
CancelCheck = Callable[[], bool]

OK, SKIPPED, FAILED, CANCELLED = "ok", "skipped", "failed", "cancelled"

#: Size (height, width) of the synthetic frame used when no source is given.
SYNTHETIC_FRAME_SIZE = (480, 640)


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Summary of latency samples, all in milliseconds.

    Percentiles use numpy's linear interpolation (``np.percentile``).
    """

    count: int
    mean: float
    std: float
    min: float
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def from_samples(cls, samples_ms: Sequence[float] | np.ndarray) -> "LatencyStats | None":
        """Stats of `samples_ms` (float, ms); None when there is no sample."""
        values = np.asarray(samples_ms, dtype=np.float64)
        if values.size == 0:
            return None
        p50, p95, p99 = np.percentile(values, [50, 95, 99])
        return cls(int(values.size), float(values.mean()), float(values.std()), float(values.min()),
                   float(p50), float(p95), float(p99), float(values.max()))

    def to_json(self) -> dict:
        """``{"count", "mean_ms", "std_ms", "min_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms"}``."""
        return {"count": self.count, **{f"{k}_ms": round(getattr(self, k), 4)
                                        for k in ("mean", "std", "min", "p50", "p95", "p99", "max")}}


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """One configuration to benchmark.

    Attributes:
        model: catalog key (``lightning``, ``thunder-int8`` ...) or a model file path.
        backend: runtime name (``tflite``, ``onnx`` or any registered backend).
        threads: CPU threads for the runtime (>= 1).
        heads: run the pipeline with head reading on (:attr:`PipelineConfig.heads`).
    """

    model: str
    backend: str
    threads: int
    heads: bool = False

    @property
    def label(self) -> str:
        """Short human label, e.g. ``lightning tflite 2t heads``."""
        return f"{self.model} {self.backend} {self.threads}t{' heads' if self.heads else ''}"

    def to_json(self) -> dict:
        return {"model": self.model, "backend": self.backend, "threads": self.threads, "heads": self.heads}


@dataclass(slots=True)
class ConfigResult:
    """What one configuration measured (times in ms, rates in frames per second, memory in MB).

    Attributes:
        config: the configuration.
        status: ``ok``, ``skipped`` (cannot run here; see `reason`), ``failed`` (runtime
            error mid-run) or ``cancelled``.
        reason: one-line reason for a non-``ok`` status.
        model_key, model_label: what :func:`~.models.resolve_model` made of ``config.model``.
        device: what ran it (:attr:`Backend.device`).
        input_size: model input (height, width) in pixels used for the raw runs.
        load_ms: pipeline construction (model resolve + runtime load), ms.
        first_inference_ms: the first invoke after loading, ms.
        raw: raw invoke latency stats (ms) over the timed invokes.
        raw_fps: 1000 / raw.mean.
        stages: per-stage pipeline latency stats (ms), keyed by the pipeline's stage names
            in pipeline order, plus ``total`` (the sum of stages per frame).
        loop: per-frame wall time of the timed pipeline loop (read + process + loop
            overhead), ms.
        frames: frames timed in the pipeline loop.
        rewinds: how often the source was rewound during the timed loop.
        pipeline_wall_s: wall time of the timed pipeline loop, s.
        pipeline_fps: frames / pipeline_wall_s (source decoded ahead on a reader thread).
        fps_ratio: pipeline_fps / raw_fps.
        fps_ratio_median: raw.p50 / loop.p50, the same ratio from median frame times: less
            sensitive to stalls caused by other processes on a busy machine.
        rss_before_mb: resident memory just before loading the model, MB (10^6 bytes).
        peak_rss_mb: peak resident memory while the configuration ran (see `rss_scope`), MB.
        rss_scope: ``configuration`` (peak counter reset before it) or ``process`` (lifetime peak).
    """

    config: BenchConfig
    status: str = OK
    reason: str = ""
    model_key: str = ""
    model_label: str = ""
    device: str = ""
    input_size: tuple[int, int] | None = None
    load_ms: float | None = None
    first_inference_ms: float | None = None
    raw: LatencyStats | None = None
    raw_fps: float | None = None
    stages: dict[str, LatencyStats] = field(default_factory=dict)
    loop: LatencyStats | None = None
    frames: int = 0
    rewinds: int = 0
    pipeline_wall_s: float | None = None
    pipeline_fps: float | None = None
    fps_ratio: float | None = None
    fps_ratio_median: float | None = None
    rss_before_mb: float | None = None
    peak_rss_mb: float | None = None
    rss_scope: str = ""

    def to_json(self) -> dict:
        """A JSON-ready dict (floats rounded; absent figures are null)."""

        def r(value, digits=3):
            return None if value is None else round(float(value), digits)

        return {
            **self.config.to_json(),
            "status": self.status,
            "reason": self.reason or None,
            "model_key": self.model_key or None,
            "model_label": self.model_label or None,
            "device": self.device or None,
            "input_size": list(self.input_size) if self.input_size else None,
            "load_ms": r(self.load_ms),
            "first_inference_ms": r(self.first_inference_ms),
            "raw_latency_ms": self.raw.to_json() if self.raw else None,
            "raw_fps": r(self.raw_fps, 2),
            "pipeline_latency_ms": {name: stats.to_json() for name, stats in self.stages.items()},
            "loop_latency_ms": self.loop.to_json() if self.loop else None,
            "frames": self.frames,
            "rewinds": self.rewinds,
            "pipeline_wall_s": r(self.pipeline_wall_s, 4),
            "pipeline_fps": r(self.pipeline_fps, 2),
            "fps_ratio": r(self.fps_ratio, 4),
            "fps_ratio_median": r(self.fps_ratio_median, 4),
            "rss_before_mb": r(self.rss_before_mb, 1),
            "peak_rss_mb": r(self.peak_rss_mb, 1),
            "rss_scope": self.rss_scope or None,
        }


@dataclass(slots=True)
class BenchReport:
    """A whole benchmark run.

    Attributes:
        machine: :func:`machine_info` of this machine.
        source: what was read: ``{"name", "frame_size": [h, w], "frame_count"}``.
        frames, warmup: timed and untimed counts per phase.
        results: one :class:`ConfigResult` per configuration, in run order.
        cancelled: the run was stopped early (remaining configurations are absent).
        started: ISO 8601 UTC time the run started.
    """

    machine: dict
    source: dict
    frames: int
    warmup: int
    results: list[ConfigResult] = field(default_factory=list)
    cancelled: bool = False
    started: str = ""

    def heads_comparisons(self) -> list[dict]:
        """Heads on vs off, for each (model, backend, threads) measured both ways.

        Each item: ``model, backend, threads, raw_fps_off/on, pipeline_fps_off/on,
        total_ms_off/on`` (mean pipeline total, ms) and ``heads_cost_ms`` (on - off).
        """
        rows = {(r.config.model, r.config.backend, r.config.threads, r.config.heads): r
                for r in self.results if r.status == OK}
        out = []
        for (model, backend, threads, heads), on in rows.items():
            off = rows.get((model, backend, threads, False))
            if not heads or off is None or "total" not in on.stages or "total" not in off.stages:
                continue
            total_on, total_off = on.stages["total"].mean, off.stages["total"].mean
            out.append({
                "model": model, "backend": backend, "threads": threads,
                "raw_fps_off": round(off.raw_fps, 2), "raw_fps_on": round(on.raw_fps, 2),
                "pipeline_fps_off": round(off.pipeline_fps, 2), "pipeline_fps_on": round(on.pipeline_fps, 2),
                "total_ms_off": round(total_off, 3), "total_ms_on": round(total_on, 3),
                "heads_cost_ms": round(total_on - total_off, 3),
            })
        return out

    def to_json(self) -> dict:
        """The report as JSON-ready data (the ``bench --json`` format, see :data:`JSON_NOTES`)."""
        return {
            "generator": f"movenet-studio {__version__}",
            "started": self.started,
            "machine": self.machine,
            "source": self.source,
            "frames": self.frames,
            "warmup": self.warmup,
            "cancelled": self.cancelled,
            "definitions": JSON_NOTES,
            "configurations": [r.to_json() for r in self.results],
            "heads_comparisons": self.heads_comparisons(),
        }


#: Definitions stored in every JSON report.
JSON_NOTES = {
    "units": "latencies in ms, rates in frames per second, memory in MB (10^6 bytes)",
    "raw_latency_ms": "Backend.invoke on one fixed letterboxed model input (set input, run, get output)",
    "raw_fps": "1000 / raw mean latency",
    "pipeline_latency_ms": "per-stage wall time reported by the pipeline (FrameResult.timings_ms), total = sum",
    "pipeline_fps": "timed frames / wall time of the loop source.read() + pipeline.process(); "
                    "the source is decoded ahead on a reader thread, as in the app",
    "fps_ratio": "pipeline_fps / raw_fps",
    "fps_ratio_median": "raw p50 latency / pipeline loop p50 time per frame (robust to stalls on a busy machine)",
    "peak_rss_mb": "peak resident memory while the configuration ran (rss_scope configuration) "
                   "or over the process lifetime (rss_scope process)",
}


def make_configs(models: Iterable[str], backends: Iterable[str], threads: Iterable[int],
                 heads: Iterable[bool] = (False,)) -> list[BenchConfig]:
    """The cross product models x backends x threads x heads, in that nesting order."""
    return [BenchConfig(m, b, int(t), bool(h)) for m in models for b in backends for t in threads for h in heads]


# -- machine ----------------------------------------------------------------------------------

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

    from .backends.tflite import runtime_version as tflite_version

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
        "tflite_runtime": tflite_version(),
        "onnxruntime": f"onnxruntime {ort}" if ort else "none",
        "movenet_studio": __version__,
    }


# -- memory -----------------------------------------------------------------------------------

def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter of this process (Linux >= 4.0); True on success."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def _peak_rss_mb(scoped: bool) -> float | None:
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


def _rss_mb() -> float | None:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 1e6
    except Exception:  # noqa: BLE001
        return None


# -- sources ----------------------------------------------------------------------------------

class SyntheticSource(Source):
    """Endless copies of one deterministic uint8 RGB frame (used when no source is given).

    The frame is a smooth colour gradient with mild noise (seeded), ``size`` = (height, width).
    """

    name = "synthetic"
    fps = 30.0

    def __init__(self, size: tuple[int, int] = SYNTHETIC_FRAME_SIZE):
        h, w = size
        rng = np.random.default_rng(0)
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([xx * 255 // max(1, w - 1), yy * 255 // max(1, h - 1), (xx + yy) % 256], axis=-1)
        noise = rng.integers(0, 16, size=(h, w, 3))
        self._image = np.clip(base + noise, 0, 255).astype(np.uint8)
        self._next = 0

    def read(self) -> Frame | None:
        start = time.perf_counter()
        rgb = self._image.copy()
        index = self._next
        self._next += 1
        return Frame(index, index * 1000.0 / self.fps, rgb, (time.perf_counter() - start) * 1000)

    def seek(self, index: int) -> None:
        self._next = max(0, index)


def _open(source: str | Path | None) -> Source:
    return SyntheticSource() if source is None else PrefetchSource(open_source(source))


# -- running ----------------------------------------------------------------------------------

class _Progress:
    """Counts work units and forwards them to the caller's callback (throttled in loops)."""

    def __init__(self, callback: ProgressCallback | None, total: int):
        self.callback = callback
        self.total = max(1, total)
        self.done = 0

    def set(self, done: int, message: str) -> None:
        self.done = min(done, self.total)
        if self.callback is not None:
            self.callback(self.done, self.total, message)


class _Cancelled(Exception):
    pass


def run_bench(configs: Sequence[BenchConfig], source: str | Path | None = None, *, frames: int = 100,
              warmup: int = 10, progress: ProgressCallback | None = None, cancel: CancelCheck | None = None,
              pipeline_options: Mapping[str, object] | None = None) -> BenchReport:
    """Benchmark each configuration on `source` (see the module docstring for the method).

    Safe to call from a worker thread (no Qt, no global state); it blocks until done.

    Args:
        configs: what to measure, in order (see :func:`make_configs`).
        source: video, image, folder or ``camera:N`` read as fast as it decodes; None for a
            synthetic 640x480 frame repeated.
        frames: timed invokes (raw) and timed frames (pipeline) per configuration (>= 1).
        warmup: untimed invokes / frames before each timed phase (>= 0).
        progress: called as ``progress(done, total, message)``; ``total`` counts every
            invoke and frame of the run. Called from the calling thread, at most ~25 times
            per phase.
        cancel: polled between invokes / frames; when it returns True the current
            configuration is marked ``cancelled``, the rest are not run, and the partial
            report is returned with ``cancelled=True``.
        pipeline_options: extra :class:`~.pipeline.PipelineConfig` fields (e.g. smoothing
            switches) applied to every configuration.

    Returns:
        A :class:`BenchReport`; ``report.to_json()`` is the ``bench --json`` document.

    Raises:
        SourceError: `source` cannot be opened or has no frame.
        ValueError: frames < 1, warmup < 0, or an unknown pipeline option.
    """
    if frames < 1 or warmup < 0:
        raise ValueError("frames must be >= 1 and warmup >= 0")
    _check_pipeline_options(pipeline_options or {})
    cancel = cancel or (lambda: False)
    with _open(source) as probe:
        first = probe.read()
        if first is None:
            from .errors import SourceError

            raise SourceError(f"{probe.name}: no frame to benchmark on")
        source_info = {"name": str(source) if source is not None else probe.name,
                       "frame_size": list(first.rgb.shape[:2]), "frame_count": probe.frame_count,
                       "live": probe.is_live}
    per_config = 1 + 2 * (warmup + frames)
    tracker = _Progress(progress, per_config * len(configs))
    report = BenchReport(machine_info(), source_info, frames, warmup,
                         started=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    for number, config in enumerate(configs):
        tracker.set(number * per_config, f"{config.label}: loading")
        result = _run_config(config, source, first.rgb, frames, warmup, tracker, number * per_config,
                             cancel, dict(pipeline_options or {}))
        report.results.append(result)
        if result.status == CANCELLED:
            report.cancelled = True
            break
    else:
        tracker.set(tracker.total, "done")
    return report


def _check_pipeline_options(options: Mapping[str, object]) -> None:
    from dataclasses import fields

    from .pipeline import PipelineConfig

    known = {f.name for f in fields(PipelineConfig)} - {"model", "backend", "threads", "heads"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"unknown pipeline option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _run_config(config: BenchConfig, source_spec, first_rgb: np.ndarray, frames: int, warmup: int,
                tracker: _Progress, base: int, cancel: CancelCheck, options: dict) -> ConfigResult:
    from .pipeline import Pipeline, PipelineConfig

    result = ConfigResult(config)
    gc.collect()
    result.rss_before_mb = _rss_mb()
    scoped = _reset_peak_rss()
    result.rss_scope = "configuration" if scoped else "process"
    start = time.perf_counter()
    try:
        pipeline = Pipeline(PipelineConfig(model=config.model, backend=config.backend, threads=config.threads,
                                           heads=config.heads, **options))
    except StudioError as exc:
        result.status, result.reason = SKIPPED, str(exc)
        return result
    except Exception as exc:  # noqa: BLE001 - a runtime's own error must not end the whole run
        result.status, result.reason = SKIPPED, f"{type(exc).__name__}: {_first_line(exc)}"
        return result
    result.load_ms = (time.perf_counter() - start) * 1000
    result.model_key, result.model_label = pipeline.model.key, pipeline.model.label
    result.device = getattr(pipeline.backend, "device", "")
    try:
        with _open(source_spec) as source:
            _measure(pipeline, source, first_rgb, frames, warmup, result, tracker, base, cancel)
    except _Cancelled:
        result.status, result.reason = CANCELLED, "cancelled by the user"
    except StudioError as exc:
        result.status, result.reason = FAILED, str(exc)
    except Exception as exc:  # noqa: BLE001 - report it in the row and go on with the next one
        result.status, result.reason = FAILED, f"{type(exc).__name__}: {_first_line(exc)}"
    finally:
        result.peak_rss_mb = _peak_rss_mb(scoped)
        pipeline.close()
    if result.raw and result.raw.mean > 0:
        result.raw_fps = 1000.0 / result.raw.mean
    if result.raw_fps and result.pipeline_fps:
        result.fps_ratio = result.pipeline_fps / result.raw_fps
    if result.raw and result.loop and result.loop.p50 > 0:
        result.fps_ratio_median = result.raw.p50 / result.loop.p50
    return result


#: The timed invokes and frames are split into this many alternating blocks (raw, pipeline,
#: raw, pipeline ...), so a change in machine load hits both measurements alike.
BLOCKS = 5


def _measure(pipeline, source: Source, first_rgb: np.ndarray, frames: int, warmup: int, result: ConfigResult,
             tracker: _Progress, base: int, cancel: CancelCheck) -> None:
    """Raw and pipeline phases of one configuration, timed in interleaved blocks."""
    label = result.config.label
    size = pipeline.input_size(first_rgb.shape)
    result.input_size = (int(size[0]), int(size[1]))
    model_input, _ = letterbox(first_rgb, size)
    invoke = pipeline.backend.invoke
    perf = time.perf_counter
    done = base
    step = max(1, (2 * (warmup + frames)) // 50)

    def tick(n: int, message: str) -> None:
        nonlocal done
        if cancel():
            raise _Cancelled
        done += n
        if (done - base) % step == 0 or n > 1:
            tracker.set(done, f"{label}: {message}")

    tracker.set(done, f"{label}: first inference")
    start = perf()
    invoke(model_input)
    result.first_inference_ms = (perf() - start) * 1000
    tick(1, "first inference")
    for _ in range(warmup):
        invoke(model_input)
        tick(1, "warm-up")
    state = {"rewinds": 0}
    pipeline.reset()
    for _ in range(warmup):
        frame = _read_looping(source, pipeline, state)
        if frame is None:
            break
        pipeline.process(frame)
        tick(1, "warm-up")
    if not source.is_live:
        source.seek(0)
    pipeline.reset()
    state["rewinds"] = 0

    raw = np.empty(frames, dtype=np.float64)
    loop_ms = np.empty(frames, dtype=np.float64)
    stage_samples: dict[str, list[float]] = {}
    wall = 0.0
    count = 0
    blocks = min(BLOCKS, frames)
    bounds = [round(frames * b / blocks) for b in range(blocks + 1)]
    for b in range(blocks):
        for i in range(bounds[b], bounds[b + 1]):
            t0 = perf()
            invoke(model_input)
            raw[i] = (perf() - t0) * 1000
            tick(1, "raw inference")
        block_start = previous = perf()
        for i in range(bounds[b], bounds[b + 1]):
            frame = _read_looping(source, pipeline, state)
            if frame is None:
                break
            frame_result = pipeline.process(frame)
            for name, value in frame_result.timings_ms.items():
                samples = stage_samples.get(name)
                if samples is None:
                    samples = stage_samples[name] = []
                samples.append(value)
            now = perf()
            loop_ms[count] = (now - previous) * 1000
            previous = now
            count += 1
            tick(1, "pipeline")
        wall += perf() - block_start
    result.raw = LatencyStats.from_samples(raw)
    result.frames = count
    result.rewinds = state["rewinds"]
    if not count:
        result.status, result.reason = FAILED, "the source delivered no frame"
        return
    names = [name for name in stage_samples if name != "total"] + (["total"] if "total" in stage_samples else [])
    result.stages = {name: LatencyStats.from_samples(stage_samples[name]) for name in names}
    result.loop = LatencyStats.from_samples(loop_ms[:count])
    result.pipeline_wall_s = wall
    result.pipeline_fps = count / wall if wall > 0 else None


def _read_looping(source: Source, pipeline, state: dict) -> Frame | None:
    """The next frame; at the end, rewind the source once (and reset the pipeline)."""
    frame = source.read()
    if frame is None and not source.is_live:
        source.seek(0)
        pipeline.reset()
        state["rewinds"] += 1
        frame = source.read()
    return frame


# -- output -----------------------------------------------------------------------------------

def format_report(report: BenchReport) -> str:
    """The report as a plain-text table (what ``movenet-studio bench`` prints)."""
    m = report.machine
    lines = [
        f"machine: {m['cpu_model']}, {m['logical_cores']} logical cores ({m['usable_cores']} usable), "
        f"{m['platform']}",
        f"runtimes: python {m['python']}, numpy {m['numpy']}, opencv {m['opencv']}, "
        f"{m['tflite_runtime']}, {m['onnxruntime']}",
        f"source: {report.source['name']} ({report.source['frame_size'][1]}x{report.source['frame_size'][0]}), "
        f"{report.frames} timed frames after {report.warmup} warm-up",
        "",
    ]
    header = (f"{'configuration':<28} {'load':>7} {'raw p50':>8} {'p95':>7} {'p99':>7} {'mean':>7} "
              f"{'raw FPS':>8} {'pipe FPS':>9} {'ratio':>6} {'(p50)':>6} {'peak RSS':>9}")
    lines += [header, f"{'':<28} {'ms':>7} {'ms':>8} {'ms':>7} {'ms':>7} {'ms':>7} {'':>8} {'':>9} {'':>6} {'':>6} {'MB':>9}"]
    for r in report.results:
        name = r.config.label
        if r.status != OK or r.raw is None:
            lines.append(f"{name:<28} {r.status}: {r.reason}")
            continue
        lines.append(
            f"{name:<28} {r.load_ms:7.1f} {r.raw.p50:8.2f} {r.raw.p95:7.2f} {r.raw.p99:7.2f} {r.raw.mean:7.2f} "
            f"{r.raw_fps:8.1f} {_num(r.pipeline_fps, 9, 1)} {_num(r.fps_ratio, 6, 2)} {_num(r.fps_ratio_median, 6, 2)} "
            f"{_num(r.peak_rss_mb, 9, 0)}")
    ran = [r for r in report.results if r.status == OK and r.stages]
    if ran:
        from .pipeline import STAGES

        seen: list[str] = []
        for r in ran:
            seen += [n for n in r.stages if n not in seen and n != "total"]
        order = {name: i for i, name in enumerate(STAGES)}  # pipeline order; unknown stages last
        names = sorted(seen, key=lambda n: (order.get(n, len(order)), seen.index(n))) + ["total"]
        lines += ["", "pipeline latency per stage, mean ms (p95):"]
        lines.append(f"{'configuration':<28} " + " ".join(f"{n:>15}" for n in names))
        for r in ran:
            cells = []
            for n in names:
                s = r.stages.get(n)
                cells.append(f"{f'{s.mean:.2f} ({s.p95:.2f})' if s else '-':>15}")
            lines.append(f"{r.config.label:<28} " + " ".join(cells))
    comparisons = report.heads_comparisons()
    if comparisons:
        lines += ["", "heads on vs off:"]
        for c in comparisons:
            lines.append(f"  {c['model']} {c['backend']} {c['threads']}t: pipeline {c['pipeline_fps_off']:.1f} -> "
                         f"{c['pipeline_fps_on']:.1f} FPS, raw {c['raw_fps_off']:.1f} -> {c['raw_fps_on']:.1f} FPS, "
                         f"heads cost {c['heads_cost_ms']:+.2f} ms/frame")
    lines += ["", "raw = Backend.invoke on a fixed input; pipe FPS = frames / wall time of read + process "
                  "(decoded ahead on a reader thread);",
              "ratio = pipe FPS / raw FPS; (p50) = raw p50 / pipeline p50 frame time, robust to stalls "
              "on a busy machine."]
    if report.cancelled:
        lines.append("(cancelled: the remaining configurations were not run)")
    return "\n".join(lines)


def _num(value: float | None, width: int, digits: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:{width}.{digits}f}"
