"""Screenshots of the real app for the docs: every dock and every dialog, and the whole window.

    python tools/screenshots.py                 # -> docs/images/*.png
    python tools/screenshots.py --out DIR --only dock-heads,dialog-benchmark

Drives MoveNet Studio offscreen (``QT_QPA_PLATFORM=offscreen``, a fresh settings file, the
1400x900 default layout, the bundled samples, ``--pace max`` so a loaded machine drops no frame
from the plots), as ``movenet-studio gui --exit-after-frames N --screenshot`` does, in a few scenes; each scene is a new main window that plays its source
until enough frames were processed, then:

- ``window*.png``: the whole window (the named layouts at three window sizes are in
  ``docs/images/layout/``, made with ``gui --layout --window-size --screenshot``; see
  docs/guide/window-layout.md);
- ``dock-<name>.png``: every dock of the window, found by walking its ``QDockWidget`` children
  (a dock added later is picked up; its name comes from its object name, ``headsDock`` ->
  ``dock-heads``), floated at a readable size while the video plays on;
- ``dialog-<name>.png``: every dialog a menu action opens, found by triggering each action
  whose text ends with an ellipsis (plus Help's dialogs), grabbing the dialog it opened (modal
  or not) and closing it; file choosers (``QFileDialog``) are skipped.

The classification scene needs ``../shared/models/classifier`` (the tests' squat classifier);
without it that scene is skipped and its pictures are left as they are.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "resources" / "samples"
CLASSIFIER = ROOT.parent / "shared" / "models" / "classifier"
WINDOW_SIZE = (1400, 900)

#: Floating size of each dock for its picture (width, height); others get DEFAULT_DOCK_SIZE.
DOCK_SIZES = {"controls": (360, 860), "heads": (760, 560), "timeline": (1100, 560), "layers": (1200, 720),
              "latency": (560, 640), "compare": (560, 640), "model-input": (420, 440), "model-info": (560, 520),
              "classification": (520, 420)}
DEFAULT_DOCK_SIZE = (640, 520)
#: Menu actions without an ellipsis that open a dialog.
DIALOG_ACTIONS = ("Keyboard shortcuts", "About")


def _run_benchmark(dialog, driver: "Driver") -> None:
    """Fill the Benchmark dialog with a short real run: Lightning float16 and int8 on TFLite and
    ONNX Runtime (int8 has no ONNX file: shown as not run), with ONNX Runtime's per-op profile."""
    from PySide6.QtCore import Qt

    for i in range(dialog.models_list.count()):
        item = dialog.models_list.item(i)
        item.setCheckState(Qt.CheckState.Checked if item.text() in ("lightning-float16", "lightning-int8")
                           else Qt.CheckState.Unchecked)
    dialog.backend_checks["onnx"].setChecked(True)
    dialog.per_op_check.setChecked(True)
    dialog.frames_spin.setValue(40)
    dialog.warmup_spin.setValue(5)
    done: list = []
    dialog.finished_report.connect(done.append)
    dialog.failed.connect(lambda *a: done.append(a))
    dialog.run_button.click()
    if not driver.wait(lambda: bool(done), timeout_s=600):
        print("screenshots: the benchmark did not finish; its picture shows it running", file=sys.stderr)


def _compare_orders(dock, driver: "Driver") -> None:
    """Show both coordinate orders side by side in the Classification dock."""
    from PySide6.QtWidgets import QCheckBox

    for box in dock.findChildren(QCheckBox):
        if box.text().startswith("Compare orders"):
            box.setChecked(True)


#: Docks that are set up before their picture, by dock name.
DOCK_PREPARE = {"classification": _compare_orders}

def _run_evaluate(dialog, driver: "Driver") -> None:
    """Fill the Evaluate dialog with a real run: Lightning float16 (A) against int8 (B) on the
    tests' coco_mini (../shared/data), when it is there."""
    coco = ROOT.parent / "shared" / "data" / "coco_mini"
    if not (coco / "test_coco.json").is_file():
        print(f"screenshots: {coco} is absent; the Evaluate dialog is shown empty", file=sys.stderr)
        return
    dialog.annotations.setText(str(coco / "test_coco.json"))
    dialog.images.setText(str(coco))
    dialog.model_a.setCurrentText("lightning-float16")
    dialog.model_b.setCurrentText("lightning-int8")
    if dialog.start() is None or not driver.wait(lambda: not dialog.running, timeout_s=600):
        print(f"screenshots: the evaluation did not finish: {dialog.status_label.text()}", file=sys.stderr)
    from PySide6.QtWidgets import QTableView

    tables = [t for t in dialog.findChildren(QTableView) if t.isVisible() and t.model() and t.model().rowCount()]
    if tables:  # the worst person, drawn over its image
        tables[0].selectRow(0)
    driver.wait(lambda: False, timeout_s=1)  # let the result views draw


#: Dialogs that are filled before their picture, by picture name.
DIALOG_PREPARE = {"dialog-benchmark.png": _run_benchmark, "dialog-evaluate.png": _run_evaluate}
#: Size of a dialog for its picture (width, height), by picture name; others keep their own.
DIALOG_SIZES = {"dialog-evaluate.png": (1200, 860)}


