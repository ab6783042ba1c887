"""Work-around for a reference-counting bug of the Qt binding, applied at start-up (never at import).

PySide6-Essentials 6.12.0 on CPython < 3.12 returns ``None`` from every void method
(``QLabel.setText``, ``QSlider.setValue``, ...) and ``True`` from ``Signal.emit`` without
taking a reference, as if they were immortal (they are only from Python 3.12 on). Each call
steals one reference; pyqtgraph makes dozens of such calls per frame, so after a few
thousand the interpreter aborts with "Fatal Python error: none_dealloc" (or bool_dealloc).
PySide6 6.11.x does not have the bug.

When a probe shows the leak, :func:`install_qt_workarounds` makes ``None``, ``True`` and
``False`` effectively immortal, as Python 3.12 does, by adding 2**40 references to each:
the stolen references then never bring them near zero (2**40 calls is months of running).
"""

from __future__ import annotations

import ctypes
import platform
import sys
import threading

_lock = threading.Lock()
_state: dict[str, bool] = {}

_PROBE_CALLS = 64
#: References added to None/True/False when the binding steals them.
IMMORTAL_MARGIN = 2 ** 40


def binding_steals_references() -> bool:
    """True when the Qt binding returns None (void methods) or True (``Signal.emit``) without
    a reference of its own. Always False on Python >= 3.12 and on non-CPython interpreters."""
    if sys.version_info >= (3, 12) or platform.python_implementation() != "CPython":
        return False
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        probe = Signal()

    sender = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(_PROBE_CALLS):
        sender.setObjectName("probe")
        sender.probe.emit()
    lost_none = none_before - sys.getrefcount(None)
    lost_true = true_before - sys.getrefcount(True)
    # Other threads may touch None/True meanwhile: the bug loses one per call.
    return lost_none >= _PROBE_CALLS // 2 or lost_true >= _PROBE_CALLS // 2


def _add_references(obj: object, count: int) -> None:
    # CPython < 3.12: ob_refcnt (Py_ssize_t) is the first field of every object, at id(obj).
    refcnt = ctypes.c_ssize_t.from_address(id(obj))
    refcnt.value += count


def install_qt_workarounds() -> bool:
    """Protect this process from the binding's stolen references (idempotent, thread-safe).

    Returns True when the work-around is active (the installed binding has the bug).
    """
    with _lock:
        if "immortal" not in _state:
            active = binding_steals_references()
            if active:
                for obj in (None, True, False):
                    _add_references(obj, IMMORTAL_MARGIN)
            _state["immortal"] = active
        return _state["immortal"]
