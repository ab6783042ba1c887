"""Benchmarks: model load time, raw inference latency, pipeline latency per stage, throughput.

One *configuration* is (model, backend, threads, heads on/off). For each one,
:func:`run_bench` measures, in this order and in this process:

1. **load** (``load_ms``): wall time to build the :class:`~.pipeline.Pipeline`, i.e. resolve
   the model and load it in the runtime (TFLite: interpreter + ``allocate_tensors``).
2. **raw inference** (``raw``): :meth:`Backend.invoke` alone, repeated on one fixed model
   input (the first frame of the source made under the preprocessing profile: letterboxed
   to the model input by default): set the input
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
XNNPACK and ONNX Runtime do lazy set-up there); then ``warmup`` invokes, kept out of the
timed figures (their own statistics are ``warmup_raw``, as LiteRT's ``benchmark_model``
prints them), and ``warmup`` untimed pipeline frames; then the source is rewound and the pipeline reset; then
the ``frames`` timed invokes and ``frames`` timed pipeline frames run in :data:`BLOCKS`
alternating blocks (raw, pipeline, raw, pipeline ...), so that a change of machine load
during the run (other processes, thermal limits) affects both figures of the ratio alike.
The pipeline keeps its state across blocks (it reads the source on from where the previous
block stopped); a source shorter than ``frames`` is rewound as often as needed (``rewinds``;
the pipeline is reset at each rewind).

With ``per_op`` (``bench --per-op``), each ONNX Runtime configuration is then profiled per
node in a separate profiling session (:mod:`.per_op`); not part of the timed figures.

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
import threading
import time
from contextlib import suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..errors import Cancelled, StudioError
from ..media.prefetch import PrefetchSource
from ..preprocessing.profile import prepare_model_input
from ..progress import JobControl
from ..media.sources import Frame, Source
from ..media.opener import open_source
from ..text import first_line
from .machine import machine_info, peak_rss_mb, reset_peak_rss, rss_mb
from .per_op import TFLITE_NOTE, profile_onnx
from .results import (CANCELLED, FAILED, OK, SKIPPED, SYNTHETIC_FRAME_SIZE, BenchConfig, BenchReport, ConfigResult,
                      LatencyStats)

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
    """Counts work units and reports them through the job's control (throttled in loops)."""

    def __init__(self, control: JobControl, total: int):
        self.control = control
        self.total = max(1, total)
        self.done = 0

    def set(self, done: int, message: str) -> None:
        """Report `done` units; a cancellation point (raises :class:`~..errors.Cancelled`)."""
        self.done = min(done, self.total)
        self.control.report(self.done, self.total, message)


def run_bench(configs: Sequence[BenchConfig], source: str | Path | None = None, *, frames: int = 100,
              warmup: int = 10, control: JobControl | None = None,
              pipeline_options: Mapping[str, object] | None = None, per_op: bool = False,
              per_op_runs: int = 50) -> BenchReport:
    """Benchmark each configuration on `source` (see the module docstring for the method).

    Safe to call from a worker thread (no Qt, no global state); it blocks until done.

    Args:
        configs: what to measure, in order (see :func:`make_configs`).
        source: video, image, folder or ``camera:N`` read as fast as it decodes; None for a
            synthetic 640x480 frame repeated.
        frames: timed invokes (raw) and timed frames (pipeline) per configuration (>= 1).
        warmup: untimed invokes / frames before each timed phase (>= 0).
        control: progress and cancel (:mod:`~..progress`): ``total`` counts every invoke
            and frame of the run, reported from the calling thread about 50 times per
            configuration; the token is checked between invokes / frames. On cancel the
            current configuration is marked ``cancelled``, the rest are not run, and
            :class:`~..errors.Cancelled` is raised with the partial report (``cancelled=True``)
            as its ``partial``.
        pipeline_options: extra :class:`~.pipeline.PipelineConfig` fields (e.g. smoothing
            switches) applied to every configuration.
        per_op: after timing, profile each ONNX Runtime configuration per node
            (:func:`~.per_op.profile_onnx`, `per_op_runs` runs on the fixed model input);
            TFLite configurations get :data:`~.per_op.TFLITE_NOTE` instead.

    Returns:
        A :class:`BenchReport`; ``report.to_json()`` is the ``bench --json`` document.

    Raises:
        Cancelled: `control` was cancelled (``exc.partial``: the report so far).
        SourceError: `source` cannot be opened or has no frame.
        ValueError: frames < 1, warmup < 0, or an unknown pipeline option.
    """
    if frames < 1 or warmup < 0:
        raise ValueError("frames must be >= 1 and warmup >= 0")
    _check_pipeline_options(pipeline_options or {})
    control = control if control is not None else JobControl()
    with _open(source) as probe:
        first = probe.read()
        if first is None:
            from ..errors import SourceError

            raise SourceError(f"{probe.name}: no frame to benchmark on")
        source_info = {"name": str(source) if source is not None else probe.name,
                       "frame_size": list(first.rgb.shape[:2]), "frame_count": probe.frame_count,
                       "live": probe.is_live}
    per_config = 1 + 2 * (warmup + frames)
    tracker = _Progress(control, per_config * len(configs))
    report = BenchReport(machine_info(), source_info, frames, warmup,
                         started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                         pipeline_options=_options_json(pipeline_options or {}))
    for number, config in enumerate(configs):
        result = _run_config(config, source, first.rgb, frames, warmup, tracker, number * per_config,
                             control, dict(pipeline_options or {}), per_op_runs if per_op else 0)
        report.results.append(result)
        if result.status == CANCELLED:
            report.cancelled = True
            raise Cancelled(f"benchmark cancelled during {config.label}", partial=report)
    with suppress(Cancelled):  # every configuration was measured: a cancel now changes nothing
        tracker.set(tracker.total, "done")
    return report


