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
from movenet_studio.core import sandbox
from movenet_studio.core.errors import ModelError
from movenet_studio.core.models.resolve import model_from_file, probe_model

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
    from movenet_studio.core.media.opener import open_source

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
    monkeypatch.setattr(sandbox, "probe_command",
                        _child("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"))
    with pytest.raises(ModelError, match=r"adder.tflite: not a usable MoveNet model .*crashed.*SIGSEGV"):
        model_from_file(corpus["adder.tflite"].path)
    # ...and through the CLI: one line, this process alive.
    code = main(["models", str(corpus["identity.onnx"].path)])
    assert_one_line_error(code, capfd.readouterr().err, "SIGSEGV")


def test_probe_child_that_hangs_is_killed_and_refused(corpus, monkeypatch):
    monkeypatch.setattr(sandbox, "probe_command", _child("import time; time.sleep(60)"))
    monkeypatch.setattr(sandbox, "PROBE_TIMEOUT_S", 0.5)
    with pytest.raises(ModelError, match=r"adder.tflite: not a usable MoveNet model \(loading it took over 0.5 s\)"):
        model_from_file(corpus["adder.tflite"].path)


def test_probe_child_printing_junk_then_failing_is_refused(corpus, monkeypatch):
    junk = ("import sys; sys.stdout.buffer.write(bytes(range(256))); "
            "sys.stderr.buffer.write(b'\\xff\\xfe boom'); sys.exit(3)")
    monkeypatch.setattr(sandbox, "probe_command", _child(junk))
    with pytest.raises(ModelError, match="adder.tflite: not a usable MoveNet model .*boom"):
        model_from_file(corpus["adder.tflite"].path)


def test_a_model_that_crashes_on_load_never_reaches_this_process(corpus, monkeypatch):
    """Refused by the probe, so the parent never parses it (a native crash there would end it)."""
    loads = []
    from movenet_studio.core.models import resolve as model_resolve

    monkeypatch.setattr(model_resolve, "sniff_signature", lambda path: loads.append(path))
    monkeypatch.setattr(sandbox, "probe_command", _child("import os, signal; os.kill(os.getpid(), signal.SIGABRT)"))
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
    monkeypatch.setattr(sandbox, "probe_command", _child(f"import os; os.kill(os.getpid(), {int(signal.SIGKILL)})"))
    with pytest.raises(ModelError, match="SIGKILL"):
        probe_model(corpus["adder.tflite"].path)


# ---------------------------------------------------------------- hostile paths, numbers, signals (issue 14)

def _snapshot(paths) -> dict:
    """What must not change: type, device numbers, inode, size, mtime and bytes of regular files."""
    import hashlib
    import os

    out = {}
    for path in paths:
        st = os.lstat(path)
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if Path(path).is_file() \
            and not Path(path).is_symlink() else None
        out[str(path)] = (st.st_mode, st.st_rdev, st.st_ino, st.st_size, st.st_mtime_ns, digest)
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    """A folder with a copy of pose_1.mp4 (and a hard link and a symlink to it), pose.jpg, a FIFO,
    device-node copies (root only), a PNG bomb, a model with 1e30 outputs, bad annotations."""
    import os

    folder = tmp_path_factory.mktemp("hostile")
    clip = folder / "clip.mp4"
    clip.write_bytes(data_file("pose_1.mp4").read_bytes())
    os.link(clip, folder / "hard.mp4")
    os.symlink(clip, folder / "soft.mp4")
    (folder / "pose.jpg").write_bytes(data_file("pose.jpg").read_bytes())
    (folder / "old.json").write_text("[]")
    files = {"clip": clip, "hard": folder / "hard.mp4", "soft": folder / "soft.mp4", "image": folder / "pose.jpg",
             "old": folder / "old.json", "fifo": badinputs.fifo(folder / "pipe.mp4"),
             "fifo_json": badinputs.fifo(folder / "pipe.json"), "bomb": badinputs.png_bomb(folder / "bomb.png"),
             "huge_model": badinputs.huge_output_onnx(folder / "huge.onnx"), "folder": folder}
    files.update(badinputs.device_copies(folder / "dev"))
    return files


def _argv(template: tuple, files: dict, out: Path) -> list[str]:
    return [str(out) if a == "{out}" else str(files[a[1:-1]]) if a.startswith("{") else a for a in template]


