"""PySide6 + pyqtgraph desktop GUI of MoveNet Studio.

Entry point: :func:`movenet_studio.gui.app.run`. Nothing here runs at import time (no
QApplication, no pyqtgraph configuration); the core stays Qt-free and the GUI talks to it
through :class:`~movenet_studio.gui.engine.Engine` (inference worker) and
:class:`~movenet_studio.gui.player.SourcePlayer` (frame reader).
"""
