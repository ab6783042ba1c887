"""The plain-text benchmark report (what ``movenet-studio bench`` prints)."""

from __future__ import annotations

from .results import OK, BenchReport, ConfigResult, LatencyStats

#: Rows of the per-node table printed per ONNX configuration (the JSON has every node).
TOP_NODES = 10


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
        from ..frame_result import STAGES

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
    if ran:
        lines += ["", "invokes as LiteRT's benchmark_model reports them, ms:"]
        lines += [f"{r.config.label:<28} {_invokes(r)}" for r in ran]
    for r in report.results:
        lines += _per_op_lines(r)
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


def _invokes(r: ConfigResult) -> str:
    def stats(name: str, s: LatencyStats | None) -> str:
        if s is None:
            return f"{name} -"
        return f"{name} ({s.count}) mean {s.mean:.2f} min {s.min:.2f} max {s.max:.2f} std {s.std:.2f}"

    first = "-" if r.first_inference_ms is None else f"{r.first_inference_ms:.2f}"
    return f"first {first}; {stats('warm-up', r.warmup_raw)}; {stats('inference', r.raw)}"


def _per_op_lines(r: ConfigResult) -> list[str]:
    """Where the time goes in one configuration: per op type, then the slowest nodes."""
    if r.per_op is None:
        return ["", f"per-op profile of {r.config.label}: none ({r.per_op_note})"] if r.per_op_note else []
    p = r.per_op
    lines = ["", f"per-op profile of {r.config.label} (ONNX Runtime session profiling, {p.provider}, "
                 f"{p.runs} runs: {p.run_mean_ms:.2f} ms per run, nodes sum {p.node_sum_ms:.2f} ms):",
             f"  {'op type':<28} {'nodes':>5} {'mean ms':>8} {'share':>7}"]
    lines += [f"  {t.op_type:<28} {t.count:5d} {t.mean_ms:8.3f} {t.share:7.1%}" for t in p.op_types]
    lines.append("  slowest nodes:")
    for n in p.nodes[:TOP_NODES]:
        name = n.name if len(n.name) <= 60 else "..." + n.name[-57:]
        lines.append(f"  {name:<60} {n.op_type:<16} {n.mean_ms:8.3f} {n.share:7.1%}")
    return lines
