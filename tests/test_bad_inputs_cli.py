"""Hostile files through the CLI (the corpus of tests/badinputs.py).

``infer`` and ``models`` answer every bad file with one error line on stderr, exit 1, no
traceback, and no output file left behind; files that are damaged but still usable (a video
with a few broken frames, int8 weights with flipped bytes) either run to the end or fail
the same clean way. Model files that crash or hang the runtime are refused through the
child-process probe.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import badinputs
from conftest import PROJECT_ROOT, data_file
from movenet_studio.cli import main
from movenet_studio.core import probe
from movenet_studio.core.errors import ModelError
from movenet_studio.core.models import model_from_file

ERROR_PREFIX = "movenet-studio: error:"

SOURCE_NAMES = ([f"{kind}{ext}" for ext in badinputs.GARBAGE_EXTENSIONS if ext not in badinputs.MODEL_EXTENSIONS
                 for kind in ("zero", "random")]
                + [f"cut-{f:g}.mp4" for f in badinputs.CUT_FRACTIONS] + ["cut-mjpg.avi"]
                + [f"flip-{seed}-{n}.mp4" for seed, n in badinputs.FLIPS])
MODEL_NAMES = ([f"{kind}{ext}" for ext in badinputs.MODEL_EXTENSIONS for kind in ("zero", "random")]
               + ["adder.tflite", "identity.onnx"]
               + [f"corrupt-{part}.tflite" for part in badinputs.MODEL_PARTS]
               + [f"corrupt-{part}.onnx" for part in badinputs.MODEL_PARTS[:3]] + ["corrupt-weights-int8.tflite"])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, badinputs.BadFile]:
    """Every corpus file by name (built once per module)."""
    video = data_file("pose_1.mp4")
    folder = tmp_path_factory.mktemp("badinputs")
    files = badinputs.source_corpus(video, folder / "sources") + badinputs.model_corpus(folder / "models")
    by_name = {f.path.name: f for f in files}
    assert set(SOURCE_NAMES) | set(MODEL_NAMES) == set(by_name)
    return by_name


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith((".json", ".npz")) or ".part" in p.name]


def assert_one_line_error(code: int, stderr: str, mentions: str) -> None:
    """Exit 1, exactly one ``movenet-studio: error:`` line naming `mentions`, no traceback."""
    errors = [line for line in stderr.splitlines() if line.startswith(ERROR_PREFIX)]
    assert code == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert len(errors) == 1, stderr
    assert mentions in errors[0], errors[0]


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_infer_on_a_bad_source(corpus, name, tmp_path, capfd):
    bad = corpus[name]
    out = tmp_path / "out.json"
    code = main(["infer", str(bad.path), "--json", str(out), "--max-frames", "40"])
    captured = capfd.readouterr()
    if code == 0 and not bad.must_fail:  # damaged but playable: what decodes is processed, completely
        frames = json.loads(out.read_text())["frames"]
        assert 0 < len(frames) <= 40 and frames == sorted(frames, key=lambda f: f["index"])
        assert "Traceback" not in captured.err and ERROR_PREFIX not in captured.err
        out.unlink()
    else:
        assert_one_line_error(code, captured.err, name)
    assert not _leftovers(tmp_path)


def test_the_corpus_has_videos_that_open_and_then_fail(corpus):
    """The cut AVI and the heavily flipped MP4 open fine and fail in the middle: the case
    where a run has already produced results when the error comes."""
    from movenet_studio.core.errors import SourceError
    from movenet_studio.core.sources import open_source

    for name in ("cut-mjpg.avi", "flip-2-3000.mp4"):
        source = open_source(corpus[name].path)
        with pytest.raises(SourceError, match="decoding stopped at frame"):
            assert sum(1 for _ in source) > 5
        source.close()


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_infer_with_a_bad_model(corpus, name, tmp_path, capfd):
    bad = corpus[name]
    out = tmp_path / "out.json"
    code = main(["infer", str(data_file("pose.jpg")), "--model", str(bad.path), "--json", str(out)])
    captured = capfd.readouterr()
    if code == 0 and not bad.must_fail:  # a damaged model that still runs: it ran, in this process
        document = json.loads(out.read_text())
        assert len(document["frames"]) == 1 and document["model"]["file"] == name
        out.unlink()
    else:
        assert_one_line_error(code, captured.err, name)
    assert not _leftovers(tmp_path)


def test_models_describes_or_refuses_each_file(corpus, capfd):
    names = MODEL_NAMES
    code = main(["models", *(str(corpus[n].path) for n in names)])
    captured = capfd.readouterr()
    assert code == 1 and "Traceback" not in captured.err
    errors = [line for line in captured.err.splitlines() if line.startswith(ERROR_PREFIX)]
    refused = {n for n in names if any(f" {n}:" in line for line in errors)}
    assert len(errors) == len(refused)  # one line per refused file
    assert {n for n in names if corpus[n].must_fail} <= refused
    assert "corrupt-weights.tflite" in refused  # float16 weights gone NaN: refused by the probe
    listed = {n for n in names if n in captured.out}
    assert listed == set(names) - refused  # the int8 file with flipped weights still describes
    assert "corrupt-weights-int8.tflite" in listed


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "movenet_studio.cli", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", [
    ("infer", "{cut-0.5.mp4}", "--json", "{out}"),
    ("infer", "{cut-mjpg.avi}", "--json", "{out}"),  # fails after some frames were processed
    ("infer", "{random.png}", "--json", "{out}"),
    ("infer", "pose.jpg", "--model", "{corrupt-indices.tflite}", "--json", "{out}"),
    ("models", "{random.onnx}"),
])
def test_real_process_prints_exactly_one_line(corpus, command, tmp_path):
    """The real entry point: stderr is the error line and nothing else (FFmpeg kept quiet),
    apart from LiteRT's own "INFO: Created TensorFlow Lite XNNPACK delegate" line, which
    every run that loads a model prints and nothing here can switch off."""
    out = tmp_path / "out.json"
    args = [str(out) if a == "{out}" else str(corpus[a[1:-1]].path) if a.startswith("{")
            else str(data_file(a)) if a == "pose.jpg" else a for a in command]
    proc = _cli(*args)
    assert proc.returncode == 1, proc.stderr
    lines = [line for line in proc.stderr.strip().splitlines() if not line.startswith("INFO: Created TensorFlow Lite")]
    assert len(lines) == 1 and lines[0].startswith(ERROR_PREFIX), proc.stderr
    assert not _leftovers(tmp_path)


# ---------------------------------------------------------------- probe: crash and hang

def _child(code: str):
    return lambda path, *flag: [sys.executable, "-c", code]


def test_probe_child_killed_by_sigsegv_is_refused(corpus, monkeypatch, capfd):
    monkeypatch.setattr(probe, "probe_command",
                        _child("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"))
    with pytest.raises(ModelError, match=r"adder.tflite: not a usable MoveNet model .*crashed.*SIGSEGV"):
        model_from_file(corpus["adder.tflite"].path)
    # ...and through the CLI: one line, this process alive.
    code = main(["models", str(corpus["identity.onnx"].path)])
    assert_one_line_error(code, capfd.readouterr().err, "SIGSEGV")


def test_probe_child_that_hangs_is_killed_and_refused(corpus, monkeypatch):
    monkeypatch.setattr(probe, "probe_command", _child("import time; time.sleep(60)"))
    monkeypatch.setattr(probe, "PROBE_TIMEOUT_S", 0.5)
    with pytest.raises(ModelError, match=r"adder.tflite: not a usable MoveNet model \(loading it took over 0.5 s\)"):
        model_from_file(corpus["adder.tflite"].path)


def test_probe_child_printing_junk_then_failing_is_refused(corpus, monkeypatch):
    junk = ("import sys; sys.stdout.buffer.write(bytes(range(256))); "
            "sys.stderr.buffer.write(b'\\xff\\xfe boom'); sys.exit(3)")
    monkeypatch.setattr(probe, "probe_command", _child(junk))
    with pytest.raises(ModelError, match="adder.tflite: not a usable MoveNet model .*boom"):
        model_from_file(corpus["adder.tflite"].path)


def test_a_model_that_crashes_on_load_never_reaches_this_process(corpus, monkeypatch):
    """Refused by the probe, so the parent never parses it (a native crash there would end it)."""
    loads = []
    from movenet_studio.core import models

    monkeypatch.setattr(models, "sniff_signature", lambda path: loads.append(path))
    monkeypatch.setattr(probe, "probe_command", _child("import os, signal; os.kill(os.getpid(), signal.SIGABRT)"))
    with pytest.raises(ModelError, match="SIGABRT"):
        model_from_file(corpus["corrupt-indices.tflite"].path)
    assert loads == []


def test_weight_corrupted_model_that_passes_the_probe_runs_without_crashing(corpus, tmp_path, capfd):
    """int8 weights with 4096 flipped bytes still parse and give finite nonsense: the model
    loads in this process and a video runs through it (a crash would end the test run)."""
    out = tmp_path / "w.json"
    code = main(["infer", str(data_file("pose_1.mp4")), "--model", str(corpus["corrupt-weights-int8.tflite"].path),
                 "--max-frames", "30", "--json", str(out)])
    captured = capfd.readouterr()
    if code == 0:
        frames = json.loads(out.read_text())["frames"]
        assert [f["index"] for f in frames] == list(range(30))
    else:
        assert_one_line_error(code, captured.err, "corrupt-weights-int8.tflite")


def test_probe_refusal_names_the_signal(corpus, monkeypatch):
    """The refusal names the signal (here SIGKILL) so a user can tell a crash from a bad file."""
    monkeypatch.setattr(probe, "probe_command", _child(f"import os; os.kill(os.getpid(), {int(signal.SIGKILL)})"))
    with pytest.raises(ModelError, match="SIGKILL"):
        probe.probe_model(corpus["adder.tflite"].path)
