"""Each command imports only what it uses (issue 30, "start fast"): checked on the module list of
``python -X importtime`` in a fresh interpreter, a behaviour check, not a timing one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import data_file

ROOT = Path(__file__).resolve().parents[1]
#: Libraries only some commands need: dask (batch, eval on a cluster), numba (a crop-tracking
#: pipeline over many frames), pycocotools (eval), onnx / onnxruntime (ONNX files), Qt and
#: pyqtgraph (the window).
HEAVY = ("dask", "distributed", "numba", "pycocotools", "onnx", "onnxruntime", "PySide6", "pyqtgraph")


def imported(*args: str, cwd: Path = ROOT) -> tuple[set[str], str]:
    """Top-level package names a fresh ``python -X importtime ARGS`` imported, and its stdout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {line.split("|")[2].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:") and line.count("|") == 2}
    names.discard("imported package")
    return names, done.stdout


def tops(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


def test_version_imports_no_command_and_nothing_of_the_core():
    names, out = imported("-m", "movenet_studio.cli", "--version")
    assert out.startswith("movenet-studio ")
    assert "movenet_studio.cli" in names  # the check sees the package's own imports
    assert not {n for n in names if n.startswith(("movenet_studio.core", "movenet_studio.cli."))}
    assert not tops(names) & {"numpy", "cv2", *HEAVY}


def test_parser_of_every_command_imports_no_heavy_library():
    names, _ = imported("-c", "from movenet_studio.cli import build_parser; build_parser()")
    assert "movenet_studio.cli.batch" in names and "movenet_studio.cli.eval" in names
    assert not tops(names) & set(HEAVY)
    # run-time parts of other commands stay out of the parser
    assert not {n for n in names if n.startswith(("movenet_studio.core.distributed.batch", "movenet_studio.core.bench"))}


def test_infer_on_a_photo_loads_no_numba_and_a_video_does():
    """A still photo is one crop (numpy, bit-identical): numba is not imported; a video builds a
    crop-tracking pipeline that loads numba's kernel with the model."""
    names, out = imported("-m", "movenet_studio.cli", "infer", str(data_file("pose.jpg")))
    assert "1 frame" in out
    assert "ai_edge_litert" in tops(names)
    assert not tops(names) & set(HEAVY)
    names, _ = imported("-m", "movenet_studio.cli", "infer", str(data_file("pose_1.mp4")), "--max-frames", "2")
    assert "numba" in tops(names)
    assert not tops(names) & (set(HEAVY) - {"numba"})


def test_window_module_imports_qt_but_not_the_batch_eval_onnx_or_numba_libraries():
    names, _ = imported("-c", "import movenet_studio.gui.app")
    assert {"PySide6", "pyqtgraph"} <= tops(names)
    assert not tops(names) & {"dask", "distributed", "numba", "pycocotools", "onnx", "onnxruntime"}
