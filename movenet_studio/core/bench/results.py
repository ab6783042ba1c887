"""Benchmark result model: configurations, latency statistics, per-configuration results and the
whole report, with their JSON form (the ``bench --json`` document). See :mod:`.runner` for the
method that fills them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from ... import __version__
from ..pipeline_description import PipelineDescription
from .per_op import PerOpProfile

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
        backend: backend name (``tflite``, ``onnx`` or any registered backend).
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
        description: what the pipeline ran (:meth:`Pipeline.describe
            <movenet_studio.core.pipeline.Pipeline.describe>`, taken at the end of the
            configuration, outside the peak-RSS window): the JSON's ``model_key``,
            ``model_label`` and ``device``; None when the model did not load.
        input_size: model input (height, width) in pixels used for the raw runs.
        load_ms: pipeline construction (model resolve + runtime load), ms.
        first_inference_ms: the first invoke after loading, ms.
        warmup_raw: latency stats (ms) of the untimed warm-up invokes after the first one
            (LiteRT ``benchmark_model`` reports them too), None without warm-up.
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
        per_op: ONNX Runtime per-node profile (``bench --per-op``), or None.
        per_op_note: why there is no per-op profile when one was asked for (TFLite, or the
            profiler's error), else ``""``.
    """

    config: BenchConfig
    status: str = OK
    reason: str = ""
    description: PipelineDescription | None = None
    input_size: tuple[int, int] | None = None
    load_ms: float | None = None
    first_inference_ms: float | None = None
    warmup_raw: LatencyStats | None = None
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
    per_op: PerOpProfile | None = None
    per_op_note: str = ""

    def to_json(self) -> dict:
        """A JSON-ready dict (floats rounded; absent figures are null)."""

        def r(value, digits=3):
            return None if value is None else round(float(value), digits)

        described = self.description

        return {
            **self.config.to_json(),
            "status": self.status,
            "reason": self.reason or None,
            "model_key": described.model.key if described else None,
            "model_label": described.model.label if described else None,
            "device": (described.device or None) if described else None,
            "input_size": list(self.input_size) if self.input_size else None,
            "load_ms": r(self.load_ms),
            "first_inference_ms": r(self.first_inference_ms),
            "warmup_latency_ms": self.warmup_raw.to_json() if self.warmup_raw else None,
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
            "per_op": [n.to_json() for n in self.per_op.nodes] if self.per_op else None,
            "per_op_types": [t.to_json() for t in self.per_op.op_types] if self.per_op else None,
            "per_op_runs": self.per_op.runs if self.per_op else None,
            "per_op_run_mean_ms": r(self.per_op.run_mean_ms, 4) if self.per_op else None,
            "per_op_note": self.per_op_note or None,
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
        pipeline_options: the extra pipeline configuration every configuration ran with,
            JSON-ready (e.g. ``{"preprocess": {"channels", "resize", "interpolation"},
            "input_range": [lo, hi]}``).
    """

    machine: dict
    source: dict
    frames: int
    warmup: int
    results: list[ConfigResult] = field(default_factory=list)
    cancelled: bool = False
    started: str = ""
    pipeline_options: dict = field(default_factory=dict)

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
            "pipeline_options": self.pipeline_options,
            "cancelled": self.cancelled,
            "definitions": JSON_NOTES,
            "configurations": [r.to_json() for r in self.results],
            "heads_comparisons": self.heads_comparisons(),
        }


#: Definitions stored in every JSON report.
JSON_NOTES = {
    "units": "latencies in ms, rates in frames per second, memory in MB (10^6 bytes)",
    "raw_latency_ms": "Backend.invoke on one fixed model input, the first frame made under the preprocessing "
                      "profile (letterboxed by default): set input, run, get output",
    "pipeline_options": "pipeline configuration every configuration ran with (bench --channels, --resize, "
                        "--interpolation, --input-range)",
    "warmup_latency_ms": "the untimed warm-up invokes after the first one (first_inference_ms)",
    "raw_fps": "1000 / raw mean latency",
    "pipeline_latency_ms": "per-stage wall time reported by the pipeline (FrameResult.timings_ms), total = sum",
    "pipeline_fps": "timed frames / wall time of the loop source.read() + pipeline.process(); "
                    "the source is decoded ahead on a reader thread, as in the app",
    "fps_ratio": "pipeline_fps / raw_fps",
    "fps_ratio_median": "raw p50 latency / pipeline loop p50 time per frame (robust to stalls on a busy machine)",
    "per_op": "ONNX Runtime session profiling (bench --per-op): per node, mean kernel ms per run and share of "
              "the summed kernel time, slowest first; per_op_types sums them per op type; null for TFLite, "
              "whose Python runtime exposes no per-op profile (per_op_note)",
    "peak_rss_mb": "peak resident memory while the configuration ran (rss_scope configuration) "
                   "or over the process lifetime (rss_scope process)",
}


def make_configs(models: Iterable[str], backends: Iterable[str], threads: Iterable[int],
                 heads: Iterable[bool] = (False,)) -> list[BenchConfig]:
    """The cross product models x backends x threads x heads, in that nesting order."""
    return [BenchConfig(m, b, int(t), bool(h)) for m in models for b in backends for t in threads for h in heads]
