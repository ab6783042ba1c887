"""The one progress / cancel protocol (movenet_studio.core.progress) on every long job of the core,
on real models and media (few frames): progress is monotonic and reaches its total; a cancel
stops the job with the core's Cancelled error and leaves no file behind."""

from __future__ import annotations

import threading

import pytest

from conftest import data_file
from movenet_studio.core.bench import CANCELLED, BenchConfig, run_bench
from movenet_studio.core.errors import StudioError
from movenet_studio.core.evaluation import evaluate
from movenet_studio.core.output.export_job import ExportRequest, run_export
from movenet_studio.core.layers.runner import LayerComparison
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.progress import Cancelled, CancelToken, JobControl, Progress
from movenet_studio.core.drawing.overlay_options import OverlayOptions
from movenet_studio.core.media.opener import open_source


class Recorder:
    """A listener that keeps every report and cancels the token once `cancel_at` units are done."""

    def __init__(self, cancel_at: int | None = None):
        self.reports: list[Progress] = []
        self.control = JobControl(self, CancelToken())
        self.cancel_at = cancel_at

    def __call__(self, progress: Progress) -> None:
        self.reports.append(progress)
        if self.cancel_at is not None and progress.done >= self.cancel_at:
            self.control.token.cancel()

    def check_complete(self) -> None:
        """Monotonic in done and elapsed time, one total, ends at it."""
        done = [p.done for p in self.reports]
        assert done == sorted(done) and done[-1] == self.reports[-1].total
        assert len({p.total for p in self.reports}) == 1
        elapsed = [p.elapsed_s for p in self.reports]
        assert elapsed == sorted(elapsed) and elapsed[0] >= 0


def test_token_and_control():
    token = CancelToken()
    token.raise_if_cancelled()
    control = JobControl(token=token)
    control.report(1, 2)  # no listener: nothing to send, not cancelled
    canceller = threading.Thread(target=token.cancel)  # any thread may cancel
    canceller.start()
    canceller.join()
    assert control.cancelled and issubclass(Cancelled, StudioError)
    with pytest.raises(Cancelled, match="after 3 of 4"):
        control.report(3, 4)
    with pytest.raises(Cancelled, match="stop"):
        control.raise_if_cancelled("stop")
    assert Progress(3, 4).fraction == 0.75 and Progress(9, 4).fraction == 1.0 and Progress(0, 0).fraction == 1.0


def _request(kind: str, path, frames: range) -> ExportRequest:
    return ExportRequest(kind, str(data_file("pose_1.mp4")), path, frames, PipelineConfig(model="lightning"),
                         OverlayOptions())


def test_export_job_progress_and_cancel(tmp_path):
    done = Recorder()
    outcome = run_export(_request("keypoints", tmp_path / "k.json", range(0, 4)), done.control)
    assert outcome.records >= 1 and (tmp_path / "k.json").is_file()
    assert [p.done for p in done.reports] == [0, 1, 2, 3, 4]
    done.check_complete()

    stopped = Recorder(cancel_at=2)
    with pytest.raises(Cancelled):
        run_export(_request("video", tmp_path / "v.mp4", range(0, 30)), stopped.control)
    assert stopped.reports[-1].done == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.json"]  # no video, no temporary file


def test_bench_progress_and_cancel():
    config = BenchConfig("lightning", "tflite", 1)
    done = Recorder()
    report = run_bench([config], data_file("pose_1.mp4"), frames=3, warmup=1, control=done.control)
    assert not report.cancelled and report.results[0].frames == 3
    done.check_complete()

    stopped = Recorder(cancel_at=3)
    with pytest.raises(Cancelled) as raised:
        run_bench([config, config], data_file("pose_1.mp4"), frames=20, warmup=0, control=stopped.control)
    partial = raised.value.partial
    assert partial.cancelled and [r.status for r in partial.results] == [CANCELLED]
    assert stopped.reports[-1].done < stopped.reports[-1].total


def test_eval_progress_and_cancel():
    annotations = data_file("coco_mini/test_coco.json")
    stopped = Recorder(cancel_at=3)
    with pytest.raises(Cancelled):
        evaluate(annotations, annotations.parent, control=stopped.control)
    assert [p.done for p in stopped.reports] == [1, 2, 3] and stopped.reports[-1].total == 12
    assert stopped.reports[-1].message.endswith(".jpg")  # the image being read


def test_layers_progress_and_cancel():
    config = PipelineConfig(model="lightning")
    with open_source(data_file("pose_1.mp4")) as source, LayerComparison(config, config) as comparison:
        done = Recorder()
        assert comparison.run(source, 2, done.control) == 2 and comparison.captures.frames == 2
        done.check_complete()
        stopped = Recorder(cancel_at=1)
        with pytest.raises(Cancelled):
            comparison.run(source, 5, stopped.control)
        assert comparison.captures.frames == 3  # stopped after the first frame of this run
