"""MkDocs hooks (``hooks:`` in mkdocs.yml): the pages written from the code at build time.

- ``reference/cli.md``: the command line, from ``movenet_studio.cli``'s parsers
  (:mod:`tools.cli_reference`).
- ``reference/api/<package>.md``: one page per package of ``movenet_studio.core`` listing each
  of its modules for mkdocstrings (``::: module``), found by walking the package folders, so a
  module that is added or moved appears without editing the docs. The nav entry ``API`` is
  filled with these pages.
"""

from __future__ import annotations

import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "movenet_studio" / "core"
API_DIR = "reference/api"
CLI_PAGE = "reference/cli.md"


def _modules(folder: Path, prefix: str) -> list[str]:
    """The non-private modules directly in ``folder`` (not its sub-packages), sorted."""
    return sorted(f"{prefix}.{m.name}" for m in pkgutil.iter_modules([str(folder)])
                  if not m.ispkg and not m.name.startswith("_"))


def api_pages() -> dict[str, str]:
    """Markdown of each API page by its path in the docs, ``core.md`` first then each package."""
    pages = {}
    top = _modules(CORE, "movenet_studio.core")
    pages[f"{API_DIR}/core.md"] = _page("movenet_studio.core", "movenet_studio.core", top)
    for pkg in sorted(p for p in CORE.iterdir() if (p / "__init__.py").is_file()):
        name = f"movenet_studio.core.{pkg.name}"
        pages[f"{API_DIR}/{pkg.name}.md"] = _page(name, name, _modules(pkg, name))
    return pages


def _page(title: str, package: str, modules: list[str]) -> str:
    lines = [f"# `{title}`", "", f"::: {package}", "    options:", "      members: false", ""]
    for module in modules:
        lines += [f"::: {module}", ""]
    return "\n".join(lines)


def on_config(config):
    """Fill the nav's ``API`` entry with the generated pages."""
    pages = api_pages()
    entries = [{"Overview": f"{API_DIR}/index.md"}] + [
        {path.rsplit("/", 1)[1][:-3]: path} for path in pages]

    def fill(items):
        for item in items or []:
            if isinstance(item, dict):
                for key, value in item.items():
                    if key == "API":
                        item[key] = entries
                    elif isinstance(value, list):
                        fill(value)
    fill(config["nav"])
    return config


def on_files(files, config):
    """Add the generated pages to the site's files."""
    from mkdocs.structure.files import File

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from movenet_studio.cli import build_parser
    from tools.cli_reference import render

    generated = {CLI_PAGE: render(build_parser()), **api_pages()}
    for path, content in generated.items():
        files.append(File.generated(config, path, content=content))
    return files
