"""The documentation site: the generated CLI reference shows every option of every command,
and ``mkdocs build --strict`` passes (every link, anchor, image and nav entry checked)."""

from __future__ import annotations

import argparse
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from movenet_studio.cli import build_parser  # noqa: E402
from tools.cli_reference import anchor, arguments, render, subcommands, walk  # noqa: E402


def _sections(markdown: str) -> dict[str, str]:
    """The reference's text per command heading id."""
    parts = re.split(r"^## .*\{#([\w-]+)\}$", markdown, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def _missing(parser: argparse.ArgumentParser, text_of) -> list[str]:
    """Every option string, positional argument and non-trivial default the reference does not show."""
    missing = []
    for path, sub in walk(parser):
        text = text_of(path)
        if text is None:
            missing.append(f"command {' '.join(path)}")
            continue
        for action in arguments(sub):
            names = action.option_strings or [str(action.metavar or action.dest)]
            missing += [f"{' '.join(path)} {n}" for n in names if n not in text]
            if action.option_strings and action.nargs != 0 and action.default not in (None, argparse.SUPPRESS) \
                    and not isinstance(action.default, (list, tuple)) and str(action.default) not in text:
                missing.append(f"{' '.join(path)} {action.option_strings[0]} default {action.default!r}")
    return missing


def test_the_generated_reference_shows_every_command_option_and_default():
    parser = build_parser()
    sections = _sections(render(parser))
    assert not _missing(parser, lambda path: sections.get(anchor(path)))
    assert {"infer", "export", "layers", "batch"} <= set(subcommands(parser))


def test_a_command_or_option_added_later_appears_without_editing_the_docs():
    parser = build_parser()
    chooser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    new = chooser.add_parser("frobnicate", description="Frobnicate the keypoints.")
    new.add_argument("--knob-level", type=float, default=0.25, help="how far (default: %(default)s)")
    nested = new.add_subparsers(dest="what").add_parser("deeper")
    nested.add_argument("--depth", choices=("a", "b"), default="b")
    subcommands(parser)["infer"].add_argument("--brand-new-option", metavar="X", help="new")
    sections = _sections(render(parser))
    assert not _missing(parser, lambda path: sections.get(anchor(path)))
    assert "how far (default: 0.25)" in sections["movenet-studio-frobnicate"]
    assert "--brand-new-option X" in sections["movenet-studio-infer"]
    assert "--depth" in sections["movenet-studio-frobnicate-deeper"]


def test_the_reference_would_fail_on_an_option_it_does_not_show():
    parser = build_parser()
    sections = _sections(render(parser))
    subcommands(parser)["bench"].add_argument("--not-in-the-docs")
    assert _missing(parser, lambda path: sections.get(anchor(path))) == ["bench --not-in-the-docs"]


def test_mkdocs_build_strict_passes_and_the_site_shows_every_option(tmp_path):
    pytest.importorskip("mkdocs")  # the test extra installs it; CI always has it
    site = tmp_path / "site"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                          "-d", str(site)], capture_output=True, text=True, env=env, timeout=600)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-4000:]
    assert "WARNING" not in log, log[-4000:]
    page = html.unescape(re.sub(r"<[^>]+>", "", (site / "reference" / "cli" / "index.html").read_text("utf-8")))
    parser = build_parser()
    assert not _missing(parser, lambda path: page)
    api = (site / "reference" / "api" / "core" / "index.html").read_text("utf-8")
    assert "movenet_studio.core.pipeline" in api and "FrameResult" in api


def test_the_readme_is_a_front_page_whose_links_and_commands_hold():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert len(readme.splitlines()) <= 200
    # The two quick-start commands, and CI runs the same test command after the same install.
    assert "pip install . && movenet-studio\n" in readme
    assert 'pip install -e ".[test]" && python -m pytest -q\n' in readme
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert 'pip install -q -e ".[test]"' in ci and "python -m pytest -q" in ci
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    assert links
    broken = [link for link in links if "://" not in link and not (ROOT / link).exists()]
    assert not broken


def _referenced_images() -> set[str]:
    pages = [*(ROOT / "docs").rglob("*.md"), ROOT / "README.md"]
    return {m for page in pages for m in re.findall(r"images/([\w.-]+\.png)\)", page.read_text("utf-8"))}


def test_every_dock_of_the_window_has_a_screenshot_in_the_docs(qtbot, tmp_path):
    from PySide6.QtWidgets import QDockWidget

    from movenet_studio.gui.source_info import Pace
    from movenet_studio.gui.settings import StudioSettings
    from movenet_studio.gui.window.main_window import MainWindow
    from tools.screenshots import kebab

    window = MainWindow(StudioSettings(tmp_path / "s.ini"), pace=Pace.MAX, restore_layout=False)
    qtbot.addWidget(window)
    try:
        docks = {f"dock-{kebab(d.objectName())}.png" for d in window.findChildren(QDockWidget)}
    finally:
        window.shutdown()
    assert len(docks) >= 8
    images = {p.name for p in (ROOT / "docs" / "images").glob("*.png")}
    assert docks <= images, f"run tools/screenshots.py: {sorted(docks - images)}"
    assert docks <= _referenced_images(), f"no page shows {sorted(docks - _referenced_images())}"


def test_every_picture_in_the_docs_is_shown_on_a_page():
    images = {p.name for p in (ROOT / "docs" / "images").glob("*.png")}
    assert images and images <= _referenced_images(), sorted(images - _referenced_images())
