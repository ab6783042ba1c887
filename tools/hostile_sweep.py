"""Run every command line command against the whole hostile corpus, as real processes (issue 25:
"a corpus of hostile files ... run against the CLI finds no crash, hang, leftover or
overwritten file").

The corpus is the tests' own (tests/badinputs.py, tests/hostile_files.py, built in a
temporary folder, never checked in): garbage images, videos and models, cut and byte-flipped
copies of pose_1.mp4, not-MoveNet and corrupted models, FIFOs, copies of /dev/null and
/dev/full, a PNG decompression bomb, malformed COCO annotation files, ONNX models whose
outputs lie about their shape, change shape, or are NaN / 1e30. Each bad source goes to
``infer``, ``export``, ``compare``, ``layers``, ``quantize`` and ``batch``; each bad model to
``models``, ``infer``, ``compare``, ``layers``, ``bench`` and ``quantize``; each bad
annotation file to ``eval`` and ``quantize``.

A run passes when the process ends within the timeout, is not killed by a signal, prints no
Python traceback, says at most one error line (``movenet-studio: error: ...``) when it fails,
and leaves nothing in its output folder when it fails (no partial or temporary file; the
documents of :data:`REPORTS_OF_FAILURE` record a failed run by design); an existing file in
the folder is never changed. Usage (from the project root;
about 15 minutes on 2 cores)::

    PYTHONPATH=$PWD python tools/hostile_sweep.py [--jobs 2] [--timeout 180]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


#: Whole documents that record a failed run by design, not partial outputs: ``bench --json``
#: lists every configuration with the reason it was skipped, ``batch --out DIR`` writes
#: ``manifest.json`` with each input's outcome.
REPORTS_OF_FAILURE = {"b.json", "batch", "batch/manifest.json"}


@dataclass
class Case:
    """One command on one hostile input."""

    name: str
    args: list[str]
    out: Path  # the folder the command may write into


def corpus(folder: Path) -> tuple[list[tuple[str, Path]], list[tuple[str, Path]], list[tuple[str, Path]]]:
    """(bad sources, bad models, bad annotation files) as (label, path)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import badinputs
    import hostile_files

    video = DATA / "pose_1.mp4"
    sources = [(f"{b.kind}:{b.path.name}", b.path) for b in badinputs.source_corpus(video, folder / "sources")]
    special = folder / "special"
    special.mkdir(parents=True, exist_ok=True)
    sources.append(("fifo", hostile_files.fifo(special / "pipe.mp4")))
    sources += [(f"device:{k}", p) for k, p in hostile_files.device_copies(special / "dev").items()]
    sources.append(("bomb", hostile_files.png_bomb(special / "bomb.png")))
    dangling = special / "dangling.jpg"
    dangling.symlink_to(special / "missing.jpg")
    sources.append(("dangling", dangling))
    folder_named = special / "folder.jpg"
    folder_named.mkdir()
    sources.append(("folder named .jpg", folder_named))
    models = [(f"{b.kind}:{b.path.name}", b.path) for b in badinputs.model_corpus(folder / "models")]
    odd = folder / "odd_models"
    odd.mkdir(parents=True, exist_ok=True)
    models += [("nan output", hostile_files.huge_output_onnx(odd / "nan.onnx", float("nan"))),
               ("1e30 output", hostile_files.huge_output_onnx(odd / "huge.onnx", 1e30)),
               ("lying shape", hostile_files.lying_shape_onnx(odd / "lying.onnx")),
               ("changing shape", hostile_files.shape_changing_onnx(odd / "changing.onnx")),
               ("headless", badinputs.headless_movenet_onnx(odd / "headless.onnx"))]
    annotations = [(f"annotations:{k}", p) for k, (p, _) in
                   hostile_files.bad_annotation_files(folder / "annotations").items()]
    return sources, models, annotations


