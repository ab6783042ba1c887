"""Command line: ``movenet-studio COMMAND ...``; with no command it opens the window.

Commands: gui (default), infer, models, cameras, export, bench, eval, events, compare, layers, batch, quantize.

Each command lives in its own module with ``add_parser(subparsers)`` and ``run(args) -> int``.
Errors the user can act on (:class:`~movenet_studio.core.errors.StudioError`) print one line
to stderr and exit 1; usage errors exit 2 (argparse). Every path option passes the rules of
:mod:`.guard` before the command runs. SIGINT, SIGTERM and SIGHUP end a command the same
way: partial files are removed, an existing output is kept, exit code 128 + the signal.
Messages have their control characters escaped (:func:`~movenet_studio.core.text.printable`).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from .. import __version__

log = logging.getLogger("movenet_studio.cli")


def _version_only(argv: list[str]) -> bool:
    """True when `argv` asks for ``--version`` before naming a command (as argparse would answer it)."""
    for arg in argv:
        if arg == "--version":
            return True
        if not arg.startswith("-") or arg in ("-h", "--help"):
            return False
    return False


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command (importing the command modules here, not with the
    package, keeps ``--version`` from importing any of them or the core)."""
    from . import batch, bench, cameras, compare, eval, events, export, gui, infer, layers, models, quantize

    parser = argparse.ArgumentParser(
        prog="movenet-studio",
        description="A visual inspector for Google's MoveNet pose-estimation models. "
                    "With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"movenet-studio {__version__}")
    parser.add_argument("--verbose", "-v", action="store_true", help="log details to stderr too")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (gui, infer, models, cameras, export, bench, eval, events, compare, layers, batch, quantize):
        module.add_parser(subparsers)
    for sub in subparsers.choices.values():  # --verbose also after the command
        sub.add_argument("--verbose", "-v", action="store_true", default=argparse.SUPPRESS,
                         help="log details to stderr too")
    return parser


def _default_to_gui(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """Insert the ``gui`` command where none is named: ``movenet-studio [-v] [SOURCE] ...``."""
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for i, arg in enumerate(argv):
        if arg in ("-h", "--help", "--version"):
            return argv
        if not arg.startswith("-"):
            return argv if arg in commands else [*argv[:i], "gui", *argv[i:]]
    return [*argv, "gui"]


def _subparser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser | None:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return actions[0].choices.get(command) if actions and command else None


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the main thread is, so every ``finally`` and
    ``except KeyboardInterrupt`` cleans up as for Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum, _frame) -> None:
    raise Terminated(signum)


def _catch_signals() -> dict:
    """Handle SIGTERM and SIGHUP like SIGINT (main thread only); returns the handlers replaced."""
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            previous[signum] = signal.signal(signum, _raise_terminated)
        except (ValueError, OSError):  # not the main thread, or not allowed
            pass
    return previous


def _child_check(flag: str):
    """The sandbox's child check of a command-line flag: (what the file should be, its owner's
    check), or None for any other argument (imported only then: not on an ordinary start)."""
    from ..core.backends.model_check import check_model_child
    from ..core.classify.classifier import CLASSIFIER_PROBE_FLAG, check_classifier_child
    from ..core.models.resolve import PROBE_FLAG

    return {PROBE_FLAG: ("MoveNet model", check_model_child),
            CLASSIFIER_PROBE_FLAG: ("pose classifier", check_classifier_child)}.get(flag)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``movenet-studio`` script; returns the process exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if _version_only(argv):  # answered before the commands and the core are imported (a quick start)
        print(f"movenet-studio {__version__}")
        return 0
    from ..core.errors import StudioError
    from ..core.sandbox import run_check
    from ..core.text import EscapingStream, printable
    from ..logs import configure_logging
    from .guard import check_paths
    from .options import error_line

    child = _child_check(argv[0]) if len(argv) == 2 and argv[0].startswith("--") else None
    if child is not None:  # child side of core.sandbox
        what, check = child
        return run_check(argv[1], what, check)
    parser = build_parser()
    args = parser.parse_args(_default_to_gui(argv, parser))
    if args.verbose:  # FFmpeg's own error lines too (quiet otherwise, see core.sources.quiet_ffmpeg)
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "16")
    log_file = configure_logging(args.verbose)
    log.info("movenet-studio %s: %s", __version__, " ".join(map(printable, argv)) or "gui")
    previous = _catch_signals() if args.command != "gui" else {}  # the window handles its own
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapingStream(sys.stdout), EscapingStream(sys.stderr)
    try:
        check_paths(args, log_file, _subparser(parser, args.command))
        return int(args.run(args) or 0)
    except StudioError as exc:
        log.error("%s", exc)
        print(error_line(exc), file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`): not an error to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        log.error("%s%s", where, exc.strerror or exc)
        print(error_line(f"{where}{exc.strerror or exc}"), file=sys.stderr)
        return 1
    except RecursionError:  # deeply nested input that escaped validation: a bug, but not a crash
        log.exception("recursion limit")
        print(error_line("input nested too deeply to process"), file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        name = signal.Signals(signum).name
        log.warning("interrupted by %s", name)
        print(f"movenet-studio: interrupted ({name}); partial files removed", file=sys.stderr)
        return 128 + int(signum)
    except MemoryError:
        log.exception("out of memory")
        print(error_line("out of memory"), file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: one line for the user, the traceback in the log
        log.exception("unexpected error")
        where = f" (details in {log_file})" if log_file else ""
        print(error_line(f"{type(exc).__name__}: {exc}{where}", "internal error"), file=sys.stderr)
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.stdout, sys.stderr = streams
