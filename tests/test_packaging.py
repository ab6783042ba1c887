"""Packaging: the wheel's contents, and (opt-in) the wheel in a fresh venv and the standalone app.

- ``test_wheel_contents`` builds the wheel with pip (about 15 s; needs the build backend,
  hatchling, from the package index or already installed) and checks its file list. Marked
  ``slow``; it runs in the normal test command.
- The rest build and run real installs (a fresh venv with every dependency; the PyInstaller
  app, 1-3 minutes with a warm build venv) and only run with
  ``MOVENET_STUDIO_PACKAGING_TESTS=1``::

      MOVENET_STUDIO_PACKAGING_TESTS=1 QT_QPA_PLATFORM=offscreen python -m pytest -m slow tests/test_packaging.py -v

Each installed program is run from a temporary folder with a private HOME, offscreen: its
``--version``, ``models``, ``infer`` on ../shared/data/pose.jpg and ``gui ... --exit-after-frames
5 --screenshot``; the standalone one is first copied out of dist/ and also probes a model file
copied out of the models folder (the frozen ``--probe-model`` child process).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
APP_NAME = "movenet-studio"
OPT_IN = os.environ.get("MOVENET_STUDIO_PACKAGING_TESTS") == "1"
opt_in = pytest.mark.skipif(not OPT_IN, reason="set MOVENET_STUDIO_PACKAGING_TESTS=1 to build and run real installs")

pytestmark = pytest.mark.slow


def _media(name: str) -> Path:
    from media import media_path

    return media_path(name)


def _project_version() -> str:
    """__version__ of the checkout, read from its source (the test may run without the package importable)."""
    match = re.search(r'^__version__ = "([^"]+)"', (PROJECT_ROOT / "movenet_studio" / "__init__.py").read_text(), re.M)
    assert match
    return match.group(1)


def _clean_env(home: Path) -> dict[str, str]:
    """A minimal environment: no PYTHONPATH or venv leaking the checkout, a private HOME, offscreen Qt."""
    env = {key: value for key, value in os.environ.items()
           if key in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TEMP", "TMP", "TMPDIR", "PIP_INDEX_URL",
                      "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE", "PIP_CACHE_DIR")}
    home.mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), USERPROFILE=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_CACHE_HOME=str(home / ".cache"), QT_QPA_PLATFORM="offscreen")
    if "PIP_CACHE_DIR" not in os.environ:  # keep using the real pip cache (faster venv installs)
        env["PIP_CACHE_DIR"] = str(Path.home() / ".cache" / "pip")
    return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, (f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
                                  f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    return proc


def _build_wheel(out_dir: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "--wheel-dir", str(out_dir), str(PROJECT_ROOT)]
    try:
        import hatchling  # noqa: F401  (already here: no need to fetch the backend)

        cmd.insert(4, "--no-build-isolation")
    except ImportError:
        pass
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"pip wheel failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    wheels = sorted(out_dir.glob("movenet_studio-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return _build_wheel(tmp_path_factory.mktemp("wheel"))


def test_wheel_contents(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = "movenet_studio/_bundled"

    # Every file of models/ and resources/ (models, PROVENANCE.md, LICENSE, icons, .desktop).
    for folder in ("models", "resources"):
        files = [p for p in (PROJECT_ROOT / folder).rglob("*") if p.is_file()]
        assert files, folder
        for path in files:
            assert f"{bundled}/{folder}/{path.relative_to(PROJECT_ROOT / folder).as_posix()}" in names
    for required in ("models/PROVENANCE.md", "models/LICENSE-Apache-2.0.txt", "resources/icon.png",
                     "resources/icon.ico", "resources/movenet-studio.desktop", "resources/samples/pose_1.mp4",
                     "resources/samples/README.md"):
        assert f"{bundled}/{required}" in names
    suffixes = {Path(n).suffix for n in names if n.startswith(f"{bundled}/models/")}
    assert {".tflite", ".onnx"} <= suffixes

    # Every module of the package, and nothing from outside it but the metadata.
    for path in (PROJECT_ROOT / "movenet_studio").rglob("*.py"):
        if "__pycache__" not in path.parts:
            assert path.relative_to(PROJECT_ROOT).as_posix() in names
    stray = [n for n in names if not n.startswith(("movenet_studio/", "movenet_studio-"))]
    assert not stray, stray
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]

    # A console script (a GUI script would lose the CLI's output on Windows).
    dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    entry_points = zipfile.ZipFile(wheel).read(f"{dist_info}/entry_points.txt").decode()
    assert "[console_scripts]" in entry_points
    assert "movenet-studio = movenet_studio.cli:main" in entry_points


def _smoke(program: list[str], work: Path, env: dict[str, str], expect_models_under: Path) -> None:
    """--version, models, infer on pose.jpg, gui screenshot: the checks the issue asks for."""
    pose_jpg, pose_mp4 = _media("pose.jpg"), _media("pose_1.mp4")
    out = _run([*program, "--version"], work, env).stdout
    assert out.strip() == f"movenet-studio {_project_version()}"

    listing = _run([*program, "models"], work, env).stdout
    assert "lightning-float16" in listing and "multipose" in listing
    for line in listing.strip().splitlines():
        path = Path(line.split()[-1])
        assert path.is_file() and expect_models_under in path.resolve().parents, line

    result_json = work / "pose.json"
    _run([*program, "infer", pose_jpg, "--json", result_json], work, env)
    result = json.loads(result_json.read_text())
    assert len(result["frames"]) == 1 and result["frames"][0]["poses"], result
    assert len(result["frames"][0]["poses"][0]["keypoints"]) == 17

    shot = work / "shot.png"
    _run([*program, "gui", pose_mp4, "--exit-after-frames", "5", "--screenshot", shot], work, env, timeout=240)
    assert shot.is_file() and shot.stat().st_size > 10_000
    import cv2

    picture = cv2.imread(str(shot))
    assert picture is not None and picture.shape[0] > 300 and picture.shape[1] > 400


@opt_in
def test_wheel_installs_and_runs_in_fresh_venv(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    env = _clean_env(tmp_path / "home")
    _run([bin_dir / "python", "-m", "pip", "install", "-q", wheel], tmp_path, env, timeout=1200)
    site = Path(_run([bin_dir / "python", "-c", "import movenet_studio, pathlib; "
                      "print(pathlib.Path(movenet_studio.__file__).parent)"], tmp_path, env).stdout.strip())
    assert venv.resolve() in site.resolve().parents, f"imported {site}, not the venv's copy"
    work = tmp_path / "work"
    work.mkdir()
    _smoke([bin_dir / APP_NAME], work, env, expect_models_under=site.resolve() / "_bundled" / "models")


@opt_in
@pytest.mark.skipif(shutil.which("bash") is None, reason="packaging/build.sh needs bash")
def test_standalone_app_builds_and_runs_from_a_copy(tmp_path):
    dist = tmp_path / "dist"
    env = dict(os.environ, DIST_DIR=str(dist))
    proc = subprocess.run(["bash", str(PROJECT_ROOT / "packaging" / "build.sh")], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=3600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"build.sh failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    print(proc.stdout.strip().splitlines()[-1])  # "built ... in N s: SIZE MB"

    # Move it away from the checkout and the build folder, as a user would.
    app_dir = tmp_path / "elsewhere" / APP_NAME
    shutil.copytree(dist / APP_NAME, app_dir, symlinks=True)
    shutil.rmtree(dist)
    exe = app_dir / (APP_NAME + (".exe" if sys.platform == "win32" else ""))
    assert exe.is_file() and (app_dir / "_internal" / "movenet_studio" / "_bundled" / "resources" / "icon.png").is_file()
    work = tmp_path / "work"
    work.mkdir()
    env = _clean_env(tmp_path / "home")
    _smoke([exe], work, env, expect_models_under=app_dir.resolve() / "_internal")

    # The frozen app probes a model file that is not bundled in a child process of itself.
    copied = work / "copied_model.tflite"
    shutil.copy(PROJECT_ROOT / "models" / "movenet_singlepose_lightning_int8.tflite", copied)
    described = _run([exe, "models", copied], work, env).stdout
    assert "int8" in described and "copied_model.tflite" in described
    probe = _run([exe, "--probe-model", copied], work, env).stdout
    assert json.loads(probe.strip().splitlines()[-1])["ok"] is True
    broken = work / "broken.onnx"
    broken.write_bytes((PROJECT_ROOT / "models" / "movenet_singlepose_lightning_float16.onnx").read_bytes()[:50_000])
    refused = subprocess.run([str(exe), "infer", str(_media("pose.jpg")), "--model", str(broken)], cwd=work, env=env,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "broken.onnx" in refused.stderr, refused.stderr
