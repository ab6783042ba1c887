"""Text shown to the user: control characters escaped, so a file name cannot split a message
over lines or send escape sequences to the terminal."""

from __future__ import annotations

import os
import re

#: C0 and C1 controls, DEL, Unicode line/paragraph separators, bidirectional overrides and
#: isolates (they reorder what a terminal shows), and lone surrogates (undecodable bytes of a
#: file name, as Python's surrogateescape keeps them).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


#: A URL (``scheme://...`` up to white space or a quote).
_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]{1,15}://)([^\s'\"<>]*)")
#: The user-information part of a URL's authority (greedy up to its last ``@``: a password
#: written with a raw ``@`` is still hidden whole).
_USERINFO = re.compile(r"^([^/?#]*)@")
#: Query parameters that carry secrets (``?token=...``, ``&password=...``).
_SECRET_QUERY = re.compile(r"(?i)([?&;](?:pass(?:word|wd)?|pwd|token|access_token|auth|authorization|"
                           r"key|api_?key|secret|sig|signature|session|credentials?)=)[^&;#\s]*")


def _hide_userinfo(match: re.Match) -> str:
    scheme, rest = match.group(1), match.group(2)
    userinfo = _USERINFO.match(rest)
    if userinfo is not None and userinfo.group(1):  # udp://@:1234 (listen on a port) has none
        user, has_password, _ = userinfo.group(1).partition(":")
        hidden = f"{user}:***" if has_password and user else "***"
        rest = f"{hidden}@{rest[userinfo.end():]}"
    return scheme + _SECRET_QUERY.sub(r"\1***", rest)


def hide_credentials(text: str) -> str:
    """`text` with the credentials of every URL in it hidden: ``rtsp://user:secret@cam/x``
    becomes ``rtsp://user:***@cam/x`` (a user name alone, which may be a token: ``***@``),
    and secret-looking query values (``?token=``, ``&password=``, ``&key=`` ...) become ``***``.
    Text without ``://`` is returned unchanged."""
    if "://" not in text:
        return text
    return _URL.sub(_hide_userinfo, text)


def printable(value: object) -> str:
    """`value` as one line of safe text: ``str(value)`` (or ``os.fspath``) with every control
    character, line separator, bidi override and undecodable byte escaped (``\\n``, ``\\x1b``,
    ``\\xff``, ``\\u202e``) and the credentials of any URL hidden (:func:`hide_credentials`).
    Printable text, including non-ASCII letters, is unchanged."""
    text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    return _UNSAFE.sub(_escape, hide_credentials(text))


_UNSAFE_IN_STREAM = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class EscapingStream:
    """A text stream wrapper that escapes what :func:`printable` escapes except line ends
    (``\\n``, ``\\r``) and tabs, and hides URL credentials (:func:`hide_credentials`), so nothing
    written through it (a file name in a summary, a
    progress bar label) sends escape sequences to a terminal or fails on undecodable bytes.

    Args:
        stream: the stream to write to (``sys.stdout``, ``sys.stderr``); every other
            attribute (``isatty``, ``flush``, ``fileno``, ``encoding``) is the stream's.
    """

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(_UNSAFE_IN_STREAM.sub(_escape, hide_credentials(text)))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, for a one-line error (runtimes such as
    LiteRT, ONNX Runtime and ``onnx.checker`` put pages of detail after it); the exception's
    class name when the message is empty."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