HOSTILE_COMMANDS = [  # (id, argv, text the one error line must contain)
    ("fifo-source", ("infer", "{fifo}"), "named pipe"),
    ("fifo-annotations", ("eval", "--annotations", "{fifo_json}", "--images", "{folder}"), "named pipe"),
    ("fifo-coco-annotations", ("export", "{image}", "--keypoints", "{out}", "--coco-annotations", "{fifo_json}"),
     "named pipe"),
    ("fifo-model", ("infer", "{image}", "--model", "{fifo}"), "named pipe"),
    ("camera-negative", ("infer", "camera:-1"), "camera index must be"),
    ("camera-huge", ("infer", "camera:99999999999999999999"), "camera index must be"),
    ("camera-absent", ("infer", "camera:97"), "camera 97"),
    ("json-is-input", ("infer", "{clip}", "--json", "{clip}"), "is an input of this run"),
    ("out-is-input", ("export", "{clip}", "--out", "{clip}", "--force"), "is an input of this run"),
    ("out-hard-link", ("export", "{clip}", "--out", "{hard}", "--force"), "the same file as"),
    ("out-symlink", ("export", "{clip}", "--out", "{soft}", "--force"), "is an input of this run"),
    ("keypoints-is-source-image", ("export", "{folder}", "--keypoints", "{image}", "--force"), "is an input"),
    ("two-outputs-one-file", ("infer", "{image}", "--json", "{out}", "--heads-npz", "{out}"), "name the same file"),
    ("png-bomb", ("infer", "{bomb}", "--json", "{out}"), "megapixel limit"),
    ("model-fault", ("infer", "{image}", "--model", "{huge_model}", "--json", "{out}"), "model fault"),
]
DEVICE_COMMANDS = [(f"{option}-{node}", cmd + (option, f"{{{node}}}"), "character device")
                   for option, cmd in (("--json", ("infer", "{image}")), ("--stats-json", ("gui", "{image}")),
                                       ("--out", ("export", "{image}")), ("--keypoints", ("export", "{image}")),
                                       ("--heads-npz", ("infer", "{image}")))
                   for node in ("null", "full")]


@pytest.mark.parametrize("case", HOSTILE_COMMANDS + DEVICE_COMMANDS, ids=lambda c: c[0])
def test_hostile_paths_get_one_line_and_change_nothing(hostile, case, tmp_path, capfd):
    """One error line, exit 1, no traceback, nothing partial, every input, device node and
    existing output unchanged. Refusals come before any model loads, so in-process is safe
    (a FIFO is never opened: stat, then O_NONBLOCK)."""
    name, template, mentions = case
    if any(f"{{{node}}}" in template for node in ("null", "full")) and "null" not in hostile:
        pytest.skip("device nodes need root (mknod)")
    out = tmp_path / "out.json"
    protected = [p for k, p in hostile.items() if k != "folder"] + list(Path(hostile["folder"]).iterdir())
    before = _snapshot(protected)
    code = main(_argv(template, hostile, out))
    assert_one_line_error(code, capfd.readouterr().err, mentions)
    assert _snapshot(protected) == before
    assert not _leftovers(tmp_path) and not [p for p in Path(hostile["folder"]).iterdir() if ".part" in p.name]


def test_huge_numbers_are_refused_before_native_code(capfd):
    for option in (["--threads", "99999999999999999999"], ["--threads", "0"], ["--max-frames", "-3"],
                   ["--threads", "1e3"], ["--min-pose-score", "nan"]):
        with pytest.raises(SystemExit) as exit_:
            main(["infer", str(data_file("pose.jpg")), *option])
        err = capfd.readouterr().err
        assert exit_.value.code == 2 and "Traceback" not in err and "error: argument" in err, (option, err)


