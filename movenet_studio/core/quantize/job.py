"""The whole ``quantize`` run: normalise, collect frames, calibrate, quantize, measure, repair, write.

:func:`run_quantize` is what the command line and the window's *Tools > Quantize...* run.
It reports progress and stops on cancel through one :class:`~..progress.JobControl`; the
outputs (model, ``OUT.recipe.json``, the report JSON) are written only at the end, each
atomically (:mod:`..atomic`), so a cancelled or failed run leaves nothing behind. Work
files live in a temporary folder that is always removed.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import atomic_output, write_json_atomic
from ..errors import ModelError, StudioError
from ..layers.captured import InputSignature, prepare_input
from ..media.opener import open_source
from ..models.graph import read_signature
from ..models.model_io import inspect_signature, model_io
from ..models.resolve import resolve_model
from ..pipeline_config import PipelineConfig
from ..preprocessing.profile import PreprocessProfile
from ..progress import JobControl
from ..text import printable
from .coco_frames import is_coco_annotations, load_coco_source
from .frames import collect_inputs, split_holdout
from .graph_blocks import group_blocks, int8_mac_fraction
from .impact import Impact, measure, run_model
from .io_types import IO_TYPES, bounded_outputs
from .recipe import recipe_document
from .repair import SearchResult, ranking, search
from .report import measure_block_sqnr, report_document

SCHEMES = ("int8", "int16x8", "dynamic")
#: Held-out frames read when `--holdout` sources are given, spread over them.
HOLDOUT_FRAMES = 100


@dataclass(frozen=True)
class QuantizeRequest:
    """What to quantize and how (the ``quantize`` command's options).

    Attributes:
        model: bundled name or a float ``.tflite`` / ``.onnx`` file.
        backend: ``tflite`` or ``onnx`` (bundled names: which file).
        calibration: source paths (video, image, folder of images).
        out: the quantized model's path.
        scheme: ``int8``, ``int16x8`` or ``dynamic``.
        per_tensor: per-tensor weight scales (default per-channel).
        keep_float: ``auto`` (repair search), ``none``, or block names.
        target_px: mean keypoint error to reach on the held-out frames (frame pixels).
        holdout: held-out sources (default: the last quarter of each calibration source).
        frames: calibration frames (with held-out ones, when split from the calibration sources).
        io: ``float`` (the float model's own input and output types), ``int8`` or ``uint8``
            (integer input and outputs, :mod:`.io_types`); every model measured has them.
        report: path of the JSON report, or None.
        preprocess: the preprocessing profile of the pipeline.
        sqnr_frames: held-out frames the per-block SQNR is measured on.
    """

    model: str
    backend: str = "tflite"
    calibration: tuple[str, ...] = ()
    out: Path = Path("model_int8.tflite")
    scheme: str = "int8"
    per_tensor: bool = False
    keep_float: str | tuple[str, ...] = "auto"
    target_px: float | None = None
    holdout: tuple[str, ...] = ()
    frames: int = 200
    io: str = "float"
    report: Path | None = None
    preprocess: PreprocessProfile = field(default_factory=PreprocessProfile)
    sqnr_frames: int = 8

    @property
    def recipe_path(self) -> Path:
        """``OUT.recipe.json`` beside the model."""
        return Path(str(self.out) + ".recipe.json")


@dataclass
class QuantizeResult:
    """What a run produced.

    Attributes:
        report: the report document (the ``--report`` JSON format).
        recipe: the recipe document.
        text: the human report.
        search: the measurements of the repair search.
    """

    report: dict
    recipe: dict
    text: str
    search: SearchResult


def open_driver(spec, scheme: str, per_tensor: bool):
    """The library driver for a float model file (TFLite: ai-edge-quantizer, ONNX: ONNX Runtime)."""
    data = Path(spec.path).read_bytes()
    if spec.format == "onnx":
        from .onnx_driver import open_onnx

        return open_onnx(data, spec.path.name, scheme, per_tensor)
    from .tflite_driver import open_tflite

    return open_tflite(data, spec.path.name, scheme, per_tensor)


def check_float_model(spec) -> None:
    """Refuse quantized files (and, through resolve, NPU-only ones) with one clear line."""
    if spec.precision == "int8":
        raise ModelError(f"{spec.path.name}: already quantized (int8); quantize the float model it was made from")


def run_quantize(request: QuantizeRequest, control: JobControl | None = None) -> QuantizeResult:
    """Quantize `request.model`, measure it, repair it if asked, and write the outputs.

    Raises:
        ModelError: not a float MoveNet file (an int8 file, a Vela file, a non-MoveNet file).
        SourceError: a source cannot be read or has no usable frame.
        StudioError: bad options (unknown block names, a target without held-out frames).
        Cancelled: the job was cancelled; nothing was written.
    """
    control = control or JobControl()
    started = time.perf_counter()
    if request.scheme not in SCHEMES:
        raise StudioError(f"unknown scheme '{request.scheme}'; use {', '.join(SCHEMES)}")
    if request.io not in IO_TYPES:
        raise StudioError(f"unknown --io '{request.io}'; use {', '.join(IO_TYPES)}")
    if request.io != "float" and request.scheme == "dynamic":
        raise StudioError(f"--io {request.io} needs calibrated activation ranges: use --scheme int8 or int16x8 "
                          f"(dynamic quantization keeps float activations and float I/O)")
    if not request.calibration:
        raise StudioError("no calibration source given")
    for source in (*request.calibration, *request.holdout):  # a bad source fails before any model work
        if is_coco_annotations(source):
            load_coco_source(source)
        else:
            open_source(source).close()
    spec = resolve_model(request.model, request.backend)
    check_float_model(spec)
    driver = open_driver(spec, request.scheme, request.per_tensor)
    try:
        return _run(request, control, spec, driver, started)
    finally:
        driver.close()


def _run(request: QuantizeRequest, control: JobControl, spec, driver, started: float) -> QuantizeResult:
    blocks, tail = group_blocks(driver.graph)
    names = [b.name for b in blocks]
    fixed = _fixed_blocks(request.keep_float, names)
    repair = request.keep_float == "auto" and request.target_px is not None
    config = PipelineConfig(model=str(spec.path), backend=spec.format, threads=2, preprocess=request.preprocess)
    float_io = model_io(spec)
    bounded = bounded_outputs(float_io) if float_io is not None else {}

    holdout_count = HOLDOUT_FRAMES if request.holdout else 0
    measure_units = (1 + (2 * len(blocks) if repair else 0))
    total_guess = request.frames + holdout_count + request.frames + measure_units * 20
    collected = collect_inputs(list(request.calibration), config, request.frames, control, total=total_guess)
    if request.holdout:
        calibration = collected
        holdout = collect_inputs(list(request.holdout), config, holdout_count, control, what="held-out",
                                 done=len(collected), total=total_guess)
    else:
        calibration, holdout = split_holdout(collected)
        if not holdout:
            holdout = calibration  # single images: measured on what they were calibrated on (said in the report)
    done = len(collected) + (len(holdout) if request.holdout else 0)
    total = done + len(calibration) + measure_units * len(holdout)

    signature = read_signature(spec.path).inputs[0]
    input_signature = InputSignature(tuple(int(v) for v in signature.shape), signature.dtype,
                                     signature.scale, signature.zero_point)
    tensors = [prepare_input(item.image, input_signature) for item in calibration]
    driver.calibrate(tensors, control, done=done, total=total)
    done += len(calibration)

    work = Path(tempfile.mkdtemp(prefix="movenet-quantize-"))
    try:
        float_path = work / f"float{driver.suffix}"
        float_path.write_bytes(driver.float_model)
        reference = run_model(float_path, holdout, control)
        cache: dict[frozenset, tuple[Impact, bytes]] = {}
        by_name = {b.name: b for b in blocks}

        def quantized(kept: frozenset) -> tuple[Impact, bytes]:
            nonlocal done
            if kept not in cache:
                scopes = list(tail.scopes) + [s for name in sorted(kept) for s in by_name[name].scopes]
                data = driver.quantize(scopes, control)
                if request.io != "float":
                    data = driver.set_io(data, request.io, bounded)
                path = work / f"candidate{driver.suffix}"
                path.write_bytes(data)
                cache[kept] = (measure(reference, run_model(path, holdout, control)), data)
                done += len(holdout)
                control.report(min(done, total - 1), total, f"measured {'+'.join(sorted(kept)) or 'full int8'}")
            return cache[kept]

        result = search(names, lambda kept: quantized(kept)[0], request.target_px if repair else None,
                        measure_blocks=repair or request.keep_float == "auto",
                        macs={b.name: b.macs for b in blocks})
        if not repair:
            result.kept_float = list(fixed)
            result.result = quantized(frozenset(fixed))[0]
        final_impact, final_data = quantized(frozenset(result.kept_float))
        full_path = work / f"full{driver.suffix}"
        full_path.write_bytes(quantized(frozenset())[1])
        sqnr = measure_block_sqnr(float_path, full_path, spec.format, holdout[:request.sqnr_frames], blocks, driver.graph)
        control.raise_if_cancelled()
        fraction = int8_mac_fraction(blocks + [tail], set(result.kept_float) | {tail.name})
        seconds = time.perf_counter() - started
        final_path = work / f"final{driver.suffix}"
        final_path.write_bytes(final_data)
        io_document = io_description(final_path, request.io)
        report = report_document(request, spec, calibration, holdout, result, blocks, sqnr, fraction, seconds,
                                 split=not request.holdout and holdout is not calibration,
                                 same=holdout is calibration, io=io_document)
        recipe = recipe_document(request, spec, driver, calibration, result.kept_float, tail)
        text = format_text(report, driver.notes, tail, result)
        control.raise_if_cancelled()
        _write_outputs(request, final_data, recipe, report)
        control.report(total, total, "done")
        return QuantizeResult(report, recipe, text, result)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _fixed_blocks(keep_float, names: list[str]) -> tuple[str, ...]:
    if keep_float in ("auto", "none", "", None):
        return ()
    wanted = tuple(keep_float) if not isinstance(keep_float, str) else tuple(
        n.strip() for n in keep_float.split(",") if n.strip())
    unknown = [n for n in wanted if n not in names]
    if unknown:
        raise StudioError(f"--keep-float: unknown block {', '.join(map(printable, unknown))}; "
                          f"this graph's blocks are {', '.join(names)}")
    return wanted


def _write_outputs(request: QuantizeRequest, data: bytes, recipe: dict, report: dict) -> None:
    """Model, recipe and report, each atomically; a failure removes the ones already written."""
    written: list[Path] = []
    try:
        with atomic_output(request.out, "wb") as handle:
            handle.write(data)
        written.append(Path(request.out))
        write_json_atomic(request.recipe_path, recipe)
        written.append(request.recipe_path)
        if request.report is not None:
            write_json_atomic(request.report, report)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def io_description(path: Path, io: str) -> dict:
    """The quantized file's input and output types: ``{"type": io, "input": {...}, "outputs": [...]}``,
    each with ``name``, ``dtype``, ``scale`` and ``zero_point`` (None for float tensors)."""
    described = inspect_signature(read_signature(path), path.name)

    def entry(name, dtype, scale, zero_point):
        return {"name": name, "dtype": dtype, "scale": float(scale) if scale else None,
                "zero_point": int(zero_point) if scale else None}

    i = described.input
    return {"type": io, "input": entry(i.name, i.dtype, i.scale if i.quantised or io != "float" else 0.0, i.zero_point),
            "outputs": [entry(o.name, o.dtype, o.scale, o.zero_point) for o in described.outputs]}


def _io_line(io: dict) -> str:
    def text(e):
        return e["dtype"] + (f" (scale {e['scale']:.6g} zero point {e['zero_point']})" if e["scale"] else "")

    outputs = ", ".join(f"{e['name']} {text(e)}" for e in io["outputs"])
    return f"I/O ({io['type']}): input {text(io['input'])}; outputs {outputs}"


def format_text(report: dict, notes: list[str], tail, result: SearchResult) -> str:
    """The human report printed by the command line."""
    r, f = report["result"], report["full_int8"]
    lines = [f"{report['model_in']} -> {report['model_out']} ({report['backend']}, {report['scheme']})"]
    lines += [f"normalised: {n}" for n in notes]
    lines.append(f"decode tail kept float: {len(tail.ops)} ops downstream of the heads")
    if "io" in report:
        lines.append(_io_line(report["io"]))
    lines.append(f"calibration: {report['calibration']['frames']} frames of {', '.join(report['calibration']['sources'])}")
    same = " (the calibration frames themselves: single images cannot be split; give --holdout)" \
        if report["holdout"].get("same_as_calibration") else ""
    lines.append(f"held out:    {report['holdout']['frames']} frames of {', '.join(report['holdout']['sources'])}{same}")
    lines.append(f"full {report['scheme']}: {f['keypoints_px']['mean']:.2f} px mean, {f['keypoints_px']['p95']:.2f} px p95, "
                 f"OKS {f['oks']:.4f} (against float)")
    lines.append(f"result:    {r['keypoints_px']['mean']:.2f} px mean, {r['keypoints_px']['p95']:.2f} px p95, "
                 f"OKS {r['oks']:.4f}; kept float: {', '.join(r['kept_float']) or 'none'}; "
                 f"int8 MACs {100 * r['int8_mac_fraction']:.1f} %")
    if result.single:
        lines.append("")
        lines.append(f"{'block':24s} {'MMACs':>8s} {'SQNR dB':>8s} {'px if float':>12s} {'px saved':>9s} "
                     f"{'OKS if float':>12s} {'rank px':>7s} {'rank SQNR':>9s}")
        by_px = {name: i + 1 for i, name in enumerate(ranking(result))}
        with_sqnr = [b for b in report["blocks"] if b["sqnr_db"] is not None]
        by_sqnr = {b["name"]: i + 1 for i, b in enumerate(sorted(with_sqnr, key=lambda b: b["sqnr_db"]))}
        full = f["keypoints_px"]["mean"]
        for b in report["blocks"]:
            sq = "-" if b["sqnr_db"] is None else f"{b['sqnr_db']:.1f}"
            lines.append(f"{b['name']:24s} {b['macs'] / 1e6:8.1f} {sq:>8s} {b['keypoints_px_mean_if_float']:12.2f} "
                         f"{full - b['keypoints_px_mean_if_float']:9.2f} {b['oks_if_float']:12.4f} "
                         f"{by_px.get(b['name'], '-'):>7} {by_sqnr.get(b['name'], '-'):>9}"
                         + ("  float" if not b["int8"] else ""))
    if report.get("target_px") is not None:
        lines.append(f"target {report['target_px']:.2f} px: {'met' if result.met else 'not met'} "
                     f"({result.evaluations} models measured)")
    lines.append(f"{report['seconds']:.1f} s")
    return "\n".join(lines)