@dataclass
class Scene:
    """One window session: how it starts and what is photographed once it has played."""

    name: str
    source: Path
    frames: int = 45
    overlays: str | None = "skeleton,heatmaps"
    compare: str | None = None
    classifier: bool = False
    window: str | None = None  # file name of the whole window's picture
    docks: tuple[str, ...] = ()  # dock names to photograph ("*": every dock)
    dialogs: bool = False
    actions: tuple[str, ...] = ()  # menu actions triggered before the pictures (e.g. "Compare layers")
    settle_frames: int = 30  # frames played after the actions, before the pictures
    extra: dict = field(default_factory=dict)


SCENES = (
    Scene("first start", SAMPLES / "pose_1.mp4", window="window.png",
          docks=("controls", "heads", "model-input", "model-info", "latency", "timeline"), dialogs=True),
    Scene("compare", SAMPLES / "pose_1.mp4", overlays="skeleton", compare="lightning-int8",
          window="window-compare.png", docks=("compare",)),
    Scene("layers", SAMPLES / "pose_1.mp4", overlays="skeleton", actions=("Compare layers",), settle_frames=90,
          docks=("layers",)),
    Scene("classification", SAMPLES / "pose_squats.mp4", overlays="skeleton", classifier=True,
          docks=("classification",)),
    Scene("everything else", SAMPLES / "pose_1.mp4", overlays="skeleton", docks=("*",)),
)


