"""``movenet-studio batch SOURCES... --out DIR``: ``infer`` on many sources, on a dask cluster.

Each video, image or image folder is one task that runs ``infer``'s code
(:func:`~.infer.infer_source`) on a dask.distributed worker: a ``LocalCluster`` of worker
processes on this machine, or the workers of an existing scheduler (``--scheduler``).
Naming, resuming and the manifest are in :mod:`movenet_studio.core.distributed.batch`, the task loop
(progress, cancel, Ctrl-C) in :mod:`movenet_studio.core.distributed.batch_run`.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import replace
from pathlib import Path

from .options import add_cluster_options, add_infer_options, config_from_args

def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "batch", help="run infer on many videos, images and folders, on a local or an existing dask cluster",
        description="Run MoveNet on every source and write infer's JSON for each (and on request the annotated "
                    "video and the heads npz) in DIR, with DIR/manifest.json listing every source's status. "
                    "Sources run in parallel on a local dask cluster, or on an existing one (--scheduler). "
                    "Sources whose outputs are complete from an earlier run into DIR are skipped (--force "
                    "runs them again); a failing source is recorded with its reason and the others go on.")
    parser.add_argument("sources", nargs="+", metavar="SOURCE",
                        help="video, image, folder (its videos and image folders, searched down), glob pattern, "
                             "or a .txt/.lst file listing sources one a line")
    parser.add_argument("--out", "-o", type=Path, required=True, metavar="DIR", help="output folder (created)")
    add_infer_options(parser)
    parser.add_argument("--video", action="store_true",
                        help="also write each source's annotated video (export's default overlays), NAME.mp4")
    parser.add_argument("--heads-npz", action="store_true",
                        help="also write each source's prediction heads, NAME.heads.npz (format: docs/reference/formats.md)")
    add_cluster_options(parser)
    parser.add_argument("--force", "-f", action="store_true", help="run sources again whose outputs are complete")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.set_defaults(run=run, parser=parser)


def infer_option_names() -> list[str]:
    """Attribute names of ``infer``'s processing options (what each task is run with)."""
    probe = argparse.ArgumentParser(add_help=False)
    add_infer_options(probe)
    return [action.dest for action in probe._actions]


def _files_to_ship(options: dict, spec) -> dict[str, tuple[str, bytes]]:
    """Option name -> (file name, bytes) of the files the workers need: the model when it is not
    bundled, and every option naming a file (a classifier and its labels)."""
    from ..core.distributed.cluster import model_to_ship

    model = model_to_ship(spec)
    files = {"model": model} if model else {}
    for name, value in options.items():
        if isinstance(value, Path) and value.is_file():
            files[name] = (value.name, value.read_bytes())
    return files


def _json_value(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def run(args: argparse.Namespace) -> int:
    # Imported here, not with the parser: only batch needs the cluster code (and Dask when it starts one).
    from ..core.distributed.batch import (
        MANIFEST_NAME, OUTPUT_SUFFIXES, BatchError, completed_entries, entry, expand_sources, output_names,
        read_manifest, remove_partial_outputs, write_manifest,
    )
    from ..core.distributed.batch_run import run_tasks
    from ..core.distributed.cluster import dask_client, worker_count
    from ..core.output.export import check_output_path
    from ..core.models.resolve import resolve_model
    from ..core.progress import JobControl
    from ..core.stream import ClassifierFiles, StreamRequest
    from .batch_worker import run_source
    from .classifier_options import check_classifier_args, classifier_from_args
    from .progress import ProgressBar

    out = args.out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise BatchError(f"{args.out}: is a file; --out needs a folder")
    out.mkdir(parents=True, exist_ok=True)
    check_output_path(out / MANIFEST_NAME, force=True)  # writable? (fails before any work)
    sources = expand_sources(args.sources, exclude=[out])

    options = {name: getattr(args, name) for name in infer_option_names()}
    check_classifier_args(args, args.parser)
    config = config_from_args(args)  # bad options, model or classifier files fail here, before a cluster starts
    spec = resolve_model(config.model, config.backend)
    classifier_from_args(args)
    files = _files_to_ship(options, spec)
    settings = {name: _json_value(value) for name, value in options.items()}
    settings.update({f"{name}_sha256": hashlib.sha256(data).hexdigest() for name, (_, data) in files.items()})
    if spec.bundled:  # by name: a path to a bundled file may not exist on another machine's worker
        config = replace(config, model=spec.key)
    request = StreamRequest("", replace(config, heads=bool(args.heads_npz)),
                            classifier=ClassifierFiles(args.classifier, args.labels, args.classifier_order, args.count)
                            if args.classifier is not None else None)
    kinds = ["json", *(["video"] if args.video else []), *(["heads_npz"] if args.heads_npz else [])]

    previous = read_manifest(out)
    done = {} if args.force else completed_entries(previous, out, settings, kinds)
    if previous.get("sources") and previous.get("settings") != settings and not args.force:
        print(f"movenet-studio: note: {out / MANIFEST_NAME} was written with other settings; "
              "every source runs again", file=sys.stderr)
    entries: dict[str, dict] = {}
    for source in sources:
        old = done.get(str(source))
        if old is not None:
            entries[str(source)] = entry(source, "skipped", {k: old.get(k) for k in OUTPUT_SUFFIXES},
                                         old.get("frames") or 0, old.get("seconds") or 0.0)
    todo = [s for s in sources if str(s) not in entries]
    names = {s: output_names(s, kinds) for s in todo}
    if len({n["json"] for n in names.values()}) < len(names):  # 32 bits of SHA-1 over one name: not seen yet
        raise BatchError("two sources map to the same output name; run them into separate --out folders")
    remove_partial_outputs(out, [n for ns in names.values() for n in ns.values()])

    start = time.perf_counter()
    workers = 0
    try:
        if todo:
            with dask_client(args.workers, args.threads_per_worker, args.scheduler, config.threads) as client:
                start = time.perf_counter()
                shipped = client.scatter([files], broadcast=True)[0] if files else None
                bar = None if args.quiet else ProgressBar("batch", unit="frame")
                try:
                    run_tasks(client, run_source, todo, out, names, entries, sources, settings, start,
                              task_args=(request, str(out), shipped), control=JobControl(bar))
                finally:
                    if bar is not None:
                        bar.finish()
                workers = worker_count(client)
    finally:
        remove_partial_outputs(out, [n for ns in names.values() for n in ns.values()])
    seconds = time.perf_counter() - start
    ordered = [entries[str(s)] for s in sources]
    path = write_manifest(out, ordered, seconds if todo else 0.0, settings)
    return _report(ordered, seconds, workers, path)


def _report(entries: list[dict], seconds: float, workers: int, manifest: Path) -> int:
    """Print the errors (stderr) and a summary line; 1 when any source failed."""
    counts = {status: sum(1 for e in entries if e["status"] == status) for status in ("ok", "error", "skipped")}
    frames = sum(e["frames"] for e in entries if e["status"] == "ok")
    for e in entries:
        if e["status"] == "error":
            print(f"movenet-studio: error: {e['source']}: {e['error']}", file=sys.stderr)
    rate = f" ({frames / seconds:.1f} fps on {workers} worker{'s' if workers != 1 else ''})" \
        if counts["ok"] and seconds > 0 else ""
    print(f"batch: {counts['ok']} ok, {counts['error']} error, {counts['skipped']} skipped; "
          f"{frames} frames in {seconds:.1f} s{rate}; manifest {manifest}")
    return 1 if counts["error"] else 0