def cases(work: Path) -> list[Case]:
    """Every command on every corpus file."""
    sources, models, annotations = corpus(work / "corpus")
    photo, video = str(DATA / "pose.jpg"), str(DATA / "pose_1.mp4")
    out_cases: list[Case] = []

    def add(name: str, make) -> None:
        out = work / "out" / f"{len(out_cases):04d}"
        out.mkdir(parents=True)
        out_cases.append(Case(name, make(out), out))

    for label, path in sources:
        s = str(path)
        add(f"infer {label}", lambda o: ["infer", s, "--json", str(o / "p.json"), "--max-frames", "30"])
        add(f"export {label}", lambda o: ["export", s, "--out", str(o / "v.mp4"), "--frames", "0:20"])
        add(f"compare {label}", lambda o: ["compare", s, "--a", "lightning", "--b", "lightning-int8",
                                           "--max-frames", "20", "--json", str(o / "c.json")])
        add(f"layers {label}", lambda o: ["layers", s, "--a", "lightning", "--b", "lightning-int8", "--frames", "1",
                                          "--json", str(o / "l.json"), "--quiet"])
        add(f"quantize {label}", lambda o: ["quantize", "lightning", "--calibration", s, "--frames", "4",
                                            "--keep-float", "none", "--out", str(o / "q.tflite"), "-q"])
        add(f"batch {label}", lambda o: ["batch", s, "--out", str(o / "batch")])
    for label, path in models:
        m = str(path)
        add(f"models {label}", lambda o: ["models", m])
        add(f"infer --model {label}", lambda o: ["infer", photo, "--model", m, "--json", str(o / "p.json")])
        add(f"infer video --model {label}", lambda o: ["infer", video, "--model", m, "--max-frames", "20",
                                                       "--json", str(o / "p.json")])
        add(f"compare --b {label}", lambda o: ["compare", video, "--a", "lightning", "--b", m, "--max-frames", "10",
                                               "--json", str(o / "c.json")])
        add(f"layers --b {label}", lambda o: ["layers", photo, "--a", "lightning", "--b", m, "--frames", "1",
                                              "--json", str(o / "l.json"), "--quiet"])
        add(f"bench {label}", lambda o: ["bench", "--models", m, "--frames", "5", "--warmup", "1",
                                         "--json", str(o / "b.json"), "--quiet"])
        add(f"quantize {label}", lambda o: ["quantize", m, "--calibration", photo, "--frames", "2",
                                            "--out", str(o / "q.tflite"), "-q"])
    for label, path in annotations:
        a = str(path)
        add(f"eval {label}", lambda o: ["eval", "--annotations", a, "--images", str(DATA / "coco_mini"),
                                        "--json", str(o / "e.json")])
        add(f"eval --results {label}", lambda o: ["eval", "--annotations", a, "--results", a])
        add(f"quantize coco {label}", lambda o: ["quantize", "lightning", "--calibration", a, "--frames", "4",
                                                 "--out", str(o / "q.tflite"), "-q"])
    return out_cases


@dataclass
class Outcome:
    """What one case did."""

    case: Case
    code: int | None  # None: killed at the timeout
    seconds: float
    problems: list[str]


def run_case(case: Case, timeout: float, env: dict) -> Outcome:
    """Run one case and judge it (see the module docstring)."""
    sentinel = case.out / "existing.json"  # an output that must never change
    sentinel.write_text("{}")
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "movenet_studio.cli", *case.args], capture_output=True,
                              text=True, errors="replace", timeout=timeout, env=env, cwd=case.out,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Outcome(case, None, time.perf_counter() - start, [f"hang: killed after {timeout:.0f} s"])
    seconds = time.perf_counter() - start
    problems = []
    if proc.returncode < 0:
        problems.append(f"killed by signal {-proc.returncode}")
    if "Traceback" in proc.stderr:
        problems.append("traceback: " + proc.stderr.strip().splitlines()[-1][:160])
    errors = [line for line in proc.stderr.splitlines() if line.startswith("movenet-studio: error")]
    if len(errors) > 1:
        problems.append(f"{len(errors)} error lines")
    if proc.returncode not in (0,) and not errors and "usage:" not in proc.stderr:
        problems.append(f"exit {proc.returncode} without an error line")
    left = sorted(p.relative_to(case.out).as_posix() for p in case.out.rglob("*")
                  if p != sentinel and p.relative_to(case.out).as_posix() not in REPORTS_OF_FAILURE)
    if proc.returncode != 0 and left:
        problems.append(f"left behind: {', '.join(left[:4])}")
    if sentinel.read_text() != "{}":
        problems.append("an existing file was changed")
    return Outcome(case, proc.returncode, seconds, problems)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds before a case is a hang")
    parser.add_argument("--only", default="", help="run only cases whose name contains this text")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostile-sweep-") as tmp:
        work = Path(tmp)
        home = work / "home"
        home.mkdir()
        env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
        todo = [c for c in cases(work) if args.only in c.name]
        print(f"{len(todo)} cases", flush=True)
        if not todo:
            return 0
        started = time.perf_counter()
        with ThreadPoolExecutor(args.jobs) as pool:
            outcomes = list(pool.map(lambda c: run_case(c, args.timeout, env), todo))
        bad = [o for o in outcomes if o.problems]
        for o in bad:
            print(f"FAIL {o.case.name} (exit {o.code}, {o.seconds:.1f} s): {'; '.join(o.problems)}")
        codes: dict[str, int] = {}
        for o in outcomes:
            codes[str(o.code)] = codes.get(str(o.code), 0) + 1
        slowest = max(outcomes, key=lambda o: o.seconds)
        print(f"{len(outcomes)} cases, {len(bad)} with problems; exit codes {dict(sorted(codes.items()))}; "
              f"slowest {slowest.seconds:.1f} s ({slowest.case.name}); {time.perf_counter() - started:.0f} s in all")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
