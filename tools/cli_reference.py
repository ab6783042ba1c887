"""The command-line reference as Markdown, written from ``movenet_studio.cli``'s argparse parsers.

:func:`render` walks the parser tree that ``movenet-studio`` itself parses with
(:func:`movenet_studio.cli.build_parser`): every command and sub-command, in the order the
parser lists them, with its usage line, description and every argument (option strings,
metavar, choices, default and help, ``%(default)s`` expanded as ``--help`` expands it).
Nothing is copied by hand, so a new command or option appears here as soon as it is added.
The docs build calls it from :mod:`tools.mkdocs_hooks`; ``tests/test_docs_cli_reference.py``
checks every option of every parser appears.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

WIDTH = 88  # usage lines are wrapped as in an 88-column terminal, whatever the build's terminal


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The sub-parsers of ``parser`` by command name (empty when it has none), aliases left out."""
    out: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) not in seen:
                    seen.add(id(sub))
                    out[name] = sub
    return out


def summaries(parser: argparse.ArgumentParser) -> dict[str, str]:
    """The one-line ``help`` each sub-command was added with (what ``--help`` lists), by name."""
    out: dict[str, str] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.help and choice.help != argparse.SUPPRESS:
                    out[choice.dest] = choice.help
    return out


def walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser of the tree with its command path (``()`` for the top-level parser), depth first."""
    yield path, parser
    for name, sub in subcommands(parser).items():
        yield from walk(sub, (*path, name))


def arguments(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The arguments a user types for this parser: everything but help and sub-command choosers."""
    return [a for a in parser._actions
            if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))]


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = parser.formatter_class(prog=parser.prog, width=WIDTH)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip()


def _help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    if not action.help or action.help == argparse.SUPPRESS:
        return ""
    formatter = parser.formatter_class(prog=parser.prog, width=WIDTH)
    return " ".join(formatter._expand_help(action).split())


def _default(action: argparse.Action) -> str:
    if action.option_strings and action.nargs == 0:  # a switch: store_true/false, count, version
        return ""
    default = action.default
    if default is None or default == argparse.SUPPRESS:
        return ""
    if isinstance(default, (list, tuple)):
        default = ",".join(map(str, default))
    return f"`{default}`"


def _name(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`"
    value = ""
    if action.nargs != 0:
        metavar = action.metavar or (
            "{" + ",".join(map(str, action.choices)) + "}" if action.choices else action.dest.upper())
        value = " " + (" ".join(metavar) if isinstance(metavar, tuple) else str(metavar))
    return ", ".join(f"`{s}{value}`" for s in action.option_strings)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def anchor(path: tuple[str, ...]) -> str:
    """The heading id of a command's section (``movenet-studio-infer``)."""
    return "-".join(("movenet-studio", *path)) if path else "movenet-studio"


def render(parser: argparse.ArgumentParser) -> str:
    """The whole reference page as Markdown."""
    lines = [
        "# Command line",
        "",
        "Generated from the command line's own parsers when this site was built: every",
        "command and option with its default and help, exactly as `movenet-studio COMMAND --help`",
        "prints them. With no command, `movenet-studio [SOURCE]` opens the window (`gui`).",
        "",
    ]
    tree = list(walk(parser))
    lines += ["| command | what it does |", "|---|---|"]
    helps = {path: summaries(sub) for path, sub in tree}
    for path, sub in tree[1:]:
        summary = helps[path[:-1]].get(path[-1]) or (sub.description or "").split(". ")[0].strip().rstrip(".")
        lines.append(f"| [`{' '.join(path)}`](#{anchor(path)}) | {_cell(summary)} |")
    lines.append("")
    for path, sub in tree:
        title = " ".join(("movenet-studio", *path))
        lines += [f"## `{title}` {{#{anchor(path)}}}", "", "```text", _usage(sub), "```", ""]
        if sub.description:
            lines += [" ".join(sub.description.split()), ""]
        rows = arguments(sub)
        if rows:
            lines += ["| argument | default | help |", "|---|---|---|"]
            for action in rows:
                help_text = _help(sub, action)
                if action.choices and not isinstance(action.choices, range) and action.option_strings \
                        and action.metavar:
                    help_text += f" (one of: {', '.join(f'`{c}`' for c in action.choices)})"
                lines.append(f"| {_cell(_name(action))} | {_cell(_default(action))} | {_cell(help_text)} |")
            lines.append("")
        if sub.epilog:
            lines += [" ".join(sub.epilog.split()), ""]
    return "\n".join(lines)


def main() -> None:
    """Print the reference (``python -m tools.cli_reference``)."""
    from movenet_studio.cli import build_parser
    print(render(build_parser()))


if __name__ == "__main__":
    main()