@pytest.fixture(scope="module")
def annotation_files(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    return badinputs.bad_annotation_files(tmp_path_factory.mktemp("annotations"))


@pytest.mark.parametrize("name", list(badinputs.BAD_ANNOTATIONS) + ["deep", "huge-int"])
def test_malformed_annotations_name_the_json_path(name, annotation_files, capfd):
    path, expected = annotation_files[name]
    code = main(["eval", "--annotations", str(path), "--images", str(data_file("pose.jpg").parent), "-q"])
    assert_one_line_error(code, capfd.readouterr().err, expected)


def test_a_bomb_in_a_folder_is_skipped_with_a_warning(hostile, tmp_path, capfd):
    folder = tmp_path / "photos"
    folder.mkdir()
    badinputs.png_bomb(folder / "a_bomb.png")
    (folder / "b_pose.jpg").write_bytes(data_file("pose.jpg").read_bytes())
    out = tmp_path / "out.json"
    assert main(["infer", str(folder), "--json", str(out)]) == 0
    err = capfd.readouterr().err
    assert "skipped 1 frame" in err and "Traceback" not in err
    assert [f["index"] for f in json.loads(out.read_text())["frames"]] == [1]


def test_names_with_control_characters_and_undecodable_bytes(tmp_path, capfd, monkeypatch):
    import os

    monkeypatch.setenv("MOVENET_STUDIO_LOG_DIR", str(tmp_path / "log"))
    evil = os.fsdecode(b"evil\nline\x1b[31m\xff.mp4")
    code = main(["infer", str(tmp_path / evil)])
    err = capfd.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "\x1b" not in err and "evil\\nline\\x1b[31m\\xff" in err, err
    odd = tmp_path / os.fsdecode(b"photo-\xff\xfe.jpg")  # valid image, undecodable name: logged, no traceback
    odd.write_bytes(data_file("pose.jpg").read_bytes())
    assert main(["infer", str(odd), "--json", str(tmp_path / "o.json")]) == 0
    assert "Traceback" not in capfd.readouterr().err
    assert json.loads((tmp_path / "o.json").read_text())["source"] == str(odd)


def test_long_output_name_gets_a_short_temporary_name(tmp_path, capfd):
    out = tmp_path / ("k" * 240 + ".json")
    assert main(["export", str(data_file("pose.jpg")), "--keypoints", str(out), "-q"]) == 0
    assert len(json.loads(out.read_text())) == 1
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_onnx_external_data_comes_from_the_model_folder_only(tmp_path, monkeypatch, capfd):
    model = badinputs.external_data_onnx(tmp_path / "model", value=0.5)
    (tmp_path / "cwd").mkdir()
    badinputs.decoy_weights(tmp_path / "cwd", value=0.9)  # ORT resolved bytes models against the cwd
    monkeypatch.chdir(tmp_path / "cwd")
    out = tmp_path / "o.json"
    assert main(["infer", str(data_file("pose.jpg")), "--model", str(model), "--json", str(out), "--no-crop"]) == 0
    scores = {k["score"] for k in json.loads(out.read_text())["frames"][0]["poses"][0]["keypoints"]}
    assert scores == {0.5}
    escape = badinputs.external_data_onnx(tmp_path / "model", location="../cwd/w.bin", name="escape.onnx")
    capfd.readouterr()
    code = main(["infer", str(data_file("pose.jpg")), "--model", str(escape)])
    assert_one_line_error(code, capfd.readouterr().err, "escape.onnx")


def test_log_file_that_is_a_fifo_or_a_full_disk_is_one_note(tmp_path, monkeypatch):
    """Real processes: a FIFO where the log file goes would block open(); a full disk would
    print a logging traceback per record."""
    logs = tmp_path / "logs"
    logs.mkdir()
    badinputs.fifo(logs / "movenet-studio.log")
    env = {**__import__("os").environ, "MOVENET_STUDIO_LOG_DIR": str(logs)}
    proc = subprocess.run([sys.executable, "-m", "movenet_studio.cli", "models"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert proc.stderr.count("movenet-studio: note:") == 1 and "named pipe" in proc.stderr
    code = ("import errno, sys; from movenet_studio import logs\n"  # every write fails as on a full disk
            "def emit(self, record):\n"
            "    try:\n"
            "        raise OSError(errno.ENOSPC, 'No space left on device')\n"
            "    except OSError:\n"
            "        self.handleError(record)\n"
            "logs.SafeRotatingFileHandler.emit = emit\n"
            "from movenet_studio.cli import main\nsys.exit(main(['models']))")
    (logs / "movenet-studio.log").unlink()
    proc = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr and proc.stderr.count("note:") == 1, proc.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_during_export_removes_the_partial_file_and_keeps_the_old_one(tmp_path, signum):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"the old export")
    proc = subprocess.Popen([sys.executable, "-m", "movenet_studio.cli", "export", str(data_file("pose_1.mp4")),
                             "--out", str(out), "--force", "--overlays", "all"],
                            cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True)
    try:  # the bar's first line means frames are being written to the temporary file
        for line in proc.stderr:
            if "[" in line and "/120" in line:
                break
        proc.send_signal(signum)
        err = proc.communicate(timeout=60)[1]
    finally:
        proc.kill()
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err and "interrupted" in err
    assert out.read_bytes() == b"the old export"
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


def test_an_unreadable_video_is_permission_denied_not_not_a_video(hostile, monkeypatch, capfd):
    """Root reads every file, so the refusal of open(2) is simulated where core.files opens."""
    import errno

    from movenet_studio.core import files

    real_open = files.os.open

    def refuse(path, flags, *args):
        if str(path) == str(hostile["clip"]):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(files.os, "open", refuse)
    code = main(["infer", str(hostile["clip"])])
    assert_one_line_error(code, capfd.readouterr().err, "permission denied")
