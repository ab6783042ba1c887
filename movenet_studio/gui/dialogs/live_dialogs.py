"""File > Open stream… (a URL, checked before it is opened) and File > Open camera… (the
cameras with their modes, :func:`~movenet_studio.core.media.cameras.list_cameras`)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QLabel, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

from ...core.errors import SourceError
from ...core.media.cameras import CameraDevice, list_cameras
from ...core.media.urls import display_url, is_url, parse_stream_url

#: Shown in the empty URL field.
STREAM_PLACEHOLDER = "rtsp://user:password@camera/stream  or  http://127.0.0.1:8090/live.ts"


class OpenStreamDialog(QDialog):
    """Asks for a stream URL; the recent ones are offered with their credentials hidden.

    Args:
        recent: recent sources (the URLs among them are offered, newest first).
        parent: the window.

    Attributes:
        url: the accepted URL as typed or picked (credentials included), once accepted.
    """

    def __init__(self, recent: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Open stream")
        self.url = ""
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setMinimumWidth(460)
        self.combo.lineEdit().setPlaceholderText(STREAM_PLACEHOLDER)
        for spec in (s for s in recent if is_url(s)):
            self.combo.addItem(display_url(spec), spec)  # shown hidden, opened as stored
        self.combo.setCurrentIndex(-1)
        self.combo.setEditText("")
        self.error = QLabel("")
        self.error.setStyleSheet("color: #c0392b")
        self.error.setWordWrap(True)
        help_text = QLabel("RTSP (rtsp://, rtsp+udp:// for UDP; TCP by default), HTTP(S) MPEG-TS, MJPEG or HLS "
                           "(.m3u8), udp://, tcp://. A password in the URL is never shown or logged.")
        help_text.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Stream URL:"))
        layout.addWidget(self.combo)
        layout.addWidget(help_text)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def chosen(self) -> str:
        """The URL to open: a picked recent entry's stored URL, else the typed text."""
        text = self.combo.currentText().strip()
        index = self.combo.currentIndex()
        if index >= 0 and self.combo.itemText(index) == text:
            return str(self.combo.itemData(index))
        return text

    def accept(self) -> None:
        """Accept only a URL this app opens (the reason is shown otherwise)."""
        url = self.chosen()
        try:
            parse_stream_url(url)
        except SourceError as exc:
            self.error.setText(str(exc))
            return
        self.url = url
        super().accept()


class OpenCameraDialog(QDialog):
    """Lists the cameras with their modes; pick a camera (its default mode) or one of its modes.

    Args:
        cameras: the cameras to list; None: ask the system (:func:`list_cameras`).
        parent: the window.

    Attributes:
        spec: the accepted source, ``camera:N`` or ``camera:N:WxH@F``.
    """

    def __init__(self, cameras: list[CameraDevice] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Open camera")
        self.spec = ""
        self.cameras = list_cameras() if cameras is None else cameras
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Camera / mode", "Device"])
        self.tree.setMinimumSize(460, 260)
        for camera in self.cameras:
            top = QTreeWidgetItem([f"{camera.spec}  {camera.name}", camera.path + (f"  ({camera.note})"
                                                                                   if camera.note else "")])
            top.setData(0, Qt.ItemDataRole.UserRole, camera.spec)
            for mode in camera.modes:
                rate = f"@{mode.fps:g}" if mode.fps else ""
                child = QTreeWidgetItem([str(mode), ""])
                child.setData(0, Qt.ItemDataRole.UserRole, f"{camera.spec}:{mode.width}x{mode.height}{rate}")
                top.addChild(child)
            self.tree.addTopLevelItem(top)
        self.tree.expandAll()
        self.tree.itemDoubleClicked.connect(lambda *_: self.accept())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if self.cameras:
            layout.addWidget(QLabel("Pick a camera (its default mode) or one of its modes:"))
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        else:
            layout.addWidget(QLabel("No camera found (nothing in /sys/class/video4linux on Linux). "
                                    "A network camera opens with File > Open stream…"))
            self.buttons.button(QDialogButtonBox.StandardButton.Open).setEnabled(False)
        layout.addWidget(self.tree)
        layout.addWidget(self.buttons)

    def accept(self) -> None:
        """Accept the selected camera or mode."""
        item = self.tree.currentItem()
        if item is None:
            return
        self.spec = str(item.data(0, Qt.ItemDataRole.UserRole))
        super().accept()