def _options_json(options: Mapping[str, object]) -> dict:
    """`options` JSON-ready (a preprocessing profile as its dict, tuples as lists)."""
    def plain(value):
        if hasattr(value, "to_json"):
            return value.to_json()
        return list(value) if isinstance(value, tuple) else value

    return {name: plain(value) for name, value in options.items()}


def _check_pipeline_options(options: Mapping[str, object]) -> None:
    from dataclasses import fields

    from ..pipeline_config import PipelineConfig

    known = {f.name for f in fields(PipelineConfig)} - {"model", "backend", "threads", "heads"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"unknown pipeline option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")


def _run_config(config: BenchConfig, source_spec, first_rgb: np.ndarray, frames: int, warmup: int,
                tracker: _Progress, base: int, control: JobControl, options: dict, per_op_runs: int) -> ConfigResult:
    from ..pipeline import Pipeline
    from ..pipeline_config import PipelineConfig

    result = ConfigResult(config)
    with suppress(Cancelled):  # a cancel is taken at the first invoke: the row keeps its load time
        tracker.set(base, f"{config.label}: loading")
    if threading.current_thread() is threading.main_thread():
        # Settle memory before measuring it, but only in the main thread: the window runs
        # benchmarks in a background thread, where a collection could free Qt objects
        # outside the GUI thread (see movenet_studio/gui/garbage.py).
        gc.collect()
    result.rss_before_mb = rss_mb()
    scoped = reset_peak_rss()
    result.rss_scope = "configuration" if scoped else "process"
    start = time.perf_counter()
    try:
        pipeline = Pipeline(PipelineConfig(model=config.model, backend=config.backend, threads=config.threads,
                                           heads=config.heads, **options))
    except StudioError as exc:
        result.status, result.reason = SKIPPED, str(exc)
        return result
    except Exception as exc:  # noqa: BLE001 - a runtime's own error must not end the whole run
        result.status, result.reason = SKIPPED, f"{type(exc).__name__}: {first_line(exc)}"
        return result
    result.load_ms = (time.perf_counter() - start) * 1000
    try:
        with _open(source_spec) as source:
            _measure(pipeline, source, first_rgb, frames, warmup, result, tracker, base, control)
        if per_op_runs and result.status == OK:
            tracker.set(tracker.done, f"{config.label}: per-op profile")
            _profile(pipeline, first_rgb, per_op_runs, result)
    except Cancelled:
        result.status, result.reason = CANCELLED, "cancelled by the user"
    except StudioError as exc:
        result.status, result.reason = FAILED, str(exc)
    except Exception as exc:  # noqa: BLE001 - report it in the row and go on with the next one
        result.status, result.reason = FAILED, f"{type(exc).__name__}: {first_line(exc)}"
    finally:
        result.peak_rss_mb = peak_rss_mb(scoped)
        # Described after the peak was read: reading the file's signature costs 10-20 MB.
        result.description = pipeline.describe()
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
             tracker: _Progress, base: int, control: JobControl) -> None:
    """Raw and pipeline phases of one configuration, timed in interleaved blocks."""
    label = result.config.label
    size = pipeline.input_size(first_rgb.shape)
    result.input_size = (int(size[0]), int(size[1]))
    model_input, _ = prepare_model_input(first_rgb, size, pipeline.config.preprocess)
    invoke = pipeline.backend.invoke
    perf = time.perf_counter
    done = base
    step = max(1, (2 * (warmup + frames)) // 50)

    def tick(n: int, message: str) -> None:
        nonlocal done
        control.raise_if_cancelled()
        done += n
        if (done - base) % step == 0 or n > 1:
            tracker.set(done, f"{label}: {message}")

    tracker.set(done, f"{label}: first inference")
    start = perf()
    invoke(model_input)
    result.first_inference_ms = (perf() - start) * 1000
    tick(1, "first inference")
    warm = np.empty(warmup, dtype=np.float64)
    for i in range(warmup):
        t0 = perf()
        invoke(model_input)
        warm[i] = (perf() - t0) * 1000
        tick(1, "warm-up")
    result.warmup_raw = LatencyStats.from_samples(warm)
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


def _profile(pipeline, first_rgb: np.ndarray, runs: int, result: ConfigResult) -> None:
    """Per-op profile of an ONNX Runtime configuration into `result` (a note otherwise)."""
    if pipeline.model.format != "onnx":
        result.per_op_note = TFLITE_NOTE if pipeline.model.format == "tflite" else "no per-op profile for this runtime"
        return
    model_input, _ = prepare_model_input(first_rgb, pipeline.input_size(first_rgb.shape), pipeline.config.preprocess)
    try:
        result.per_op = profile_onnx(pipeline.model.path, model_input, threads=result.config.threads,
                                     provider=pipeline.backend.provider or "CPUExecutionProvider", runs=runs)
    except Exception as exc:  # noqa: BLE001 - the timing figures stand without the profile
        result.per_op_note = f"per-op profile failed: {first_line(exc)}"


def _read_looping(source: Source, pipeline, state: dict) -> Frame | None:
    """The next frame; at the end, rewind the source once (and reset the pipeline)."""
    frame = source.read()
    if frame is None and not source.is_live:
        source.seek(0)
        pipeline.reset()
        state["rewinds"] += 1
        frame = source.read()
    return frame