def kebab(text: str) -> str:
    """``headsDock`` -> ``heads``, ``Export &video…`` -> ``export-video``."""
    text = re.sub(r"Dock$", "", text.replace("&", "").replace("…", "").replace("...", "").strip())
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", text)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Driver:
    """Runs the scenes in one QApplication and writes the pictures."""

    def __init__(self, out: Path, only: set[str] | None) -> None:
        from PySide6.QtWidgets import QApplication

        from movenet_studio.gui.app import apply_dark_theme, configure_pyqtgraph

        self.out = out
        self.only = only
        self.written: list[str] = []
        self.app = QApplication.instance() or QApplication(sys.argv[:1])
        apply_dark_theme(self.app)
        configure_pyqtgraph()
        self.settings_dir = Path(tempfile.mkdtemp(prefix="movenet-screenshots-"))

    # -------------------------------------------------------------- waiting
    def wait(self, condition, timeout_s: float = 120.0) -> bool:
        """Run the event loop until `condition()` holds (True) or the timeout (False)."""
        from PySide6.QtCore import QEventLoop

        end = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > end:
                return False
            self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)
        return True

    def play(self, window, frames: int) -> None:
        """Let `window` process `frames` more frames."""
        start = self.results
        if not self.wait(lambda: self.results >= start + frames):
            print(f"screenshots: only {self.results - start} of {frames} frames arrived", file=sys.stderr)

    # -------------------------------------------------------------- pictures
    def wanted(self, name: str) -> bool:
        return self.only is None or name.removesuffix(".png") in self.only

    def save(self, widget, name: str) -> None:
        if not self.wanted(name):
            return
        pixmap = widget.grab()
        path = self.out / name
        if not pixmap.save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        self.written.append(name)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {pixmap.width()}x{pixmap.height()}")

    def shoot_docks(self, window, names: tuple[str, ...]) -> None:
        from PySide6.QtWidgets import QDockWidget

        docks = {kebab(d.objectName()): d for d in window.findChildren(QDockWidget)}
        for name, dock in docks.items():
            if "*" not in names and name not in names:
                continue
            if "*" in names and (self.out / f"dock-{name}.png").name in self.written:
                continue
            if not self.wanted(f"dock-{name}.png"):
                continue
            dock.show()
            dock.setFloating(True)
            dock.resize(*DOCK_SIZES.get(name, DEFAULT_DOCK_SIZE))
            dock.raise_()
            if name in DOCK_PREPARE:
                DOCK_PREPARE[name](dock, self)
            self.play(window, 8)
            self.save(dock, f"dock-{name}.png")
            dock.setFloating(False)

    def actions(self, window) -> list:
        """(menu path, QAction) of every menu action of `window`."""
        found = []

        def walk(menu, path):
            for action in menu.actions():
                if action.menu() is not None:
                    walk(action.menu(), [*path, action.text()])
                elif not action.isSeparator():
                    found.append((" > ".join([*path, action.text()]).replace("&", ""), action))
        for top in window.menuBar().actions():
            if top.menu() is not None:
                walk(top.menu(), [top.text()])
        return found

    def trigger(self, window, wanted: str) -> None:
        for path, action in self.actions(window):
            if path.split(" > ")[-1].replace("…", "").strip() == wanted:
                action.trigger()
                return
        raise LookupError(f"no menu action {wanted!r}")

    def catch_dialog(self, trigger, handle, timeout_s: float = 10.0, kind=None) -> bool:
        """Call `trigger()` and `handle(dialog)` on the first new visible top-level dialog
        (a QDialog, or of class `kind`) it opens, modal (inside the dialog's own event loop)
        or not; `handle` closes it. False when no dialog appeared."""
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication, QDialog

        kind = kind or QDialog
        before = set(QApplication.topLevelWidgets())
        state: dict = {}

        def look():
            if state:
                return
            new = [w for w in QApplication.topLevelWidgets()
                   if w not in before and w.isVisible() and isinstance(w, kind)]
            if new:
                state["dialog"] = new[0]
                handle(new[0])
                state["done"] = True

        timer = QTimer()
        timer.setInterval(300)  # also fires inside a modal dialog's own event loop
        timer.timeout.connect(look)
        timer.start()
        trigger()
        self.wait(lambda: bool(state), timeout_s=timeout_s)
        self.wait(lambda: not state or state.get("done"), timeout_s=900)
        timer.stop()
        return bool(state)

    @staticmethod
    def close(dialog) -> None:
        dialog.reject() if dialog.isModal() else dialog.close()

    def shoot_dialogs(self, window) -> None:
        """Trigger every dialog-opening menu action and photograph what it opens; then the
        export progress dialog (an export started from Export video) and the error dialog (a
        source that cannot be read)."""
        from PySide6.QtWidgets import QFileDialog, QLineEdit, QProgressDialog

        for path, action in self.actions(window):
            label = path.split(" > ")[-1]
            if not action.isEnabled() or not (label.endswith(("…", "...")) or label in DIALOG_ACTIONS):
                continue
            name = f"dialog-{kebab(label)}.png"

            def handle(dialog, name=name):
                if not isinstance(dialog, QFileDialog) and self.wanted(name):  # a file chooser is Qt's
                    if name in DIALOG_SIZES:
                        dialog.resize(*DIALOG_SIZES[name])
                    if name in DIALOG_PREPARE:
                        DIALOG_PREPARE[name](dialog, self)
                    self.save(dialog, name)
                self.close(dialog)
            self.catch_dialog(action.trigger, handle, timeout_s=5)

        if self.wanted("dialog-export-progress.png"):
            target = self.settings_dir / "export.mp4"

            def accept(dialog):
                dialog.findChild(QLineEdit).setText(str(target))
                dialog.accept()

            def shoot_progress(dialog):
                self.wait(lambda: dialog.value() >= 10 or not dialog.isVisible(), timeout_s=120)
                self.save(dialog, "dialog-export-progress.png")
                dialog.cancel()
            export = next(a for p, a in self.actions(window) if "Export video" in p)
            self.catch_dialog(lambda: self.catch_dialog(export.trigger, accept), shoot_progress, kind=QProgressDialog)
            self.wait(lambda: not any(a.isEnabled() is False for p, a in self.actions(window)
                                      if "Export video" in p), timeout_s=60)

        if self.wanted("dialog-error.png"):
            broken = self.settings_dir / "broken.mp4"
            broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)  # an MP4 header, no video

            def shoot_error(dialog):
                self.save(dialog, "dialog-error.png")
                self.close(dialog)
            self.catch_dialog(lambda: window.start(str(broken)), shoot_error, timeout_s=30)

    # -------------------------------------------------------------- scenes
    def run_scene(self, scene: Scene) -> None:
        from movenet_studio.gui.source_info import Pace
        from movenet_studio.gui.settings import StudioSettings
        from movenet_studio.gui.window.classification_controller import ClassifierRequest
        from movenet_studio.gui.window.main_window import MainWindow

        classifier = None
        if scene.classifier:
            model, labels = CLASSIFIER / "squat_classifier.tflite", CLASSIFIER / "labels.txt"
            if not model.is_file():
                print(f"screenshots: {CLASSIFIER} is absent; scene '{scene.name}' skipped", file=sys.stderr)
                return
            classifier = ClassifierRequest(str(model), str(labels), count="squat")
        settings = StudioSettings(self.settings_dir / f"{kebab(scene.name)}.ini")
        window = MainWindow(settings, pace=Pace.MAX, loop=True, persist_loop=False, restore_layout=False,
                            overlays=scene.overlays, compare=scene.compare, classifier=classifier)
        self.results = 0

        def count(*_):
            self.results += 1
        window.engine.result_ready.connect(count)
        window.resize(*WINDOW_SIZE)
        window.show()
        window.start(str(scene.source))
        try:
            self.play(window, scene.frames)
            for action in scene.actions:
                self.trigger(window, action)
            if scene.actions:
                self.play(window, scene.settle_frames)
            if scene.window:
                self.save(window, scene.window)
            self.shoot_docks(window, scene.docks)
            if scene.dialogs:
                self.shoot_dialogs(window)
        finally:
            window.shutdown()
            window.close()
            window.deleteLater()
            from PySide6.QtCore import QCoreApplication, QEvent
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="folder of the pictures")
    parser.add_argument("--only", help="comma-separated picture names (without .png) to make")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    args.out.mkdir(parents=True, exist_ok=True)
    driver = Driver(args.out, set(args.only.split(",")) if args.only else None)
    for scene in SCENES:
        driver.run_scene(scene)
    print(f"{len(driver.written)} pictures written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
