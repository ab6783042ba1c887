"""LiteRT (``ai-edge-litert``, preferred) or ``tflite-runtime`` (fallback): the one place that imports them.

Backends, model-file reading, the pose classifier's runner and layer capture create their
interpreters here, so the fallback and the error text are written once.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from ..errors import BackendError

#: The message when neither LiteRT nor tflite-runtime imports.
MISSING = "no TFLite runtime: pip install ai-edge-litert (or tflite-runtime)"


def interpreter_class():
    """The TFLite ``Interpreter`` class: ``ai_edge_litert`` first, then ``tflite_runtime``.

    Raises:
        BackendError: neither package imports.
    """
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError:
            raise BackendError(MISSING) from None
    return Interpreter


def op_resolver_type():
    """The ``OpResolverType`` enum of the runtime in use (its builtin ops with or without XNNPACK).

    Raises:
        BackendError: neither package imports.
    """
    try:
        from ai_edge_litert.interpreter import OpResolverType
    except ImportError:
        try:
            from tflite_runtime.interpreter import OpResolverType
        except ImportError:
            raise BackendError(MISSING) from None
    return OpResolverType


def flatbuffer_schema():
    """LiteRT's generated TFLite flatbuffer schema module (``schema_py_generated``), or None when
    only tflite-runtime (which does not ship it) is installed."""
    try:
        from ai_edge_litert import schema_py_generated
    except ImportError:
        return None
    return schema_py_generated


def flatbuffer_objects():
    """LiteRT's flatbuffer object API helpers (``ai_edge_litert.tools.flatbuffer_utils``: read a
    ``.tflite`` into mutable objects, write them back), used by ``quantize``'s normalisation;
    None when only tflite-runtime is installed."""
    try:
        from ai_edge_litert.tools import flatbuffer_utils
    except ImportError:
        return None
    return flatbuffer_utils


def version() -> str:
    """Name and version of the TFLite runtime in use, e.g. ``ai-edge-litert 2.3.0``; ``none``
    when neither is installed (``?`` for an unknown version)."""
    try:
        import ai_edge_litert

        return f"ai-edge-litert {getattr(ai_edge_litert, '__version__', '?')}"
    except ImportError:
        try:
            import tflite_runtime

            return f"tflite-runtime {getattr(tflite_runtime, '__version__', '?')}"
        except ImportError:
            return "none"


def create_interpreter(path: Path | str, *, threads: int | None = None, preserve_all_tensors: bool = False,
                       default_delegates: bool = True):
    """A TFLite ``Interpreter`` for the file `path` (tensors not yet allocated).

    Args:
        path: the ``.tflite`` file.
        threads: CPU threads (None: the runtime's default).
        preserve_all_tensors: keep every intermediate tensor readable after ``invoke`` (heads,
            layer capture).
        default_delegates: False runs the builtin ops without XNNPACK (layer capture reads the
            tensors XNNPACK would fuse away).

    Raises:
        BackendError: no runtime is installed.
        Exception: whatever the runtime raises for a file it cannot load.
    """
    cls = interpreter_class()
    kwargs: dict = {"model_path": str(path)}
    if threads is not None:
        kwargs["num_threads"] = threads
    kwargs["experimental_preserve_all_tensors"] = preserve_all_tensors
    if not default_delegates:
        kwargs["experimental_op_resolver_type"] = op_resolver_type().BUILTIN_WITHOUT_DEFAULT_DELEGATES
    with warnings.catch_warnings():  # LiteRT warns that preserve-all is for debugging: that is our use
        warnings.simplefilter("ignore")
        return cls(**kwargs)
